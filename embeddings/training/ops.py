"""The two losses as autograd Functions with fused, hand-written backward passes.

A batch is a span h of n = M + 2W input rows; the window of centre i is rows i .. i + 2W
(the centre itself at i + W). Seen as a strided view, ``h.unfold(0, 2W + 1, 1)`` is an
(M, D, 2W + 1) stack of windows without a copy, so every (centre, context) product of the batch
is one batched matrix product, and so is its transpose in the backward pass. Writing the
backward by hand (checked against autograd in tests/test_model.py) removes the many small
temporaries autograd would allocate for the same sums: about twice the speed on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _windows(h: torch.Tensor, width: int) -> torch.Tensor:
    return h.unfold(0, width, 1)  # (M, D, 2W+1) view: windows[i, :, k] = h[i + k]


def _scatter_windows(weights: torch.Tensor, rows: torch.Tensor, n: int) -> torch.Tensor:
    """out[j] = sum_k weights[j - k, k] * rows[j - k]: the transpose of reading windows.

    Row j collects from the rows whose window covers it. With P = width - 1 rows of zero padding,
    those rows form the window j .. j + P of the padded rows, and their weights lie on a skewed
    diagonal of the padded weights: a strided view (row stride width, column stride width - 1).
    So the transpose is one batched product too, not width passes of scatter-adds.
    """
    m, width = weights.shape                                 # n = m + width - 1
    pad = width - 1
    wpad = F.pad(weights, (0, 0, pad, pad)).contiguous()     # (m + 2P, width)
    skew = wpad.as_strided((n, width), (width, width - 1), pad)  # skew[j, t] = weights[j+t-P, P-t]
    windows = _windows(F.pad(rows, (0, 0, pad, pad)), width).transpose(1, 2)  # (n, width, D): rows[j+t-P]
    return torch.bmm(skew.contiguous().unsqueeze(1), windows).squeeze(1)     # (n, D)


def _grouped(x: torch.Tensor, groups: int) -> torch.Tensor:
    """x (L, ...) as (groups, rows, ...), zero-padding L up to groups * rows only if it must."""
    rows = -(-x.shape[0] // groups)
    pad = groups * rows - x.shape[0]
    if pad:
        x = torch.cat([x, x.new_zeros(pad, *x.shape[1:])])
    return x.view(groups, rows, *x.shape[1:])


def _gradient_room(out: torch.Tensor, scratch: bool) -> torch.Tensor:
    """Where backward writes the gradient of the gathered output rows `out` (B, D): over `out`
    itself when the caller has said it is scratch (the model's own gather, which nothing reads
    after this backward has read it), else a new tensor.

    The gathered rows are a step's largest block (7 MB for word-only skip-gram: 8K centres and 10K
    noise rows); writing their gradient in their place keeps one such block alive, not two, and
    allocates none. A second backward through the same graph then fails loudly (torch sees that a
    saved tensor changed), as it does for any loss that frees its buffers.
    """
    return out if scratch and out.is_contiguous() else out.new_empty(out.shape)


class SkipGramLoss(torch.autograd.Function):
    """Skip-gram negative-sampling loss of one batch, forward and backward fused.

    loss = sum_{i,k} mask[i,k] softplus(-h[i+k] . u[i])
         + K/N sum_j uses[j] sum_n softplus(h[j] . noise[g(j), n])
    where uses[j] counts the pairs input j is in and g(j) is j's group of noise words.

    scratch=True lets backward write out's gradient over out itself (see _gradient_room).
    """

    @staticmethod
    def forward(ctx, h, out, mask, negative: int, groups: int, scratch: bool = False):
        mask = mask.to(h.dtype)                                                    # (M, 2W+1) 0 / 1
        m, width = mask.shape
        u, noise = out[:m], out[m:].view(groups, -1, out.shape[1])                 # (M, D), (G, N, D)
        scores = torch.bmm(u.unsqueeze(1), _windows(h, width)).squeeze(1)          # (M, 2W+1)
        uses = _scatter_windows(mask, mask.new_ones(m, 1), h.shape[0]).squeeze(1)  # (n,)
        hg = _grouped(h, groups)                                                # (G, rows, D)
        noise_scores = torch.bmm(hg, noise.transpose(1, 2))                        # (G, rows, N)
        usesg = _grouped(uses, groups)                                          # (G, rows)
        scale = negative / noise.shape[1]
        loss = (F.softplus(-scores) * mask).sum() + scale * (F.softplus(noise_scores).sum(2) * usesg).sum()
        ctx.save_for_backward(h, out, mask, scores, noise_scores, usesg)
        ctx.scale, ctx.groups, ctx.scratch = scale, groups, scratch
        return loss

    @staticmethod
    def backward(ctx, grad):
        h, out, mask, scores, noise_scores, usesg = ctx.saved_tensors
        m, width = mask.shape
        n, dim = h.shape
        u, noise = out[:m], out[m:].view(ctx.groups, -1, dim)
        g_pos = torch.sigmoid(-scores).mul_(mask).mul_(-grad)                      # (M, 2W+1) dloss/dscore
        g_neg = torch.sigmoid(noise_scores).mul_(usesg.unsqueeze(2)).mul_(grad * ctx.scale)  # (G, rows, N)
        hg = _grouped(h, ctx.groups)
        grad_h = _scatter_windows(g_pos, u, n)                                      # (n, D)
        if n == g_neg.shape[0] * g_neg.shape[1]:     # whole groups (all but a chunk's last batch): add in place
            grad_h.view(ctx.groups, -1, dim).baddbmm_(g_neg, noise)                 # no (n, D) temporary
        else:
            grad_h += torch.bmm(g_neg, noise).view(-1, dim)[:n]
        grad_out = _gradient_room(out, ctx.scratch)  # centres' rows, then noise rows: written in place
        torch.bmm(g_pos.unsqueeze(1), _windows(h, width).transpose(1, 2), out=grad_out[:m].view(m, 1, dim))
        torch.bmm(g_neg.transpose(1, 2), hg, out=grad_out[m:].view(ctx.groups, -1, dim))  # (G, N, D)
        return grad_h, grad_out, None, None, None, None


def _window_bags(mask: torch.Tensor, n: int):
    """A batch's windows as bags of span rows, for embedding_bag: each centre's context rows
    (rows, offsets: the forward mean), each centre's window size (count), and each span row's
    centres (centres, row_offsets: the transpose). Only the True entries: a dynamic window holds
    6 of its 10 places on average.

    The transpose reads the mask along its skewed diagonals (as _scatter_windows does), so
    its nonzero entries come out sorted by span row, ready to be bags.
    """
    on = mask if mask.dtype == torch.bool else mask != 0
    m, width = on.shape
    pad = width - 1
    centre, col = on.nonzero(as_tuple=True)                                    # (E,) sorted by centre
    count = on.sum(1)                                                          # (M,)
    offsets = torch.cumsum(count, 0) - count                                   # (M,)
    padded = F.pad(on.to(torch.uint8), (0, 0, pad, pad))                       # (M + 2P, width)
    skew = padded.as_strided((n, width), (width, width - 1), pad)              # skew[j, t] = on[j+t-P, P-t]
    row, t = skew.nonzero(as_tuple=True)                                       # (E,) sorted by span row
    row_count = torch.bincount(row, minlength=n)                               # (n,)
    return centre + col, offsets, count, row + t - pad, torch.cumsum(row_count, 0) - row_count


def window_bags(device: torch.device) -> bool:
    """Whether CBOW's windows are embedding_bags on this device (the CPU) or batched products."""
    return device.type == "cpu"


