"""Pictures of the vector space: each function takes ax=None and returns the Axes it drew on.

Nothing here opens a window; the CLI and scripts save figures. Word vectors are reduced with
embeddings.reduce (PCA by default: its axes say the share of variance they explain).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .errors import EmbeddingsError
from .reduce import PCA, make_reducer
from .similarity import project_on_axes
from .vectors import WordVectors

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f"]


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _axes(ax, dim: int = 2):
    if dim not in (2, 3):
        raise EmbeddingsError(f"dim must be 2 or 3, not {dim}")
    if ax is not None:
        if dim == 3 and getattr(ax, "name", "") != "3d":
            raise EmbeddingsError("a 3D plot needs 3D axes (fig.add_subplot(projection='3d'))")
        return ax
    fig = _plt().figure(figsize=(8, 6.5) if dim == 2 else (8, 7))
    return fig.add_subplot(projection="3d" if dim == 3 else None)


def _vectors(wv: WordVectors, words: Sequence[str], metric: str = "cosine") -> np.ndarray:
    return np.stack([wv.get_vector(w, norm=metric == "cosine") for w in words])  # unseen words: n-grams


COMPOSED_LABEL = "hollow, italic: not in the vocabulary (vector from character n-grams)"


def _scatter_words(ax, wv: WordVectors, words: Sequence[str], points: np.ndarray, color: str, label: str | None,
                   dim: int = 2) -> None:
    """The words' points in one colour: filled for vocabulary words, hollow for words whose vector a
    subword model built from their character n-grams (the figure says so, not only the terminal)."""
    composed = np.array([wv.composed(w) for w in words], dtype=bool)
    style = {"depthshade": False} if dim == 3 else {"zorder": 3}
    ax.scatter(*points[~composed].T, s=36, color=color, label=label, **style)
    if composed.any():
        ax.scatter(*points[composed].T, s=36, facecolors="white", edgecolors=color, linewidths=1.5, **style)


def _mark_composed(ax, wv: WordVectors, words: Sequence[str], legend: bool) -> None:
    """Italicise the labels of words built from n-grams and, if any were, say so in the legend
    (drawn whenever there is something to say: the groups' names, or the hollow points)."""
    composed = {w for w in words if wv.composed(w)}
    for text in ax.texts:
        if text.get_text() in composed:
            text.set_fontstyle("italic")
    if not composed and not legend:
        return
    handles, _ = ax.get_legend_handles_labels()
    if composed:
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
                              markeredgewidth=1.5, label=COMPOSED_LABEL))
    ax.legend(handles=handles, loc="best", fontsize=9 if composed else None)


def place_labels(ax, points: np.ndarray, labels: Sequence[str], priority: Sequence[float] | None = None,
                 fontsize: float = 9, max_labels: int | None = None, force: bool = True, **text_kw) -> list:
    """Label 2D points, trying four spots around each and skipping (or, with force, stacking)
    labels whose box would overlap one already placed. Higher priority labels go first."""
    fig = ax.figure
    fig.canvas.draw()  # a renderer, so label boxes can be measured in pixels
    order = np.argsort(-np.asarray(priority)) if priority is not None else np.arange(len(labels))
    to_px = ax.transData.transform
    placed_boxes: list[tuple[float, float, float, float]] = []
    texts = []
    char_w, char_h = fontsize * 0.62, fontsize * 1.35  # points ~ pixels at 72 dpi; scaled below
    scale = fig.dpi / 72
    offsets = [(4, 3), (4, -char_h * 0.9), (-4, 3), (-4, -char_h * 0.9),
               (8, char_h * 0.7), (8, -char_h * 1.6), (-8, char_h * 0.7), (-8, -char_h * 1.6)]
    for i in order:
        if max_labels is not None and len(texts) >= max_labels:
            break
        x, y = to_px(points[i][:2])
        w, h = len(labels[i]) * char_w * scale, char_h * scale
        chosen = None
        for dx, dy in offsets:
            left = x + dx * scale if dx > 0 else x + dx * scale - w
            bottom = y + dy * scale
            box = (left, bottom, left + w, bottom + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed_boxes):
                chosen = (dx, dy, box)
                break
        if chosen is None:
            if not force:
                continue
            dx, dy = offsets[0]
            chosen = (dx, dy, (x + dx * scale, y + dy * scale, x + dx * scale + w, y + dy * scale + h))
        dx, dy, box = chosen
        placed_boxes.append(box)
        texts.append(ax.annotate(labels[i], points[i][:2], xytext=(dx, dy), textcoords="offset points",
                                 ha="left" if dx > 0 else "right", va="bottom", fontsize=fontsize, **text_kw))
    return texts


