"""Sparse SGD for embedding rows, with each row's batch gradient capped at a few lookups' worth.

word2vec applies one small SGD step per (word, context) pair, in order, so a frequent word's vector
moves, then its next gradient sees the move. A batch computes all of its gradients from the same
stale vectors; summing them would hand "the" a step hundreds of times word2vec's and diverge.
So a row looked up n times in a batch steps by lr * (sum of its n gradients) * min(1, cap / n):
rows seen at most `cap` times get exactly word2vec's summed step, frequent rows an averaged one.
A gradient whose rows are pre-summed (distinct rows, each standing for several lookups, as the
subword input gives) comes with its count per row from `lookups()`, and n is that count (for the
subword input: the words that used the row, each word's share capped already; model.py).

Rows the model calls steady (`steady()`: a subword model's n-gram rows) are capped against the
starting rate instead: such a row steps by min(lr, start_lr * cap / n) of its summed gradient. A
row that many words share in a step is held by the cap at every rate, so the decay would only
slow it further; steady, it keeps the step it had at the start, which the cap had already made
safe, while rows used by a few words decay as before (docs/subwords.md, "Steady n-gram rows").
"""

from __future__ import annotations

import torch


class RowCappedSGD:
    """Plain SGD on sparse embedding gradients; see the module docstring for `cap`.

    It has torch.optim.Optimizer's interface as the loop uses it (`param_groups`, `zero_grad`,
    `step`) but is not one: that base class imports torch._dynamo (800 modules, 35-70 MB of
    memory) the first time it is constructed, and plain SGD needs none of its machinery.
    """

    def __init__(self, params, lr: float, cap: float, lookups=None, steady=None):
        # initial_lr: the starting rate (the loop sets lr at every step), against which steady rows are capped
        self.param_groups = [{"params": list(params), "lr": lr, "initial_lr": lr, "cap": cap}]
        self.lookups = lookups or dict  # () -> {parameter: (rows,) lookups per (distinct) gradient row}
        self.steady = steady or dict    # () -> {parameter: (rows,) bool, the gradient rows capped at the starting rate}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every gradient (`set_to_none` is accepted for torch's signature: sparse gradients
        cannot be zeroed in place, so they are always dropped)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def sparse_updates(self):
        """(parameter, rows (n,), values (n, D), lookups of each entry's row (n,), lr, cap) for
        each sparse gradient; dense gradients take their plain SGD step here."""
        weights, steady = self.lookups(), self.steady()
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if not g.is_sparse:
                    p.add_(g, alpha=-group["lr"])
                    continue
                rows, values = g._indices()[0], g._values()                   # (n,), (n, D)
                w = weights.get(p)
                if w is None:                                                  # lookups per gradient row
                    per_row = torch.bincount(rows, minlength=p.shape[0])[rows].to(values.dtype)
                elif w.shape != rows.shape:
                    raise RuntimeError(f"{w.shape[0]} lookup weights for {rows.shape[0]} gradient rows")
                else:                                                          # distinct rows, counted
                    per_row = w
                held = steady.get(p)
                if held is not None:  # lookups counted at lr / start: lr * min(1, cap / n) reads min(lr, start * cap / n)
                    per_row = torch.where(held, per_row * (group["lr"] / group["initial_lr"]), per_row)
                yield p, rows, values, per_row, group["lr"], group["cap"]

    @torch.no_grad()
    def step(self) -> None:
        for p, rows, values, per_row, lr, cap in self.sparse_updates():
            capped_step(p, rows, values, per_row, lr, cap)


def capped_step(p: torch.Tensor, rows: torch.Tensor, values: torch.Tensor, per_row: torch.Tensor,
                lr: float | torch.Tensor, cap: float) -> None:
    """p[rows] -= lr * values * min(1, cap / per_row): each row's summed gradient, capped (lr: a
    number, or one per entry)."""
    # every lookup of a row gets the same factor, so scaling each lookup's gradient
    # scales the row's sum: no sort or unique needed
    scale = (cap / per_row).clamp_(max=1.0) * -lr
    p.index_add_(0, rows, values.mul_(scale[:, None]))  # the gradient is ours to overwrite
