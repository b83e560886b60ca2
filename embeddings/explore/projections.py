"""Projections for the explorer: computed once, cached on disk, t-SNE and UMAP in a worker process.

A projection is keyed by a hash of the vectors and of its parameters (method, dim, which words),
and stored as a `.npy` of coordinates plus a `.json` of what it is, so reopening the page (or
restarting the server) is instant. PCA is computed at once in the server; t-SNE and UMAP run in a
separate process, one job at a time, so the server keeps answering (and stays small) while they
compute. The worker writes its progress to a small JSON file that the server reads on each poll.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EmbeddingsError
from ..reduce import METHODS

CACHE_VERSION = 1  # bump when the way a projection is computed changes, so old files are not reused


def vectors_fingerprint(vectors: np.ndarray, words) -> str:
    """sha256 of the vectors' bytes and their words: the part of every cache key that is the model."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    h.update("\n".join(words).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def default_cache_dir(model_path: Path) -> Path:
    """`projections/` beside the model, or a user cache folder when that one is not writable."""
    beside = model_path.parent / "projections"
    try:
        beside.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=beside):
            pass
        return beside
    except OSError:
        home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embeddings" / "projections"
        home.mkdir(parents=True, exist_ok=True)
        return home


@dataclass
class Job:
    key: str
    method: str
    dim: int
    X: np.ndarray                    # the vectors to project, in order (vocabulary rows, then any unseen words')
    started: float = 0.0             # time.time() when its process started; 0 while queued
    process: multiprocessing.process.BaseProcess | None = None
    error: str | None = None
    queued_at: float = field(default_factory=time.time)


def _write_json(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(obj), encoding="utf-8")
    os.replace(tmp, path)


def _save_result(cache: Path, key: str, coords: np.ndarray, meta: dict) -> None:
    tmp = cache / f"{key}.{os.getpid()}.tmp.npy"
    np.save(tmp, coords.astype(np.float32), allow_pickle=False)
    _write_json(cache / f"{key}.json", meta)   # meta first: a .npy present means both are whole
    os.replace(tmp, cache / f"{key}.npy")


def compute(method: str, X: np.ndarray, dim: int, progress=None) -> tuple[np.ndarray, dict]:
    """Coordinates (n, dim) of X's rows by method, and what to say about them (e.g. PCA's variance)."""
    from ..reduce import make_reducer

    reducer = make_reducer(method, n_components=dim)
    if progress is not None and hasattr(reducer, "progress"):
        reducer.progress = progress
    coords = reducer.fit_transform(X)
    extra = {}
    if method == "pca":
        extra["explained_variance_ratio"] = [float(x) for x in reducer.explained_variance_ratio_]
    return np.asarray(coords, dtype=np.float32), extra


def _worker(cache: str, key: str, method: str, dim: int, X: np.ndarray) -> None:
    """Runs in its own process: compute, report progress to `<key>.progress`, save the result."""
    cache_dir = Path(cache)
    progress_path = cache_dir / f"{key}.progress"
    start = time.time()

    def progress(fraction: float, stage: str) -> None:
        _write_json(progress_path, {"progress": float(fraction), "stage": stage, "elapsed": time.time() - start})

    try:
        progress(0.0, "starting")
        coords, extra = compute(method, X, dim, progress)
        _save_result(cache_dir, key, coords, {"method": method, "dim": dim, "n": len(X),
                                              "seconds": time.time() - start, **extra})
    except BaseException as e:  # reported to the page as one line; the server never sees a traceback
        first_line = (str(e).strip().splitlines() or [""])[0]
        _write_json(progress_path, {"error": f"{method} failed: {type(e).__name__}: {first_line}"})
        raise SystemExit(1)
    progress_path.unlink(missing_ok=True)


