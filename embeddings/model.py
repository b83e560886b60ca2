"""Skip-gram and CBOW with negative sampling as torch modules whose forward returns the loss.

Both score a batch that is a span of running text (see pairs.py): ``tokens`` (M + 2W,) and the
window mask (M, 2W+1). The input vectors of the whole span are gathered once, H = W_in[tokens];
the window of centre i is rows i .. i + 2W of H, so all positive pairs are one batched product
(ops.window_dot). Negatives are N noise words shared by a group of consecutive inputs, so all
negative scores are one batched (rows, D) @ (D, N) product. Each shared noise word carries weight
K / N, so the expected loss (and gradient) equals word2vec's K independent noise words per pair.
Embeddings are sparse: backward yields rows of gradient, and SGD touches only those rows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .ops import window_dot, window_sum


class _Word2Vec(nn.Module):
    def __init__(self, vocab_size: int, dim: int, window: int, negative: int):
        super().__init__()
        self.window, self.negative = window, negative
        self.in_embed = nn.Embedding(vocab_size, dim, sparse=True)   # the word vectors we keep
        self.out_embed = nn.Embedding(vocab_size, dim, sparse=True)  # output ("context") vectors
        with torch.no_grad():  # word2vec's initialisation: small uniform inputs, zero outputs
            self.in_embed.weight.uniform_(-0.5 / dim, 0.5 / dim)
            self.out_embed.weight.zero_()

    def noise_loss(self, h: torch.Tensor, weight: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """sum_j weight_j * (K/N) * sum_n softplus(h_j . u_n): rows of h in groups, each with N noise words.

        Consecutive rows of h share one group's N noise words, so the scores are one batched
        matrix product (G groups of (rows, D) @ (D, N)) and each noise row is shared by few inputs.
        """
        groups, n = negatives.shape                          # (G, N)
        rows = -(-len(h) // groups)                          # inputs per group, rounded up
        pad = groups * rows - len(h)
        if pad:
            h = F.pad(h, (0, 0, 0, pad))
            weight = F.pad(weight, (0, pad))
        noise = self.out_embed(negatives)                    # (G, N, D)
        scores = torch.bmm(h.view(groups, rows, -1), noise.transpose(1, 2))  # (G, rows, N)
        per_input = F.softplus(scores).sum(2).view(-1)       # (G*rows,)
        return (per_input * weight).sum() * (self.negative / n)



class SkipGram(_Word2Vec):
    """Each context word predicts the centre word (word2vec.c's skip-gram order)."""

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        m, width = mask.shape
        weights = mask.to(torch.float32)                     # (M, 2W+1) one per (centre, context) pair
        h = self.in_embed(tokens)                            # (M+2W, D) inputs of the whole span
        u = self.out_embed(tokens[self.window: self.window + m])  # (M, D) centre outputs
        scores = window_dot(h, u)                            # (M, 2W+1) context . centre
        pos = (F.softplus(-scores) * weights).sum()
        uses = torch.zeros(len(tokens), device=h.device)     # (M+2W,) pairs each input is in
        for k in range(width):
            uses[k:k + m] += weights[:, k]
        return pos + self.noise_loss(h, uses, negatives)


class CBOW(_Word2Vec):
    """The mean of the context words' vectors predicts the centre word."""

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        m = mask.shape[0]
        weights = mask.to(torch.float32)                     # (M, 2W+1)
        count = weights.sum(1, keepdim=True)                 # (M, 1) contexts per centre
        h = self.in_embed(tokens)                            # (M+2W, D)
        ctx = window_sum(h, weights / count.clamp(min=1))    # (M, D) mean of each window
        has_ctx = (count[:, 0] > 0).to(torch.float32)        # (M,) centres with no context add nothing
        u = self.out_embed(tokens[self.window: self.window + m])  # (M, D)
        pos = (F.softplus(-(ctx * u).sum(-1)) * has_ctx).sum()
        return pos + self.noise_loss(ctx, has_ctx, negatives)


def build_model(arch: str, vocab_size: int, dim: int, window: int, negative: int) -> _Word2Vec:
    return {"skipgram": SkipGram, "cbow": CBOW}[arch](vocab_size, dim, window, negative)
