"""The vocabulary: words, counts and indices, plus the subsampling and noise distributions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np

SAMPLE = 1e-3       # Mikolov et al. (2013) subsampling threshold t
WORD2VEC_NS_EXPONENT = 0.75  # Mikolov et al. (2013); training uses fastText's 0.5 (config.NS_EXPONENT)


@dataclass(frozen=True)
class Vocab:
    """Words sorted by descending count (ties keep first appearance), as word2vec and gensim do."""

    words: tuple[str, ...]
    counts: np.ndarray  # (V,) int64

    def __post_init__(self):
        counts = np.asarray(self.counts, dtype=np.int64)
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    @cached_property
    def index(self) -> dict[str, int]:
        """{word: row}, made when first asked for: training never asks (4 MB for 75K words)."""
        return {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def total_words(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def from_counts(cls, words: Sequence[str], counts: Iterable[int], min_count: int = 5,
                    max_vocab: int | None = None) -> "Vocab":
        """Keep words seen at least min_count times, at most max_vocab of the most frequent."""
        counts = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts, dtype=np.int64)
        order = np.argsort(-counts, kind="stable")  # stable: ties stay in first-seen order
        order = order[counts[order] >= min_count]
        if max_vocab is not None:
            order = order[:max_vocab]
        return cls(tuple(words[i] for i in order), counts[order])

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 5,
              max_vocab: int | None = None) -> "Vocab":
        """Count the words of tokenized sentences and build the vocabulary."""
        index: dict[str, int] = {}
        counts: list[int] = []
        for sentence in sentences:
            for word in sentence:
                i = index.setdefault(word, len(index))
                if i == len(counts):
                    counts.append(0)
                counts[i] += 1
        return cls.from_counts(list(index), counts, min_count, max_vocab)

    def keep_probabilities(self, sample: float = SAMPLE) -> np.ndarray:
        """P(keep w) = (sqrt(f/t) + 1) * t / f, capped at 1, with f = count/total and t = sample.

        This is word2vec.c's (and gensim's) form of Mikolov's subsampling; sample=0 keeps all.
        """
        if sample <= 0 or len(self) == 0:
            return np.ones(len(self))
        f = self.counts / self.total_words
        return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)

    def noise_distribution(self, exponent: float = WORD2VEC_NS_EXPONENT) -> np.ndarray:
        """P(noise = w) proportional to count(w) ** exponent."""
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()
