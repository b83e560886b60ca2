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
    """t-SNE, cosine distances by default. No transform: it cannot place new points.

    Computed by openTSNE (Poličar et al. 2024): FFT-accelerated interpolation for the gradient
    (Linderman et al. 2019) and approximate nearest neighbours, so 75k words take minutes where
    scikit-learn's Barnes-Hut takes over 12 (measured side by side: README, "Exploring in the browser").
    Barnes-Hut below FFT_ABOVE points, where it is the faster of the two.
    `progress`, if set, is called as progress(fraction, stage) while it runs.
    """

    FFT_ABOVE = 20_000  # measured: Barnes-Hut faster at 5k (12.7 s) and 10k (26.7 vs 29.2 s), FFT at 75k

    def __init__(self, n_components: int = 2, random_state: int = 0, metric: str = "cosine",
                 perplexity: float = 30.0, max_iter: int = 750, progress=None):
        super().__init__(n_components, random_state)
        self.metric, self.perplexity, self.max_iter = metric, perplexity, max_iter
        self.progress = progress

    def fit(self, X) -> "TSNE":
        import openTSNE

        X = self._check(X)
        exaggeration_iter = min(250, self.max_iter // 3)
        total = self.max_iter
        done = {"iters": 0, "last": 0}

        def report(iteration, error, embedding):  # openTSNE counts iterations anew in each phase
            done["iters"] += iteration - done["last"] if iteration > done["last"] else iteration
            done["last"] = iteration
            if self.progress is not None:
                self.progress(0.15 + 0.85 * min(1.0, done["iters"] / total), "optimizing layout")
            return False

        if self.progress is not None:
            self.progress(0.0, "finding nearest neighbours")
        # FFT interpolation is fastest in 2D for large n; in 3D its grid grows as n_intervals^3,
        # so Barnes-Hut stays the method there.
        method = "fft" if len(X) >= self.FFT_ABOVE and self.n_components == 2 else "bh"
        model = openTSNE.TSNE(
            n_components=self.n_components, perplexity=min(self.perplexity, (len(X) - 1) / 3),
            metric=self.metric, initialization="pca", random_state=self.random_state,
            early_exaggeration_iter=exaggeration_iter, n_iter=self.max_iter - exaggeration_iter,
            negative_gradient_method=method, n_jobs=-1, callbacks=report, callbacks_every_iters=10,
            neighbors="exact" if len(X) < 1000 else "auto")
        embedding = model.fit(X)
        self.embedding_ = np.asarray(embedding, dtype=np.float32)
        self.kl_divergence_ = float(embedding.kl_divergence)
        return self


class UMAP(_Reducer):
    """UMAP (umap-learn), cosine by default; `transform` places new points in a fitted map."""

    def __init__(self, n_components: int = 2, random_state: int = 0, metric: str = "cosine",
                 n_neighbors: int = 15, min_dist: float = 0.1, progress=None):
        super().__init__(n_components, random_state)
        self.metric, self.n_neighbors, self.min_dist = metric, n_neighbors, min_dist
        self.progress = progress

    def fit(self, X) -> "UMAP":
        try:
            import umap
        except ImportError:  # pragma: no cover - a declared dependency
            raise EmbeddingsError("UMAP needs umap-learn: pip install umap-learn") from None
        X = self._check(X)
        self.model_ = umap.UMAP(n_components=self.n_components, metric=self.metric,
                                n_neighbors=min(self.n_neighbors, len(X) - 1), min_dist=self.min_dist,
                                random_state=self.random_state, init="spectral" if len(X) > 20 else "random",
                                **self._progress_kwargs())
        if self.progress is not None:
            self.progress(0.0, "finding nearest neighbours")
        with warnings.catch_warnings():  # seeding makes UMAP single-threaded, and it says so each time
            warnings.filterwarnings("ignore", message="n_jobs value")
            self.embedding_ = self.model_.fit_transform(X)
        return self

    def transform(self, X) -> np.ndarray:
        return self.model_.transform(np.asarray(X, dtype=np.float32))

    def _progress_kwargs(self) -> dict:
        """umap-learn reports layout epochs only through tqdm: give it a bar whose 'file' calls progress."""
        if self.progress is None:
            return {}
        return {"tqdm_kwds": {"disable": False, "file": _EpochReport(self.progress), "bar_format": "{n}/{total}\n",
                              "mininterval": 0.25}}


class _EpochReport:
    """A file for tqdm that turns its 'n/total' lines into progress(fraction, stage) calls."""

    def __init__(self, progress):
        self.progress = progress

    def write(self, text: str) -> None:
        for line in text.replace("\r", "\n").split("\n"):
            n, _, total = line.strip().partition("/")
            if n.isdigit() and total.isdigit() and int(total):
                self.progress(0.3 + 0.7 * int(n) / int(total), "optimizing layout")

    def flush(self) -> None:
        pass


def make_reducer(method: str, n_components: int = 2, random_state: int = 0) -> _Reducer:
    """'pca', 'tsne' or 'umap' with this project's defaults."""
    try:
        cls = {"pca": PCA, "tsne": TSNE, "umap": UMAP}[method]
    except KeyError:
        raise EmbeddingsError(f"unknown reduction method {method!r} (pca, tsne or umap)") from None
    return cls(n_components=n_components, random_state=random_state)
