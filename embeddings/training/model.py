"""Skip-gram and CBOW with negative sampling as torch modules whose forward returns the loss.

Both score a batch that is a span of running text (see pairs.py): ``tokens`` (M + 2W,) and the
window mask (M, 2W+1). The input vectors of the whole span are gathered once, H = W_in[tokens];
the window of centre i is rows i .. i + 2W of H, so all positive pairs are one batched product
(ops.SkipGramLoss, ops.CBOWLoss). Negatives are N noise words shared by a group of consecutive
rows, so all negative scores are one batched (rows, D) @ (D, N) product. Each shared noise word carries weight
K / N, so the expected loss (and gradient) equals word2vec's K independent noise words per pair.
Embeddings are sparse: backward yields rows of gradient, and SGD touches only those rows.
"""

from __future__ import annotations

import torch
from torch import nn

from .ops import CBOWLoss, SkipGramLoss


class _Word2Vec(nn.Module):
    loss_function: type[torch.autograd.Function]  # ops.SkipGramLoss or ops.CBOWLoss
    noise_rows: str                               # rows that share noise words: "span" or "centres"

    def __init__(self, vocab_size: int, dim: int, window: int, negative: int, init: float = 0.5):
        super().__init__()
        self.window, self.negative = window, negative
        self.in_embed = nn.Embedding(vocab_size, dim, sparse=True)   # the word vectors we keep
        self.out_embed = nn.Embedding(vocab_size, dim, sparse=True)  # output ("context") vectors
        with torch.no_grad():  # word2vec's initialisation: small uniform inputs, zero outputs
            self.in_embed.weight.uniform_(-init / dim, init / dim)
            self.out_embed.weight.zero_()

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        m = mask.shape[0]
        h = self.in_embed(tokens)                                     # (M+2W, D) inputs of the span
        centres = tokens[self.window: self.window + m]                # (M,)
        out = self.out_embed(torch.cat([centres, negatives.reshape(-1)]))  # (M+G*N, D) one lookup
        return self.loss_function.apply(h, out, mask.to(h.dtype), self.negative, negatives.shape[0])


class SkipGram(_Word2Vec):
    """Each context word predicts the centre word (word2vec.c's skip-gram order)."""

    loss_function = SkipGramLoss
    noise_rows = "span"  # noise groups run over the inputs: the whole span of M + 2W rows


class CBOW(_Word2Vec):
    """The mean of the context words' vectors predicts the centre word.

    As in word2vec.c and gensim (cbow_mean=1), each context word's vector receives the full
    gradient of the mean, not 1/count of it (see ops.CBOWLoss).
    """

    loss_function = CBOWLoss
    noise_rows = "centres"  # noise groups run over the M window means


def build_model(arch: str, vocab_size: int, dim: int, window: int, negative: int, init: float = 0.5) -> _Word2Vec:
    return {"skipgram": SkipGram, "cbow": CBOW}[arch](vocab_size, dim, window, negative, init)