class CBOWLoss(torch.autograd.Function):
    """CBOW negative-sampling loss of one batch, forward and backward fused.

    c[i] = mean of h over centre i's window; loss = sum_i [count_i > 0] (softplus(-c[i] . u[i])
    + K/N sum_n softplus(c[i] . noise[g(i), n])). As in word2vec.c and gensim (cbow_mean=1), every
    context word receives the full gradient of c[i], not 1/count of it.

    On the CPU the window means and their transpose are embedding_bags over only the window's
    True entries (_window_bags), not batched products over all 2W+1 places: a step 1.01-1.03x as
    fast, 1.07x with subwords (scripts/bench_ab.py, identical weights after 300 steps). On a GPU
    they stay batched products: finding the True entries (nonzero) would make the host wait for
    the device at every step. scratch=True lets backward write out's gradient over out itself
    (see _gradient_room).
    """

    @staticmethod
    def forward(ctx, h, out, mask, negative: int, groups: int, scratch: bool = False):
        m, width = mask.shape
        u, noise = out[:m], out[m:].view(groups, -1, out.shape[1])
        if window_bags(h.device):
            rows, offsets, count, centres, row_offsets = _window_bags(mask, h.shape[0])
            c = F.embedding_bag(rows, h, offsets, mode="mean")                   # (M, D); empty window: 0
            saved = (centres, row_offsets)
        else:
            mask = mask.to(h.dtype)                                                # (M, 2W+1) 0 / 1
            count = mask.sum(1)                                                    # (M,)
            weights = mask / count.clamp(min=1).unsqueeze(1)                       # (M, 2W+1)
            c = torch.bmm(weights.unsqueeze(1), _windows(h, width).transpose(1, 2)).squeeze(1)  # (M, D)
            saved = (mask,)
        has = (count > 0).to(h.dtype)                                              # (M,)
        scores = (c * u).sum(1)                                                    # (M,)
        cg = _grouped(c, groups)                                                # (G, rows, D)
        noise_scores = torch.bmm(cg, noise.transpose(1, 2))                        # (G, rows, N)
        hasg = _grouped(has, groups)                                            # (G, rows)
        scale = negative / noise.shape[1]
        loss = (F.softplus(-scores) * has).sum() + scale * (F.softplus(noise_scores).sum(2) * hasg).sum()
        ctx.save_for_backward(out, c, scores, noise_scores, has, hasg, *saved)
        ctx.scale, ctx.groups, ctx.n, ctx.scratch = scale, groups, h.shape[0], scratch
        return loss

    @staticmethod
    def backward(ctx, grad):
        out, c, scores, noise_scores, has, hasg, *window = ctx.saved_tensors
        m, dim = c.shape
        u, noise = out[:m], out[m:].view(ctx.groups, -1, dim)
        g_pos = torch.sigmoid(-scores).mul_(has).mul_(-grad).unsqueeze(1)          # (M, 1)
        g_neg = torch.sigmoid(noise_scores).mul_(hasg.unsqueeze(2)).mul_(grad * ctx.scale)  # (G, rows, N)
        cg = _grouped(c, ctx.groups)
        grad_c = torch.bmm(g_neg, noise).view(-1, dim)[:m]                         # (M, D)
        grad_c.addcmul_(g_pos, u)                    # out is read for the last time here
        grad_out = _gradient_room(out, ctx.scratch)  # centres' rows, then noise rows: written in place
        torch.mul(g_pos, c, out=grad_out[:m])                                      # (M, D)
        torch.bmm(g_neg.transpose(1, 2), cg, out=grad_out[m:].view(ctx.groups, -1, dim))  # (G, N, D)
        if len(window) == 2:                         # each span row: the sum over its centres
            grad_h = F.embedding_bag(window[0], grad_c, window[1], mode="sum")    # (n, D) full gradient per context
        else:
            grad_h = _scatter_windows(window[0], grad_c, ctx.n)                    # (n, D) full gradient per context
        return grad_h, grad_out, None, None, None, None
