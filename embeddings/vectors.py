"""WordVectors: trained vectors as a read-only NumPy object, with their words (no torch needed).

Files are formats.py's business (load_vectors, save_vectors): this module imports nothing of the
project but its errors, so the two never import each other.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

import numpy as np

from .errors import EmbeddingsError, UnknownWordError


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class WordVectors:
    """Words and their vectors: ``index_to_word[i]`` names row i of ``vectors``.

    Arrays are read-only; the unit-length copy used by cosine similarity is computed once. The
    vectors given are copied, unless they already are a read-only float32 array: that one is taken
    as it is (a memory-mapped file stays mapped, and training hands over its finished weights
    without holding them twice), on the promise that nothing writes it through another name.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, counts: Iterable[int] | None = None):
        if not (isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and not vectors.flags.writeable):
            vectors = np.array(vectors, dtype=np.float32, copy=True)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise EmbeddingsError(f"{len(words)} words but vectors of shape {vectors.shape}")
        self.index_to_word: tuple[str, ...] = tuple(words)
        self.word_to_index: dict[str, int] = {w: i for i, w in enumerate(self.index_to_word)}
        if len(self.word_to_index) != len(self.index_to_word):
            raise EmbeddingsError("the vocabulary lists a word twice")
        self.vectors = _readonly(vectors)
        self.counts = None if counts is None else _readonly(np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts, dtype=np.int64))
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    # --- size and lookup -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_word)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __contains__(self, word: object) -> bool:
        return word in self.word_to_index

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words, dim={self.dim})"

    def index(self, word: str) -> int:
        """Row of word, or UnknownWordError naming it and suggesting close words."""
        try:
            return self.word_to_index[word]
        except (KeyError, TypeError):
            raise UnknownWordError(str(word), self.suggest(str(word))) from None

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Words spelled like word (the 50,000 most frequent are searched); swapped letters
        ("kign" -> "king") rank first, then similarity, then frequency."""
        word = word.lower()
        close = difflib.get_close_matches(word, self.index_to_word[:50_000], n=12, cutoff=0.7)
        same_letters = sorted(word)
        return sorted(close, key=lambda w: (sorted(w) != same_letters,
                                            -difflib.SequenceMatcher(None, word, w).ratio(),
                                            self.word_to_index[w]))[:n]

    def composed(self, word: str) -> bool:
        """True if word's vector is built from its character n-grams (SubwordVectors only)."""
        return False

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index(word)]

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        i = self.index(word)
        return self.unit[i] if norm else self.vectors[i]

    # --- cached derived arrays ---------------------------------------------------------------
    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self._norms = _readonly(np.linalg.norm(self.vectors, axis=1))
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        """Vectors scaled to length 1 (zero vectors stay zero): cosine is then a dot product."""
        if self._unit is None:
            self._unit = _readonly(self.vectors / np.maximum(self.norms, 1e-12)[:, None])
        return self._unit