def _axis_titles(ax, reducer, dim: int) -> None:
    names = ["x", "y", "z"][:dim]
    if isinstance(reducer, PCA):
        for k, name in enumerate(names):
            getattr(ax, f"set_{name}label")(f"PC{k + 1} ({reducer.explained_variance_ratio_[k]:.1%} of variance)")
    else:
        label = type(reducer).__name__
        for k, name in enumerate(names):
            getattr(ax, f"set_{name}label")(f"{label} {k + 1}")


def plot_words(wv: WordVectors, words: Sequence[str], method: str = "pca", dim: int = 2, ax=None,
               color: str = PALETTE[0], title: str | None = None, random_state: int = 0):
    """Labelled scatter of chosen words after reducing their vectors to 2 or 3 dimensions."""
    return plot_groups(wv, {"": list(words)}, method, dim, ax, title=title, random_state=random_state,
                       colors=[color])


def plot_groups(wv: WordVectors, groups: Mapping[str, Sequence[str]], method: str = "pca", dim: int = 2,
                ax=None, title: str | None = None, random_state: int = 0, colors: Sequence[str] = PALETTE):
    """Several groups of words in one reduced space, one colour each, with a legend."""
    names = list(groups)
    words = [w for g in names for w in groups[g]]
    if len(set(words)) < 2:
        raise EmbeddingsError("give at least two different words to plot")
    reducer = make_reducer(method, dim, random_state)
    unique = list(dict.fromkeys(words))
    pts = reducer.fit_transform(_vectors(wv, unique))
    where = {w: i for i, w in enumerate(unique)}
    ax = _axes(ax, dim)
    for k, name in enumerate(names):
        idx = [where[w] for w in groups[name]]
        _scatter_words(ax, wv, groups[name], pts[idx], colors[k % len(colors)], name or None, dim)
    if dim == 3:
        for w, p in zip(unique, pts):
            ax.text(*p, w, fontsize=9, ha="left", va="bottom")
    else:
        place_labels(ax, pts, unique)
    _axis_titles(ax, reducer, dim)
    _mark_composed(ax, wv, unique, legend=any(names))
    ax.set_title(title or f"{len(unique)} words, {method.upper()} of their unit vectors")
    ax.grid(alpha=0.25)
    return ax


def plot_neighbors(wv: WordVectors, word: str, k: int = 10, method: str = "pca", dim: int = 2, ax=None,
                   random_state: int = 0):
    """A word and its k nearest neighbours by cosine, the word highlighted."""
    from .similarity import most_similar
    neighbours = [w for w, _ in most_similar(wv, word, topn=k)]
    ax = plot_groups(wv, {word: [word], f"{k} nearest neighbours": neighbours}, method, dim, ax,
                     title=f"{word!r} and its {k} nearest neighbours ({method.upper()})",
                     random_state=random_state)
    return ax


def plot_analogy(wv: WordVectors, pairs: Sequence[tuple[str, str]], ax=None, title: str | None = None):
    """Offset arrows (a -> b for each pair) in one shared PCA plane: parallel arrows, shared meaning."""
    words = list(dict.fromkeys(w for p in pairs for w in p))
    if len(words) < 3:
        raise EmbeddingsError("an analogy picture needs at least two pairs of words")
    reducer = PCA(2).fit(_vectors(wv, words))
    pts = dict(zip(words, reducer.embedding_))
    ax = _axes(ax, 2)
    for k, (a, b) in enumerate(pairs):
        color = PALETTE[k % len(PALETTE)]
        ax.annotate("", xy=pts[b], xytext=pts[a],
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=2, shrinkA=4, shrinkB=4))
        _scatter_words(ax, wv, (a, b), np.array([pts[a], pts[b]]), color, f"{a} → {b}")
    place_labels(ax, np.array([pts[w] for w in words]), words, fontsize=11)
    _axis_titles(ax, reducer, 2)
    _mark_composed(ax, wv, words, legend=True)
    ax.set_title(title or "Offsets: " + ", ".join(f"{a} → {b}" for a, b in pairs))
    ax.grid(alpha=0.25)
    ax.margins(0.15)
    return ax


