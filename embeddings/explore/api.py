"""The explorer's web app: a JSON API over similarity, analogies and projections, and the page.

FastAPI (on Starlette, served by uvicorn): typed query parameters are validated before a handler
runs, and the OpenAPI description is written from the same signatures, so `/docs` always matches
the code. Handlers are plain `def`s: FastAPI runs them in a thread pool, and NumPy's matrix
products release the GIL, so concurrent requests overlap.

Every answer is JSON; every expected problem is a 4xx with {"error": "one line naming it"}.
Words are data, never markup: the page inserts them with textContent.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import re
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .. import formats
from ..errors import EmbeddingsError, UnknownWordError
from ..similarity import analogy as library_analogy
from ..similarity import cosine as library_cosine
from ..similarity import dot as library_dot
from ..similarity import most_similar, project_on_axes
from ..vectors import WordVectors
from .batching import ScoreBatcher
from .projections import ProjectionStore

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_K = 1000          # neighbours or analogy answers in one answer
MAX_LIMIT = 1000      # autocomplete rows
MAX_WORDS = 5000      # words named in one request (isolate, custom axes)
DEFAULT_MAP = 10_000  # words on the first map


class ApiError(Exception):
    """An expected problem with a request: its status and one line for the user."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _word_list(text: str | None, name: str) -> list[str]:
    """'a,b,c' -> ['a', 'b', 'c'] (words holding a comma cannot be named this way); None -> []."""
    words = [w for w in (text or "").split(",") if w != ""]
    if text is not None and not words:
        raise ApiError(400, f"{name}: no words given; write them comma-separated, e.g. {name}=king,queen")
    if len(words) > MAX_WORDS:
        raise ApiError(400, f"{name}: at most {MAX_WORDS} words, got {len(words)}")
    return words


def _pair(text: str, name: str) -> tuple[str, str]:
    words = _word_list(text, name)
    if len(words) != 2:
        raise ApiError(400, f"{name} must be two words 'from,to' (e.g. {name}=man,woman), got {text!r}")
    return words[0], words[1]


def _rounded(coords: np.ndarray) -> list:
    """Coordinates as JSON lists, 5 significant digits: plenty for a screen, a third of the bytes."""
    scale = float(np.abs(coords).max()) if coords.size else 1.0
    decimals = max(0, 5 - int(np.ceil(np.log10(scale + 1e-12))))
    return np.round(coords.astype(np.float64), decimals).tolist()


