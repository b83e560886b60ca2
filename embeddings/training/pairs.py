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
from .memory import KeptStorage

PIECE_TOKENS = 1 << 16  # on a CPU a chunk is subsampled this many tokens at a time: small temporaries


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


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias method, in Vose's construction: (accept (V,) float64, alias (V,) int64) such
    that drawing a slot i uniformly, then keeping i with probability accept[i] and taking alias[i]
    otherwise, draws word j with probability probabilities[j] / their sum, exactly (to float64).

    Each draw is then two gathers from tables the size of the vocabulary (a CPU's cache holds them),
    not a binary search of a cumulative table: a step's 12K noise words in about half the time
    (0.36 ms against 0.65, caches cold as in training; README, "How it is fast").
    """
    p = np.asarray(probabilities, dtype=np.float64)
    scaled = p * (len(p) / p.sum())                  # mean 1: each slot holds one word's worth
    accept = np.ones(len(p))
    alias = np.arange(len(p), dtype=np.int64)
    small = np.flatnonzero(scaled < 1.0).tolist()
    large = np.flatnonzero(scaled >= 1.0).tolist()
    rest = scaled.tolist()
    while small and large:                           # a slot under 1 is topped up by a word over 1
        s, g = small.pop(), large[-1]
        accept[s], alias[s] = rest[s], g
        rest[g] -= 1.0 - rest[s]
        if rest[g] < 1.0:
            small.append(large.pop())
    return accept, alias                             # what is left is 1 up to rounding: kept whole


@dataclass
class Batch:
    tokens: torch.Tensor     # (M + 2W,) int64 word ids of the centres and their context
    mask: torch.Tensor       # (M, 2W+1) bool: is tokens[i + k] in centre i's window
    negatives: torch.Tensor  # (G, N) int64 noise words; consecutive input rows share a group's N
    words: float             # corpus words (before subsampling) this batch stands for
    seed: int | None = None  # seeds the model's own draws for this batch (n-gram dropout), if it makes any

    def as_kwargs(self) -> dict:
        kwargs = {"tokens": self.tokens, "mask": self.mask, "negatives": self.negatives}
        return kwargs if self.seed is None else {**kwargs, "seed": self.seed}


class BatchMaker:
    """Draws subsampling, windows and noise words with one seeded generator."""

    def __init__(self, keep_prob: np.ndarray, noise: np.ndarray, window: int, batch_size: int,
                 shared_negatives: int, group_size: int, device: torch.device, generator: torch.Generator,
                 noise_rows: str = "span", dynamic_window: bool = True, shuffle: bool = False,
                 seeds: bool = False):
        self.keep_prob = torch.as_tensor(keep_prob, dtype=torch.float32, device=device)  # (V,)
        accept, alias = alias_table(noise)
        self.noise_accept = torch.as_tensor(accept, device=device)                        # (V,) float64
        self.noise_alias = torch.as_tensor(alias, device=device)                          # (V,) int64
        self.window, self.batch_size, self.shared = window, batch_size, shared_negatives
        self.group_size = group_size
        self.noise_rows = noise_rows  # "span" (skip-gram: inputs) or "centres" (CBOW: window means)
        self.dynamic_window = dynamic_window
        self.shuffle = shuffle  # each chunk's sentences in a random order (shuffle_sentences)
        # a seed per batch for the model's own draws, from this generator: a resumed run, which draws
        # the batches of its chunk again, gives the model the same draws as an uninterrupted one
        self.seeds = seeds
        self.device, self.gen = device, generator
        self._kept = KeptStorage()  # a chunk's arrays, in storage reused by the next chunk
        self.piece = PIECE_TOKENS if device.type == "cpu" else None  # a GPU subsamples a chunk at once

    def _room(self, name: str, n: int, dtype: torch.dtype) -> torch.Tensor:
        """n elements of storage kept from chunk to chunk (memory.KeptStorage). A chunk's few
        arrays live through all its steps; allocated afresh for each chunk, they split the holes
        a step's temporaries leave in the heap, which grew by ~30 MB over an epoch (measured)."""
        return self._kept.take(name, (n,), dtype, self.device)

    def subsample(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Drop sentence marks and frequent words; return (words, sentence number of each, words
        before), the first two in storage the next chunk reuses, words with `window` zeros (the
        span's padding) just outside each end.

        On the CPU the chunk goes PIECE_TOKENS at a time so that its temporaries stay small; the
        draws are the same as all at once (a generator's stream does not depend on how it is cut).
        """
        W, n = self.window, len(ids)
        padded = self._room("ids", n + 2 * W, ids.dtype)
        sentence = self._room("sentence", n, torch.int32)
        kept = before = sentences = 0
        step = self.piece or max(n, 1)
        for a in range(0, n, step):
            part = ids[a: a + step]
            is_end = part == SENTENCE_END
            number = torch.cumsum(is_end, 0, dtype=torch.int32)[~is_end] + sentences  # sentence of each word
            part = part[~is_end]
            keep = torch.rand(len(part), generator=self.gen, device=self.device) < self.keep_prob[part]
            k = int(keep.sum())
            padded[W + kept: W + kept + k] = part[keep]
            sentence[kept: kept + k] = number[keep]
            kept, before, sentences = kept + k, before + len(part), sentences + int(is_end.sum())
        padded[:W] = 0
        padded[W + kept: 2 * W + kept] = 0
        return padded[W: W + kept], sentence[:kept], before

    def shuffle_sentences(self, ids: torch.Tensor, sentence: torch.Tensor) -> None:
        """Put a chunk's (subsampled) sentences in a random order, in place; each keeps its words' order.

        The corpus holds documents sentence after sentence, so a step's span of 8K running
        positions is a few documents, whose topic words repeat in it past the row cap (optim.py):
        of the lookups of words outside the 1,000 most frequent, the cap sets aside 14% in the
        text's order and 5% shuffled (bundled corpus). Windows never cross a sentence
        (window_mask), so shuffling sentences changes no pair of the epoch, only which pairs
        share a step.
        """
        if len(ids) == 0:
            return
        starts = torch.ones(len(sentence), dtype=torch.bool, device=sentence.device)
        starts[1:] = sentence[1:] != sentence[:-1]
        first = starts.nonzero().squeeze(1)                                      # (S,) where each sentence begins
        lengths = torch.diff(first, append=first.new_tensor([len(ids)]))         # (S,)
        order = torch.randperm(len(first), generator=self.gen, device=ids.device)  # (S,) the new order
        new_first = torch.cumsum(lengths[order], 0) - lengths[order]             # (S,) where each lands
        shift = torch.repeat_interleave(first[order] - new_first, lengths[order], output_size=len(ids))
        take = shift + torch.arange(len(ids), device=ids.device)                 # (L,) source of each position
        ids.copy_(ids[take])
        sentence.copy_(torch.repeat_interleave(torch.arange(len(first), device=ids.device, dtype=sentence.dtype),
                                               lengths[order], output_size=len(ids)))

    def noise(self, n: int) -> torch.Tensor:
        """n words from the noise distribution, by the alias method (alias_table): one float64 draw
        each, whose integer part picks a slot and whose fraction picks its word or its alias."""
        slots = len(self.noise_alias)
        x = torch.rand(n, generator=self.gen, device=self.device, dtype=torch.float64).mul_(slots)  # (n,)
        slot = x.long().clamp_(max=slots - 1)                                                     # (n,)
        return torch.where(x.sub_(slot) < self.noise_accept[slot], slot, self.noise_alias[slot])

    def batches(self, chunk: np.ndarray) -> Iterator[Batch]:
        """Yield the batches of one chunk of ids (a numpy array with SENTENCE_END marks)."""
        W, M = self.window, self.batch_size
        ids, sentence, n_words = self.subsample(torch.as_tensor(chunk, device=self.device))
        if self.shuffle:
            self.shuffle_sentences(ids, sentence)
        del chunk                                    # the caller's copy is its own; ours need not live on
        L = len(ids)
        if L == 0:
            return
        ids_p = self._kept.blocks["ids"][:L + 2 * W]        # the words with W zeros each side: (L + 2W,)
        # word2vec's dynamic window: centre i sees contexts up to b_i away, b_i ~ U{1..W}
        reach = self._room("reach", L, torch.int16 if W < 1 << 15 else torch.int32)  # int64's draws, less memory
        if self.dynamic_window:
            torch.randint(1, W + 1, (L,), generator=self.gen, device=self.device, out=reach)  # (L,)
        else:
            reach.fill_(W)
        # M (TrainConfig.centres_per_batch) makes the rows that share noise words (the span, or
        # the centres) a whole number of groups: no padding copies in the model
        extra = 2 * W if self.noise_rows == "span" else 0
        for s in range(0, L, M):
            e = min(L, s + M)
            groups = -(-(e - s + extra) // self.group_size)
            negatives = self.noise(groups * self.shared).view(groups, self.shared)     # (G, N)
            seed = int(torch.randint(1 << 62, (1,), generator=self.gen, device=self.device)) if self.seeds else None
            yield Batch(ids_p[s: e + 2 * W].clone(), window_mask(sentence, reach, W, s, e), negatives,  # ids_p is reused
                        n_words * (e - s) / L, seed)