class ProjectionStore:
    """Finds, computes and caches projections of a model's rows. Safe to call from many threads."""

    def __init__(self, vectors: np.ndarray, words, cache_dir: Path, background: tuple[str, ...] = ("tsne", "umap")):
        self.vectors = vectors
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.fingerprint = vectors_fingerprint(vectors, words)
        self.background = background        # methods computed in the worker process
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server

    def key(self, method: str, dim: int, rows: np.ndarray, extra_words=()) -> str:
        h = hashlib.sha256(f"v{CACHE_VERSION}|{self.fingerprint}|{method}|{dim}|".encode())
        h.update(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
        if extra_words:  # words outside the vocabulary (a subword model's): their vectors follow from the model
            h.update(("|" + "\n".join(extra_words)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]

    def cached(self, key: str) -> tuple[np.ndarray, dict] | None:
        npy, meta = self.cache_dir / f"{key}.npy", self.cache_dir / f"{key}.json"
        if not npy.is_file():
            return None
        try:
            return np.load(npy, allow_pickle=False), json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged cache file is recomputed, not trusted

    def get(self, method: str, dim: int, rows: np.ndarray, extra: np.ndarray | None = None, extra_words=()) -> dict:
        """{"status": "ready", "coords", "meta"} or {"status": "computing"|"queued", "progress", ...}.
        `extra` (m, D): vectors of words outside the vocabulary (`extra_words`, a subword model's
        n-gram vectors), projected after the rows."""
        if method not in METHODS:
            raise EmbeddingsError(f"unknown projection method {method!r} (pca, tsne or umap)")
        key = self.key(method, dim, rows, extra_words)
        hit = self.cached(key)
        if hit is not None:
            return {"status": "ready", "coords": hit[0], "meta": hit[1]}
        X = self.vectors[rows] if extra is None else np.vstack([self.vectors[rows], extra])
        if method not in self.background:
            start = time.time()
            coords, more = compute(method, X, dim)
            meta = {"method": method, "dim": dim, "n": len(X), "seconds": time.time() - start, **more}
            _save_result(self.cache_dir, key, coords, meta)
            return {"status": "ready", "coords": coords, "meta": meta}
        with self._lock:
            self._schedule()                       # reap a finished job, start a queued one
            job = self._jobs.get(key)
            if job is not None and job.error:      # reported once; the next request tries again
                del self._jobs[key]
                return {"status": "error", "error": job.error}
            if job is None:
                hit = self.cached(key)             # finished between the check above and the lock
                if hit is not None:
                    return {"status": "ready", "coords": hit[0], "meta": hit[1]}
                job = self._jobs[key] = Job(key, method, dim, X)
                self._schedule()
            return self._status(job)

    def _schedule(self) -> None:
        """Reap the running job; start the oldest queued one when none runs (one at a time: 2 cores)."""
        running = None
        for job in list(self._jobs.values()):
            if job.process is None:
                continue
            if job.process.is_alive():
                running = job
                continue
            job.process.join()
            if self.cached(job.key) is not None:
                del self._jobs[job.key]
            elif not job.error:
                report = self._progress(job.key)
                job.error = report.get("error") or f"{job.method} stopped (exit code {job.process.exitcode})"
                job.process = None
        if running is None:
            queued = [j for j in self._jobs.values() if j.process is None and not j.error]
            if queued:
                job = min(queued, key=lambda j: j.queued_at)
                job.process = self._ctx.Process(
                    target=_worker, args=(str(self.cache_dir), job.key, job.method, job.dim, job.X),
                    daemon=True, name=f"embeddings-{job.method}")
                job.started = time.time()
                job.process.start()

    def _progress(self, key: str) -> dict:
        try:
            return json.loads((self.cache_dir / f"{key}.progress").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _status(self, job: Job) -> dict:
        hit = self.cached(job.key)
        if hit is not None:
            return {"status": "ready", "coords": hit[0], "meta": hit[1]}
        if job.error:
            return {"status": "error", "error": job.error}
        if job.process is None:
            ahead = sum(1 for j in self._jobs.values() if j.queued_at < job.queued_at)
            return {"status": "queued", "progress": 0.0, "stage": f"waiting for {ahead} other projection(s)",
                    "elapsed": 0.0}
        report = self._progress(job.key)
        return {"status": "computing", "progress": report.get("progress", 0.0),
                "stage": report.get("stage", "starting"), "elapsed": time.time() - job.started}

    def shutdown(self) -> None:
        """Stop any worker (Ctrl-C on the server must not leave a t-SNE running)."""
        with self._lock:
            for job in self._jobs.values():
                if job.process is not None and job.process.is_alive():
                    job.process.terminate()
                    job.process.join(5)
            self._jobs.clear()