def _importmap_hash() -> str:
    """CSP hash of the page's one inline script, the import map (so script-src stays 'self')."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    return "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() + "'" if m else ""


class SecurityHeaders:
    """Pure ASGI middleware (cheaper per request than @app.middleware): nosniff on every answer,
    and the page's Content-Security-Policy (scripts and styles from this server only)."""

    def __init__(self, app, csp: str):
        self.app, self.csp = app, csp.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        is_page = scope["path"] == "/"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if is_page:
                    headers.append((b"content-security-policy", self.csp))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Explorer:
    """The state behind the API: the vectors (fixed at start), a word index and the projections."""

    def __init__(self, wv: WordVectors, store: ProjectionStore | None, name: str):
        self.wv, self.store, self.name = wv, store, name
        wv.unit, wv.norms  # computed now, not by the first concurrent requests
        self.batchers = {"cosine": ScoreBatcher(wv.unit, "cosine"), "dot": ScoreBatcher(wv.vectors, "dot")}
        order = sorted(range(len(wv)), key=wv.index_to_word.__getitem__)
        self.sorted_words = [wv.index_to_word[i] for i in order]   # for prefix search by bisection
        self.sorted_rank = np.asarray(order, dtype=np.int64)       # their rows: row order is frequency order

    def scores(self, q: np.ndarray, metric: str) -> np.ndarray:
        """The library's scorer hook: concurrent requests share one matrix product."""
        return self.batchers[metric].scores(q)

    def index(self, word: str, name: str = "word", unseen: bool = False) -> int:
        """word's row; with unseen=True a word outside a subword model's vocabulary is -1 (its
        vector comes from its character n-grams) rather than a 404."""
        if unseen and self.wv.composed(word):
            return -1
        try:
            return self.wv.index(word)
        except UnknownWordError as e:
            raise ApiError(404, str(e) if name == "word" else f"{name}: {e}", word=word, suggestions=e.suggestions) from None

    def check_k(self, k: int, name: str = "k") -> None:
        if k > len(self.wv) - 1:
            raise ApiError(400, f"{name} must be at most {len(self.wv) - 1} (the vocabulary less the word), got {k}")

    def prefix(self, prefix: str, limit: int) -> list[int]:
        """Rows of the words starting with prefix, most frequent first."""
        lo = bisect.bisect_left(self.sorted_words, prefix)
        hi = bisect.bisect_left(self.sorted_words, prefix + "\U0010ffff")
        rows = self.sorted_rank[lo:hi]
        if len(rows) > limit:
            rows = np.partition(rows, limit - 1)[:limit]
        return np.sort(rows).tolist()

    def rows(self, words: list[str], n: int | None) -> tuple[np.ndarray, list[str]]:
        """The vocabulary rows of the chosen words (or of the n most frequent), and the chosen words
        outside a subword model's vocabulary, whose vectors come from their character n-grams."""
        if words:
            rows, unseen = [], []
            for w in dict.fromkeys(words):
                i = self.index(w, "words", unseen=True)
                if i < 0:
                    unseen.append(w)
                else:
                    rows.append(i)
            return np.asarray(rows, dtype=np.int64), unseen
        n = min(DEFAULT_MAP, len(self.wv)) if n is None else n
        if n > len(self.wv):
            raise ApiError(400, f"n must be at most {len(self.wv)} (the vocabulary), got {n}")
        return np.arange(min(n, len(self.wv)), dtype=np.int64), []

    def word_rows(self, rows: np.ndarray, unseen: list[str] = ()) -> dict:
        """words, rows and counts of the rows, then of the unseen words (row -1, count 0), and
        from_ngrams: the unseen words."""
        wv = self.wv
        words = [wv.index_to_word[i] for i in rows.tolist()] + list(unseen)
        counts = wv.counts[rows].tolist() + [0] * len(unseen) if wv.counts is not None else None
        return {"words": words, "rows": rows.tolist() + [-1] * len(unseen), "counts": counts,
                "from_ngrams": list(unseen)}


