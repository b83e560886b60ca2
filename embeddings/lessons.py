"""The seed, runnable: one-hot versus embeddings, dot versus cosine, and matmul as many dot products.

Each function returns plain NumPy results (the CLI's `embeddings lesson` prints them and
scripts/make_figures.py draws them), so a reader can check every claim with their own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import EmbeddingsError
from .vectors import WordVectors


class ShapeError(EmbeddingsError, ValueError):
    """A matrix product whose inner dimensions differ."""


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, refusing with a clear message when a's columns and b's rows differ.

    (n, d) @ (d, m) -> (n, m): entry (i, j) is the dot product of row i of a with column j of b.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"matmul needs two matrices, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                         f"{b.shape[0]}x{b.shape[1]}): the inner dimensions {a.shape[1]} and {b.shape[0]} "
                         f"must be equal (did you mean to transpose the second matrix?)")
    return a @ b


def one_hot(words: Sequence[str]) -> np.ndarray:
    """(n, n): word i is the unit vector e_i. Every pair of different words is orthogonal."""
    return np.eye(len(words), dtype=np.float32)


def similarity_matrix(wv: WordVectors, words: Sequence[str], metric: str = "cosine") -> np.ndarray:
    """(n, n) scores of every pair of words, computed as one matrix product X @ X.T."""
    if metric not in ("cosine", "dot"):
        raise EmbeddingsError(f"unknown metric {metric!r} (cosine or dot)")
    x = np.stack([wv.get_vector(w, norm=metric == "cosine") for w in words])  # (n, D)
    return matmul(x, x.T)                            # (n, D) @ (D, n) -> (n, n)


@dataclass
class Doubling:
    dot: float           # a . b
    dot_doubled: float   # (2a) . b: twice the dot product
    cosine: float        # cos(a, b)
    cosine_doubled: float  # cos(2a, b): unchanged, cosine only sees directions


def dot_versus_cosine(wv: WordVectors, a: str, b: str, scale: float = 2.0) -> Doubling:
    """What scaling one vector does to each score."""
    x, y = wv[a].astype(np.float64), wv[b].astype(np.float64)

    def cos(p, q):
        return float(p @ q / (np.linalg.norm(p) * np.linalg.norm(q)))
    return Doubling(float(x @ y), float((scale * x) @ y), cos(x, y), cos(scale * x, y))
