"""Fused window operations with hand-written backward passes (torch.autograd.Function).

A batch is a span h of n = M + 2W input rows; the window of centre i is rows i .. i + 2W
(the centre itself at i + W). Seen as a strided view, ``h.unfold(0, 2W + 1, 1)`` is an
(M, D, 2W + 1) stack of windows without a copy, so every (centre, context) product of the batch
is one batched matrix product. Autograd through ten shifted slices would allocate and zero a
full-size gradient per slice; these backward passes accumulate in place instead.
"""

from __future__ import annotations

import torch


def _windows(h: torch.Tensor, width: int) -> torch.Tensor:
    return h.unfold(0, width, 1)  # (M, D, 2W+1) view: windows[i, :, k] = h[i + k]


def _scatter_windows(weights: torch.Tensor, rows: torch.Tensor, n: int) -> torch.Tensor:
    """grad[i + k] += weights[i, k] * rows[i]: the transpose of reading windows."""
    m, width = weights.shape
    grad = rows.new_zeros(n, rows.shape[1])                  # (n, D)
    for k in range(width):
        grad[k:k + m].addcmul_(rows, weights[:, k:k + 1])
    return grad


class WindowDot(torch.autograd.Function):
    """scores[i, k] = h[i + k] . u[i]: every centre's output vector against its window's inputs."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        width = h.shape[0] - u.shape[0] + 1
        ctx.save_for_backward(h, u)
        return torch.bmm(u.unsqueeze(1), _windows(h, width)).squeeze(1)      # (M, 2W+1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        h, u = ctx.saved_tensors
        grad = grad.contiguous()  # an expanded (stride 0) gradient sends bmm down a slow path
        width = grad.shape[1]
        grad_u = torch.bmm(grad.unsqueeze(1), _windows(h, width).transpose(1, 2)).squeeze(1)  # (M, D)
        grad_h = _scatter_windows(grad, u, h.shape[0])                                        # (n, D)
        return grad_h, grad_u


class WindowSum(torch.autograd.Function):
    """out[i] = sum_k weights[i, k] * h[i + k]: a weighted sum over each centre's window."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(weights)
        ctx.n = h.shape[0]
        windows = _windows(h, weights.shape[1]).transpose(1, 2)                # (M, 2W+1, D)
        return torch.bmm(weights.unsqueeze(1), windows).squeeze(1)            # (M, D)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (weights,) = ctx.saved_tensors
        grad = grad.contiguous()
        return _scatter_windows(weights, grad, ctx.n), None


def window_dot(h: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    return WindowDot.apply(h, u)


def window_sum(h: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return WindowSum.apply(h, weights)