def create_app(wv: WordVectors, store: ProjectionStore | None = None, name: str = "model",
               allowed_hosts=LOOPBACK_HOSTS) -> FastAPI:
    """The app for one set of vectors. `store` caches projections (None: PCA only, computed per call)."""
    ex = Explorer(wv, store, name)
    app = FastAPI(title="embeddings explorer API", version="1",
                  description="Neighbours, analogies, similarity, autocomplete and projections of one "
                              "set of word vectors. Errors are JSON: {\"error\": \"...\"}.",
                  docs_url=None, redoc_url=None)
    app.state.explorer = ex
    if allowed_hosts and "*" not in allowed_hosts:  # a page elsewhere cannot DNS-rebind onto this API
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    csp = ("default-src 'self'; script-src 'self' " + _importmap_hash() + "; style-src 'self'; "
           "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

    app.add_middleware(SecurityHeaders, csp=csp)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError):
        return JSONResponse({"error": e.message, **e.extra}, status_code=e.status)

    @app.exception_handler(EmbeddingsError)
    async def library_error(request: Request, e: EmbeddingsError):
        return JSONResponse({"error": str(e)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, e: RequestValidationError):
        problems = []
        for err in e.errors():
            where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
            got = err.get("input")
            problems.append(f"{where}: {err.get('msg', 'invalid')}" + (f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""))
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException):
        message = "no such page or endpoint" if e.status_code == 404 else str(e.detail)
        return JSONResponse({"error": message}, status_code=e.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception):  # never a traceback to the client
        return JSONResponse({"error": f"internal error: {type(e).__name__}"}, status_code=500)

    # --- the page and its files ----------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="embeddings explorer API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    # --- the API -------------------------------------------------------------------------------
    @app.get("/api/info", summary="What is loaded")
    def info():
        """The model's name, size and dimension, and the limits of the other endpoints."""
        return {"name": ex.name, "words": len(wv), "dim": wv.dim, "counts": wv.counts is not None,
                "subwords": None if not hasattr(wv, "ngram_rows") else {"minn": wv.minn, "maxn": wv.maxn,
                                                                       "buckets": wv.buckets},
                "default_n": min(DEFAULT_MAP, len(wv)), "max_k": min(MAX_K, len(wv) - 1),
                "projection_methods": ["pca", "tsne", "umap"]}

    @app.get("/api/neighbors", summary="Nearest neighbours of a word")
    def neighbors(word: str = Query(..., min_length=1, description="the word", examples=["king"]),
                  k: int = Query(10, ge=1, le=MAX_K, description="how many neighbours"),
                  metric: Literal["cosine", "dot"] = Query("cosine", description="cosine or raw dot product")):
        """The k words with the highest cosine (or dot product) with `word`, the word itself left out
        (as `embeddings.most_similar` and gensim's `most_similar`)."""
        row = ex.index(word, unseen=True)
        ex.check_k(k)
        rows = most_similar(wv, word, topn=k, metric=metric, scorer=ex.scores)
        return {"word": word, "metric": metric, "norm": float(np.linalg.norm(wv.get_vector(word))),
                "from_ngrams": row < 0,
                "neighbors": [{"word": w, "score": s, "row": wv.word_to_index[w]} for w, s in rows]}

    @app.get("/api/analogy", summary="a : b :: c : ?")
    def analogy(a: str = Query(..., min_length=1, examples=["man"]), b: str = Query(..., min_length=1, examples=["king"]),
                c: str = Query(..., min_length=1, examples=["woman"]), k: int = Query(10, ge=1, le=MAX_K),
                method: Literal["add", "mul"] = Query("add", description="3CosAdd or 3CosMul")):
        """Words x maximising cos(x, b) - cos(x, a) + cos(x, c) (3CosAdd, i.e. b - a + c) or
        3CosMul, leaving a, b and c out: `man : king :: woman : ?` is king - man + woman."""
        unseen = [w for name, w in (("a", a), ("b", b), ("c", c)) if ex.index(w, name, unseen=True) < 0]
        ex.check_k(k)
        rows = library_analogy(wv, a, b, c, topn=k, method=method, scorer=ex.scores)
        return {"a": a, "b": b, "c": c, "method": method, "from_ngrams": unseen,
                "results": [{"word": w, "score": s, "row": wv.word_to_index[w]} for w, s in rows]}

    @app.get("/api/similarity", summary="Dot product, cosine and norms of two words")
    def similarity(a: str = Query(..., min_length=1, examples=["dog"]), b: str = Query(..., min_length=1, examples=["cat"])):
        """a·b, cos(a, b) = a·b / (|a| |b|) and both norms: scaling a scales the dot product, not the cosine."""
        ia, ib = ex.index(a, "a", unseen=True), ex.index(b, "b", unseen=True)
        return {"a": a, "b": b, "dot": library_dot(wv, a, b), "cosine": library_cosine(wv, a, b),
                "norm_a": float(np.linalg.norm(wv.get_vector(a))), "norm_b": float(np.linalg.norm(wv.get_vector(b))),
                "from_ngrams": [w for w, i in ((a, ia), (b, ib)) if i < 0]}

    @app.get("/api/words", summary="Autocomplete: words starting with a prefix, most frequent first")
    def words(prefix: str = Query("", max_length=200), limit: int = Query(20, ge=1, le=MAX_LIMIT)):
        """Words that start with `prefix` (most frequent first); when none do, `suggestions` lists
        words spelled like it (for typos)."""
        rows = ex.prefix(prefix, limit)
        if not rows and prefix.lower() != prefix:
            rows = ex.prefix(prefix.lower(), limit)
        suggestions = wv.suggest(prefix) if not rows and len(prefix) >= 3 else []
        return {"prefix": prefix, "words": [{"word": wv.index_to_word[i], "row": i,
                                             "count": int(wv.counts[i]) if wv.counts is not None else None}
                                            for i in rows],
                "suggestions": suggestions}

    @app.get("/api/projection", summary="Coordinates of the n most frequent words (or of chosen words)",
             responses={202: {"description": "being computed: status, progress (0-1), stage, elapsed seconds"}})
    def projection(method: Literal["pca", "tsne", "umap"] = Query("pca"),
                   n: int | None = Query(None, ge=3, description=f"the n most frequent words (default {DEFAULT_MAP:,})"),
                   dim: int = Query(2, ge=2, le=3, description="2 or 3"),
                   words: str | None = Query(None, description="comma-separated words to project instead (isolate)")):
        """PCA answers at once. t-SNE and UMAP are computed once in a worker process and cached on
        disk beside the model: while they compute the answer is 202 with the progress; poll again.
        With a subword model, chosen words outside the vocabulary are projected too, from their
        n-grams' vectors: they come last (row -1, count 0) and are listed in from_ngrams."""
        rows, unseen = ex.rows(_word_list(words, "words"), n)
        if len(rows) + len(unseen) <= dim:
            raise ApiError(400, f"a projection needs more than {dim} words, got {len(rows) + len(unseen)}")
        if ex.store is None:
            raise ApiError(503, "projections are not available in this server")
        extra = np.stack([wv.get_vector(w) for w in unseen]) if unseen else None   # (m, D) from n-grams
        result = ex.store.get(method, dim, rows, extra, unseen)
        if result["status"] == "error":
            raise ApiError(500, result["error"])
        if result["status"] != "ready":
            return JSONResponse(result, status_code=202)
        meta = result["meta"]
        return {"status": "ready", "method": method, "dim": dim, "n": len(rows) + len(unseen),
                "explained_variance_ratio": meta.get("explained_variance_ratio"),
                "seconds": meta.get("seconds"), **ex.word_rows(rows, unseen), "coords": _rounded(result["coords"])}

    @app.get("/api/axes", summary="Custom projection: words on two directions between words (word2viz)")
    def axes(x: str = Query(..., description="two words 'from,to': x = projection on to - from", examples=["man,woman"]),
             y: str = Query(..., description="two words 'from,to'", examples=["poor,rich"]),
             words: str | None = Query(None, description="comma-separated words (default: the n most frequent)"),
             n: int | None = Query(None, ge=1)):
        """Each word's unit vector dotted with unit(x_to) - unit(x_from), normalised, and the same for y.
        The four axis words are always among the words answered (after the others). With a subword
        model, chosen words outside the vocabulary come last, placed by their n-grams' vector and
        listed in from_ngrams."""
        xa, ya = _pair(x, "x"), _pair(y, "y")
        for name, pair in (("x", xa), ("y", ya)):
            for w in pair:
                ex.index(w, name)
        rows, unseen = ex.rows(_word_list(words, "words"), n)
        axis_rows = [wv.word_to_index[w] for w in dict.fromkeys(xa + ya)]
        present = set(rows.tolist())
        rows = np.concatenate([rows, [r for r in axis_rows if r not in present]]).astype(np.int64)
        coords = project_on_axes(wv, [*rows.tolist(), *unseen], xa, ya)   # unseen words: their n-grams' vectors
        return {"x": list(xa), "y": list(ya), **ex.word_rows(rows, unseen), "coords": _rounded(coords)}

    # --- export ----------------------------------------------------------------------------------
    @app.get("/api/export/vectors.tsv", summary="The vectors in the Embedding Projector's TSV format")
    def export_vectors():
        return StreamingResponse(formats.projector_vectors_lines(wv), media_type="text/tab-separated-values",
                                 headers={"Content-Disposition": 'attachment; filename="vectors.tsv"'})

    @app.get("/api/export/metadata.tsv", summary="Words and counts for the Embedding Projector")
    def export_metadata():
        return StreamingResponse(formats.projector_metadata_lines(wv), media_type="text/tab-separated-values",
                                 headers={"Content-Disposition": 'attachment; filename="metadata.tsv"'})

    @app.get("/api/export/projector_config.json", summary="The Embedding Projector's config for the two TSVs")
    def export_config():
        return Response(json.dumps(formats.projector_config(wv, ex.name), indent=2), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="projector_config.json"'})

    return app
