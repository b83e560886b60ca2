"""Turn a chunk of word ids into training batches on the device: subsampling, dynamic windows, noise.

A batch is a contiguous span of (subsampled) running text, not a list of pairs: ``tokens`` holds
M centre positions plus ``window`` positions of context on each side, and ``mask[i, k]`` says
whether ``tokens[i + k]`` (offset k - W from centre i) is in centre i's window; column W, the
centre itself, is always False. Every (centre, context) pair of word2vec is one True in the mask,
so the model scores all of them through strided windows of one gathered (M + 2W, D) matrix
instead of gathering a row per pair. Everything here is vectorised torch on the chunk's device:
no Python loop over tokens, no host round-trip per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from .encoded import SENTENCE_END


def window_offsets(window: int) -> list[int]:
    """Offsets -W..W of a batch mask's columns (column W, offset 0, is the centre: never a context)."""
    return list(range(-window, window + 1))


def window_mask(sentence: torch.Tensor, reach: torch.Tensor, window: int, start: int = 0,
                stop: int | None = None) -> torch.Tensor:
    """(stop - start, 2W+1) bool: for centres i in start..stop (default: all), position i + d
    (d = k - W) is within reach[i] of i, in the same sentence, d != 0. A batch asks for its own
    rows only, so a chunk never holds the masks of all its positions at once."""
    W, L = window, len(sentence)
    stop = L if stop is None else stop
    lo, hi = max(0, start - W), min(L, stop + W)
    left = torch.full((W - (start - lo),), -1, dtype=sentence.dtype, device=sentence.device)
    right = torch.full((W - (hi - stop),), -2, dtype=sentence.dtype, device=sentence.device)
    sent_p = torch.cat([left, sentence[lo:hi], right])  # (stop - start + 2W,) padding never matches a sentence
    distance = torch.tensor([abs(d) for d in window_offsets(W)], device=sentence.device)  # (2W+1,)
    same_line = sent_p.unfold(0, 2 * W + 1, 1) == sentence[start:stop].unsqueeze(1)   # (n, 2W+1)
    in_reach = (reach[start:stop].unsqueeze(1) >= distance) & (distance > 0)           # (n, 2W+1)
    return same_line & in_reach


def mask_to_pairs(tokens: torch.Tensor, mask: torch.Tensor, window: int) -> list[tuple[int, int]]:
    """The (centre, context) word pairs a batch stands for, in text order (for tests and teaching)."""
    pairs = []
    for i, row in enumerate(mask.tolist()):
        for k, on in enumerate(row):
            if on:
                pairs.append((int(tokens[window + i]), int(tokens[i + k])))
    return pairs


@dataclass
class Batch:
    tokens: torch.Tensor     # (M + 2W,) int64 word ids of the centres and their context
    mask: torch.Tensor       # (M, 2W+1) bool: is tokens[i + k] in centre i's window
    negatives: torch.Tensor  # (G, N) int64 noise words; consecutive input rows share a group's N
    words: float             # corpus words (before subsampling) this batch stands for

    def as_kwargs(self) -> dict:
        return {"tokens": self.tokens, "mask": self.mask, "negatives": self.negatives}


class BatchMaker:
    """Draws subsampling, windows and noise words with one seeded generator."""

    def __init__(self, keep_prob: np.ndarray, noise: np.ndarray, window: int, batch_size: int,
                 shared_negatives: int, group_size: int, device: torch.device, generator: torch.Generator,
                 noise_rows: str = "span", dynamic_window: bool = True):
        self.keep_prob = torch.as_tensor(keep_prob, dtype=torch.float32, device=device)  # (V,)
        cdf = torch.as_tensor(np.cumsum(noise), dtype=torch.float64, device=device)
        self.noise_cdf = (cdf / cdf[-1]).float()                                          # (V,)
        self.window, self.batch_size, self.shared = window, batch_size, shared_negatives
        self.group_size = group_size
        self.noise_rows = noise_rows  # "span" (skip-gram: inputs) or "centres" (CBOW: window means)
        self.dynamic_window = dynamic_window
        self.device, self.gen = device, generator

    def subsample(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Drop sentence marks and frequent words; return (words, sentence number, words before)."""
        is_end = ids == SENTENCE_END
        sentence = torch.cumsum(is_end, 0)[~is_end]  # (L0,) sentence number of each word
        ids = ids[~is_end]                           # (L0,)
        keep = torch.rand(len(ids), generator=self.gen, device=self.device) < self.keep_prob[ids]
        return ids[keep], sentence[keep], len(ids)

    def noise(self, n: int) -> torch.Tensor:
        """n words from the noise distribution (inverse CDF, exact for any vocabulary size)."""
        u = torch.rand(n, generator=self.gen, device=self.device)
        return torch.searchsorted(self.noise_cdf, u).clamp_(max=len(self.noise_cdf) - 1)

    def batches(self, chunk: np.ndarray) -> Iterator[Batch]:
        """Yield the batches of one chunk of ids (a numpy array with SENTENCE_END marks)."""
        W, M = self.window, self.batch_size
        ids = torch.as_tensor(chunk, device=self.device)
        ids, sentence, n_words = self.subsample(ids)
        L = len(ids)
        if L == 0:
            return
        # word2vec's dynamic window: centre i sees contexts up to b_i away, b_i ~ U{1..W}
        reach = (torch.randint(1, W + 1, (L,), generator=self.gen, device=self.device) if self.dynamic_window
                 else torch.full((L,), W, device=self.device))                            # (L,)
        pad = torch.zeros(W, dtype=ids.dtype, device=self.device)
        ids_p = torch.cat([pad, ids, pad])                                             # (L + 2W,)
        # M (TrainConfig.centres_per_batch) makes the rows that share noise words (the span, or
        # the centres) a whole number of groups: no padding copies in the model
        extra = 2 * W if self.noise_rows == "span" else 0
        for s in range(0, L, M):
            e = min(L, s + M)
            groups = -(-(e - s + extra) // self.group_size)
            negatives = self.noise(groups * self.shared).view(groups, self.shared)     # (G, N)
            yield Batch(ids_p[s: e + 2 * W], window_mask(sentence, reach, W, s, e), negatives,
                        n_words * (e - s) / L)