def plot_overview(wv: WordVectors, n: int = 3000, method: str = "tsne", labels: int = 150, ax=None,
                  skip: int = 0, random_state: int = 0):
    """The n most frequent words (after `skip`) mapped with t-SNE or UMAP, the most frequent labelled
    where their labels do not collide."""
    start, stop = skip, min(len(wv), skip + n)
    if stop - start < 10:
        raise EmbeddingsError(f"need at least 10 words for an overview, the vocabulary gives {stop - start}")
    words = list(wv.index_to_word[start:stop])
    reducer = make_reducer(method, 2, random_state)
    pts = reducer.fit_transform(wv.unit[start:stop])
    ax = _axes(ax, 2)
    ax.scatter(*pts.T, s=4, color=PALETTE[0], alpha=0.45, linewidths=0)
    place_labels(ax, pts, words, priority=-np.arange(len(words)), fontsize=7, max_labels=labels,
                 force=False, color="#222222")
    after = f" after the {skip} commonest" if skip else ""
    ax.set_title(f"The {len(words)} most frequent words{after}, {method.upper()} (cosine)")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_custom_axes(wv: WordVectors, words: Sequence[str], x: tuple[str, str], y: tuple[str, str],
                     ax=None, groups: Mapping[str, Sequence[str]] | None = None):
    """Words placed by their projection on two meaningful directions (as word2viz does):
    x = cosine-space projection on (x[1] - x[0]), y = on (y[1] - y[0])."""
    groups = dict(groups or {"": list(words)})
    all_words = list(dict.fromkeys(w for g in groups.values() for w in g))
    pts = project_on_axes(wv, all_words, x, y)                  # (n, 2) two dot products per word
    where = {w: i for i, w in enumerate(all_words)}
    ax = _axes(ax, 2)
    for k, (name, ws) in enumerate(groups.items()):
        _scatter_words(ax, wv, ws, pts[[where[w] for w in ws]], PALETTE[k % len(PALETTE)], name or None)
    place_labels(ax, pts, all_words)
    ax.axhline(0, color="#999999", lw=0.8)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_xlabel(f"{x[0]}  ←  projection on {x[1]} − {x[0]}  →  {x[1]}")
    ax.set_ylabel(f"{y[0]}  ←  projection on {y[1]} − {y[0]}  →  {y[1]}")
    _mark_composed(ax, wv, all_words, legend=any(groups))
    ax.set_title("Words on two chosen directions")
    ax.grid(alpha=0.25)
    return ax


def plot_similarity_matrix(matrix: np.ndarray, words: Sequence[str], ax=None, title: str = "",
                           vmin: float = -1.0, vmax: float = 1.0, annotate: bool = True):
    """A heat map of pairwise scores (e.g. X @ X.T), each cell written out."""
    ax = _axes(ax, 2)
    im = ax.imshow(matrix, cmap="RdBu_r", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(words)), words, rotation=45, ha="right")
    ax.set_yticks(range(len(words)), words)
    if annotate:
        for i in range(len(words)):
            for j in range(len(words)):
                v = matrix[i, j]
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if abs(v - (vmin + vmax) / 2) > 0.6 * (vmax - vmin) / 2 else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    return ax


def plot_dot_vs_cosine(wv: WordVectors, a: str, b: str, scale: float = 2.0, ax=None):
    """Arrows for a, scale*a and b in the plane they span: the dot product grows, the angle does not."""
    from .lessons import dot_versus_cosine
    va, vb = wv[a].astype(np.float64), wv[b].astype(np.float64)
    e1 = va / np.linalg.norm(va)                           # plane basis: a's direction ...
    r = vb - (vb @ e1) * e1
    e2 = r / max(np.linalg.norm(r), 1e-12)                 # ... and the part of b orthogonal to it
    to2d = lambda v: np.array([v @ e1, v @ e2])  # noqa: E731
    d = dot_versus_cosine(wv, a, b, scale)
    ax = _axes(ax, 2)
    for vec, label, color, lw in ((scale * va, f"{scale:g}·{a}", PALETTE[1], 5), (va, a, PALETTE[0], 2),
                                   (vb, b, PALETTE[2], 2)):
        p = to2d(vec)
        ax.annotate("", xy=p, xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, alpha=0.8))
        ax.annotate(label, p, xytext=(4, 4), textcoords="offset points", color=color, fontsize=11)
    pts = np.array([to2d(scale * va), to2d(vb), [0, 0]])
    pad = 0.15 * np.abs(pts).max()
    ax.set_xlim(pts[:, 0].min() - pad, pts[:, 0].max() + pad)
    ax.set_ylim(pts[:, 1].min() - pad, pts[:, 1].max() + pad)
    ax.set_aspect("equal")
    ax.set_title(f"dot({a}, {b}) = {d.dot:.2f} → dot({scale:g}·{a}, {b}) = {d.dot_doubled:.2f};  "
                 f"cosine {d.cosine:.3f} → {d.cosine_doubled:.3f}", fontsize=10)
    ax.grid(alpha=0.25)
    return ax


def save(ax_or_fig, path) -> str:
    """Save a figure (png, svg or pdf by extension) through a temporary file; return the path."""
    from pathlib import Path

    from .formats import atomic_write
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise EmbeddingsError(f"{path}: unsupported image type {fmt!r} (png, svg or pdf)")
    with atomic_write(path, "wb") as f:  # bbox "tight" crops without moving the placed labels
        fig.savefig(f, format=fmt, dpi=150, bbox_inches="tight")
    return str(path)
