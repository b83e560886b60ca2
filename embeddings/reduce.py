"""PCA, t-SNE and UMAP behind one scikit-learn-like interface, seeded, cosine where there is a metric.

`__init__` only stores parameters; `fit` returns self; learned attributes end in `_`.
t-SNE has no way to place new points, so it offers `fit` and `fit_transform` but no `transform`.
UMAP is imported only when used (it is slow to import), with an install hint if missing.
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import EmbeddingsError

METHODS = ("pca", "tsne", "umap")


class _Reducer:
    def __init__(self, n_components: int = 2, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise EmbeddingsError(f"expected a (n_words, dim) matrix, got shape {X.shape}")
        if self.n_components not in (2, 3):
            raise EmbeddingsError(f"n_components must be 2 or 3, not {self.n_components}")
        if len(X) <= self.n_components:
            raise EmbeddingsError(f"need more than {self.n_components} words to reduce, got {len(X)}")
        return X

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).embedding_


class PCA(_Reducer):
    """Principal components (scikit-learn). `explained_variance_ratio_` says each axis's share."""

    def fit(self, X) -> "PCA":
        from sklearn.decomposition import PCA as SkPCA

        X = self._check(X)
        self.model_ = SkPCA(n_components=self.n_components, random_state=self.random_state).fit(X)
        self.components_ = self.model_.components_
        self.mean_ = self.model_.mean_
        self.explained_variance_ratio_ = self.model_.explained_variance_ratio_
        self.embedding_ = self.model_.transform(X)
        return self

    def transform(self, X) -> np.ndarray:
        return self.model_.transform(np.asarray(X, dtype=np.float32))


class TSNE(_Reducer):
    """t-SNE (scikit-learn), cosine distances by default. No transform: it cannot place new points."""

    def __init__(self, n_components: int = 2, random_state: int = 0, metric: str = "cosine",
                 perplexity: float = 30.0, max_iter: int = 750):
        super().__init__(n_components, random_state)
        self.metric, self.perplexity, self.max_iter = metric, perplexity, max_iter

    def fit(self, X) -> "TSNE":
        from sklearn.manifold import TSNE as SkTSNE

        X = self._check(X)
        perplexity = min(self.perplexity, (len(X) - 1) / 3)  # t-SNE needs perplexity < n
        model = SkTSNE(n_components=self.n_components, metric=self.metric, perplexity=perplexity,
                       init="pca", random_state=self.random_state, max_iter=self.max_iter)
        self.embedding_ = model.fit_transform(X)
        self.kl_divergence_ = float(model.kl_divergence_)
        return self


class UMAP(_Reducer):
    """UMAP (umap-learn), cosine by default; `transform` places new points in a fitted map."""

    def __init__(self, n_components: int = 2, random_state: int = 0, metric: str = "cosine",
                 n_neighbors: int = 15, min_dist: float = 0.1):
        super().__init__(n_components, random_state)
        self.metric, self.n_neighbors, self.min_dist = metric, n_neighbors, min_dist

    def fit(self, X) -> "UMAP":
        try:
            import umap
        except ImportError:  # pragma: no cover - a declared dependency
            raise EmbeddingsError("UMAP needs umap-learn: pip install umap-learn") from None
        X = self._check(X)
        self.model_ = umap.UMAP(n_components=self.n_components, metric=self.metric,
                                n_neighbors=min(self.n_neighbors, len(X) - 1), min_dist=self.min_dist,
                                random_state=self.random_state, init="spectral" if len(X) > 20 else "random")
        with warnings.catch_warnings():  # seeding makes UMAP single-threaded, and it says so each time
            warnings.filterwarnings("ignore", message="n_jobs value")
            self.embedding_ = self.model_.fit_transform(X)
        return self

    def transform(self, X) -> np.ndarray:
        return self.model_.transform(np.asarray(X, dtype=np.float32))


def make_reducer(method: str, n_components: int = 2, random_state: int = 0) -> _Reducer:
    """'pca', 'tsne' or 'umap' with this project's defaults."""
    try:
        cls = {"pca": PCA, "tsne": TSNE, "umap": UMAP}[method]
    except KeyError:
        raise EmbeddingsError(f"unknown reduction method {method!r} (pca, tsne or umap)") from None
    return cls(n_components=n_components, random_state=random_state)
