"""Similarity as dot products: scores, neighbours, analogies and benchmark evaluation.

Every query here is a matrix product: a (Q, D) block of query vectors times the (D, V) vocabulary
gives Q x V scores at once, the same "scaling dot products" that trains the vectors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .errors import EmbeddingsError, FormatError, NotCoveredError
from .vectors import WordVectors

METRICS = ("cosine", "dot")
COSMUL_EPSILON = 1e-6  # Levy & Goldberg (2014): keeps 3CosMul's division finite
_QUERY_BLOCK = 1024    # analogy questions scored together (measured fastest here)
_VOCAB_SLICE = 4096    # vocabulary words per matrix product: a (slice, Q) block of scores stays in cache


def _vec(wv: WordVectors, x) -> np.ndarray:
    return wv[x] if isinstance(x, str) else np.asarray(x, dtype=np.float32)


def dot(wv: WordVectors, a, b) -> float:
    """a . b for words or vectors."""
    return float(_vec(wv, a) @ _vec(wv, b))


def cosine(wv: WordVectors, a, b) -> float:
    """a . b / (|a| |b|): the dot product of directions, blind to length (0 for a zero vector)."""
    x, y = _vec(wv, a), _vec(wv, b)
    n = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / n if n > 0 else 0.0


def euclidean(wv: WordVectors, a, b) -> float:
    return float(np.linalg.norm(_vec(wv, a) - _vec(wv, b)))


def _terms(words) -> list:
    if words is None:
        return []
    if isinstance(words, (str, np.ndarray)):
        return [words]
    return list(words)


def _query(wv: WordVectors, positive, negative, metric: str) -> tuple[np.ndarray, set[int]]:
    """gensim's query: mean of the (unit, for cosine) vectors, +1 for positive, -1 for negative."""
    if metric not in METRICS:
        raise EmbeddingsError(f"unknown metric {metric!r} (cosine or dot)")
    pos, neg = _terms(positive), _terms(negative)
    if not pos and not neg:
        raise EmbeddingsError("give at least one word or vector to compare with")
    table = wv.unit if metric == "cosine" else wv.vectors
    vecs, exclude = [], set()
    for sign, items in ((1.0, pos), (-1.0, neg)):
        for item in items:
            if isinstance(item, str) and wv.composed(item):    # an unseen word: its n-grams' vector
                vecs.append(sign * wv.get_vector(item, norm=metric == "cosine"))
            elif isinstance(item, str):
                i = wv.index(item)
                exclude.add(i)
                vecs.append(sign * table[i])
            else:
                v = np.asarray(item, dtype=np.float32)
                if v.shape != (wv.dim,):
                    raise EmbeddingsError(f"a query vector has shape {v.shape}, the vectors have ({wv.dim},)")
                if metric == "cosine":
                    v = v / max(float(np.linalg.norm(v)), 1e-12)
                vecs.append(sign * v)
    q = np.mean(vecs, axis=0)
    if metric == "cosine":
        q = q / max(float(np.linalg.norm(q)), 1e-12)
    return q.astype(np.float32), exclude


def _top(scores: np.ndarray, exclude: Iterable[int], topn: int) -> list[int]:
    """Rows of the topn highest scores, leaving out `exclude`; by score, ties by frequency rank.

    Only the best topn + len(exclude) rows are partitioned out (no copy or mask of the whole
    vector), then the excluded ones are dropped: the same answer as masking them first.
    """
    excluded = {int(i) for i in exclude if 0 <= int(i) < len(scores)}
    topn = min(topn, len(scores) - len(excluded))
    if topn <= 0:
        return []
    m = min(len(scores), topn + len(excluded))
    best = np.argpartition(scores, len(scores) - m)[len(scores) - m:]
    best = np.array([i for i in best.tolist() if i not in excluded], dtype=np.int64)
    return best[np.lexsort((best, -scores[best]))][:topn].tolist()


def most_similar(wv: WordVectors, positive=None, negative=None, topn: int = 10, metric: str = "cosine",
                 restrict_vocab: int | None = None, scorer=None) -> list[tuple[str, float]]:
    """Words nearest to mean(positive) - mean(negative), query words left out (as gensim).

    `scorer(q, metric)`, if given, computes the (V,) scores of the query vector against the whole
    table in its own way (the explorer batches concurrent queries into one matrix product).
    """
    q, exclude = _query(wv, positive, negative, metric)
    if scorer is not None:
        scores = scorer(q, metric)[:restrict_vocab]
    else:
        table = (wv.unit if metric == "cosine" else wv.vectors)[:restrict_vocab]
        scores = table @ q                               # (V,) one matrix-vector product
    return [(wv.index_to_word[i], float(scores[i])) for i in _top(scores, exclude, topn)]


def most_similar_many(wv: WordVectors, words: Sequence[str], topn: int = 10, metric: str = "cosine",
                      restrict_vocab: int | None = None) -> dict[str, list[tuple[str, float]]]:
    """Neighbours of many words with one (Q, D) @ (D, V) matrix product."""
    if metric not in METRICS:
        raise EmbeddingsError(f"unknown metric {metric!r} (cosine or dot)")
    idx = [-1 if wv.composed(w) else wv.index(w) for w in words]   # -1: built from its n-grams
    table = (wv.unit if metric == "cosine" else wv.vectors)
    queries = np.stack([table[i] if i >= 0 else wv.get_vector(w, norm=metric == "cosine") for w, i in zip(words, idx)])
    scores = queries @ table[:restrict_vocab].T          # (Q, V) all scores at once
    return {w: [(wv.index_to_word[j], float(s[j])) for j in _top(s, [i] if 0 <= i < s.shape[0] else [], topn)]
            for w, i, s in zip(words, idx, scores)}


def axis_direction(wv: WordVectors, start: str, end: str) -> np.ndarray:
    """Unit direction from start to end in cosine space (unit(end) - unit(start)), as word2viz."""
    d = wv.get_vector(end, norm=True) - wv.get_vector(start, norm=True)
    norm = float(np.linalg.norm(d))
    if norm < 1e-12:
        raise EmbeddingsError(f"the axis {start!r} -> {end!r} has no direction (the two vectors are parallel)")
    return d / norm


def project_on_axes(wv: WordVectors, rows, x: tuple[str, str], y: tuple[str, str]) -> np.ndarray:
    """(n, 2) coordinates of the words (or row indices) `rows`: each unit vector's dot product
    with the x direction (x[0] -> x[1]) and the y direction (y[0] -> y[1])."""
    unit = np.stack([wv.get_vector(r, norm=True) if isinstance(r, str) else wv.unit[int(r)] for r in rows])
    axes = np.stack([axis_direction(wv, *x), axis_direction(wv, *y)], 1)   # (D, 2)
    return unit @ axes                                                       # (n, D) @ (D, 2)


def doesnt_match(wv: WordVectors, words: Sequence[str]) -> str:
    """The word furthest (by cosine) from the mean of the others' directions, as gensim."""
    words = list(words)
    if len(words) < 2:
        raise EmbeddingsError("doesnt_match needs at least two words")
    unit = np.stack([wv.get_vector(w, norm=True) for w in words])  # (n, D)
    mean = unit.mean(0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return words[int(np.argmin(unit @ mean))]


def analogy(wv: WordVectors, a: str, b: str, c: str, topn: int = 10, method: str = "add",
            restrict_vocab: int | None = None, scorer=None) -> list[tuple[str, float]]:
    """a : b :: c : ?  (that is, b - a + c; "king - man + woman" is analogy("man", "king", "woman")).

    method "add" is 3CosAdd (cos(x, b) - cos(x, a) + cos(x, c)); "mul" is 3CosMul (Levy & Goldberg
    2014): cos'(x, b) cos'(x, c) / (cos'(x, a) + 1e-6) with cos' = (1 + cos) / 2.
    """
    if method == "add":
        return most_similar(wv, [b, c], [a], topn, "cosine", restrict_vocab, scorer)
    if method == "mul":
        return most_similar_cosmul(wv, [b, c], [a], topn, restrict_vocab)
    raise EmbeddingsError(f"unknown analogy method {method!r} (add or mul)")


def most_similar_cosmul(wv: WordVectors, positive=None, negative=None, topn: int = 10,
                        restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """3CosMul: product of shifted cosines to positive words over those to negative ones."""
    pos, neg = _terms(positive), _terms(negative)
    if not pos:
        raise EmbeddingsError("3CosMul needs at least one positive word")
    queries = np.stack([wv.get_vector(w, norm=True) for w in pos + neg])  # (P+N, D); unseen words from n-grams
    unit = wv.unit[:restrict_vocab]
    sims = (1.0 + unit @ queries.T) / 2.0                # (V, P+N) one matrix product
    scores = sims[:, :len(pos)].prod(1) / (sims[:, len(pos):].prod(1) + COSMUL_EPSILON)
    exclude = [wv.word_to_index[w] for w in pos + neg if w in wv.word_to_index]
    return [(wv.index_to_word[i], float(scores[i])) for i in _top(scores, exclude, topn)]


# --- evaluation --------------------------------------------------------------------------------

@dataclass
class SectionResult:
    name: str
    correct: int
    total: int      # questions whose four words are all in the (restricted) vocabulary
    questions: int  # questions in the file's section

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass
class AnalogyResult:
    sections: list[SectionResult]
    method: str
    semantic: SectionResult = field(init=False)
    syntactic: SectionResult = field(init=False)
    overall: SectionResult = field(init=False)

    def __post_init__(self):
        def total(name, parts):
            return SectionResult(name, sum(s.correct for s in parts), sum(s.total for s in parts),
                                 sum(s.questions for s in parts))
        self.semantic = total("semantic", [s for s in self.sections if not s.name.startswith("gram")])
        self.syntactic = total("syntactic", [s for s in self.sections if s.name.startswith("gram")])
        self.overall = total("total", self.sections)

    @property
    def accuracy(self) -> float:
        return self.overall.accuracy

    @property
    def coverage(self) -> float:
        return self.overall.total / self.overall.questions if self.overall.questions else 0.0


def read_analogies(path: str | os.PathLike) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of an analogy file: ': name' lines, then 'a b c d' lines (lowercased)."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such analogy file")
    sections: list[tuple[str, list]] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            if line.startswith(":"):
                sections.append((line[1:].strip(), []))
                continue
            words = line.lower().split()
            if len(words) != 4:
                raise FormatError(f"{path}: line {lineno}: expected 4 words, got {len(words)}")
            if not sections:
                sections.append(("questions", []))
            sections[-1][1].append(tuple(words))
    if not sections:
        raise FormatError(f"{path}: holds no analogy questions")
    return sections


def _answered_right(unit: np.ndarray, block: np.ndarray, method: str) -> np.ndarray:
    """(Q,) bool: for each question (a, b, c, d) of block, does d outscore every other word but a, b, c?

    The vocabulary is scored in slices of _VOCAB_SLICE words: each slice's (slice, Q) scores are
    one matrix product that stays in cache, and only a running maximum per question is kept, so
    the full Q x V score matrix never travels through memory.
    """
    a, b, c, d = (unit[block[:, j]] for j in range(4))                       # (Q, D) each
    cols = np.arange(len(block))
    if method == "add":
        queries = np.ascontiguousarray((b - a + c).T)                         # (D, Q)
        target = np.einsum("qd,qd->q", b - a + c, d)                          # (Q,) score of d
    else:
        queries = np.ascontiguousarray(np.concatenate([a, b, c]).T)           # (D, 3Q)
        sa, sb, sc = ((1.0 + np.einsum("qd,qd->q", x, d)) / 2.0 for x in (a, b, c))
        target = sb * sc / (sa + COSMUL_EPSILON)
    best = np.full(len(block), -np.inf, dtype=np.float32)
    for start in range(0, len(unit), _VOCAB_SLICE):
        part = unit[start: start + _VOCAB_SLICE]
        scores = part @ queries                                               # (slice, Q) or (slice, 3Q)
        if method == "mul":                                                   # cos' = (1 + cos) / 2
            scores += 1.0
            scores *= 0.5
            q = len(block)
            scores = scores[:, q:2 * q] * scores[:, 2 * q:] / (scores[:, :q] + COSMUL_EPSILON)
        for j in range(4):                                                    # a, b, c and d compete not
            rows = block[:, j] - start
            inside = (rows >= 0) & (rows < len(part))
            scores[rows[inside], cols[inside]] = -np.inf
        np.maximum(best, scores.max(0), out=best)
    d_is_query = (block[:, 3:4] == block[:, :3]).any(1)  # gensim leaves query words out of answers
    return (target > best) & ~d_is_query


def evaluate_analogies(wv: WordVectors, path: str | os.PathLike, method: str = "add",
                       restrict_vocab: int = 300_000) -> AnalogyResult:
    """Accuracy on an analogy file (questions-words.txt format) with gensim's rules.

    A question counts only if all four words are among the first restrict_vocab words; it is
    right if the best word for b - a + c, leaving out a, b and c, is d (3CosAdd; 3CosMul scores
    with shifted cosines). Blocks of questions are scored against the vocabulary as matrix
    products (see _answered_right).
    """
    if method not in ("add", "mul"):
        raise EmbeddingsError(f"unknown analogy method {method!r} (add or mul)")
    unit = wv.unit[:restrict_vocab]
    index = {w: i for i, w in enumerate(wv.index_to_word[:restrict_vocab])}
    results = []
    for name, questions in read_analogies(path):
        q = np.array([[index[w] for w in qu] for qu in questions if all(w in index for w in qu)],
                     dtype=np.int64).reshape(-1, 4)
        correct = sum(int(_answered_right(unit, q[s: s + _QUERY_BLOCK], method).sum())
                      for s in range(0, len(q), _QUERY_BLOCK))
        results.append(SectionResult(name, correct, len(q), len(questions)))
    return AnalogyResult(results, method)


@dataclass
class PairsResult:
    pearson: float
    spearman: float
    pairs: int       # pairs scored
    oov: int         # pairs skipped because a word is missing
    composed: int = 0  # pairs scored with a word's vector built from its n-grams (subword models)

    @property
    def oov_ratio(self) -> float:
        return self.oov / max(1, self.pairs + self.oov)


def read_word_pairs(path: str | os.PathLike) -> list[tuple[str, str, float]]:
    """'word1<TAB>word2<TAB>score' lines; '#' lines are comments."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such word-pairs file")
    pairs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            try:
                a, b, score = parts[0], parts[1], float(parts[2])
            except (IndexError, ValueError):
                raise FormatError(f"{path}: line {lineno}: expected 'word<TAB>word<TAB>score'") from None
            pairs.append((a.lower(), b.lower(), score))
    if not pairs:
        raise FormatError(f"{path}: holds no word pairs")
    return pairs


def evaluate_word_pairs(wv: WordVectors, path: str | os.PathLike, restrict_vocab: int = 300_000,
                        compose: bool = False) -> PairsResult:
    """Pearson and Spearman correlation between cosine similarity and human scores.

    compose: a pair with a word outside the first restrict_vocab words is scored with that word's
    vector built from its character n-grams (subword models), not skipped.
    """
    from scipy import stats

    index = {w: i for i, w in enumerate(wv.index_to_word[:restrict_vocab])}
    pairs = read_word_pairs(path)
    usable = lambda w: w in index or (compose and wv.composed(w))  # noqa: E731
    known = [(a, b, s) for a, b, s in pairs if usable(a) and usable(b)]
    if len(known) < 2:
        raise NotCoveredError(f"{path}: fewer than two pairs have both words in the vocabulary")
    unit = lambda w: wv.unit[index[w]] if w in index else wv.get_vector(w, norm=True)  # noqa: E731
    ua = np.stack([unit(a) for a, _, _ in known])
    ub = np.stack([unit(b) for _, b, _ in known])
    model = np.einsum("ij,ij->i", ua, ub)                # row-wise dot products
    human = np.array([s for _, _, s in known])
    composed = sum(1 for a, b, _ in known if a not in index or b not in index)
    return PairsResult(float(stats.pearsonr(model, human)[0]), float(stats.spearmanr(model, human)[0]),
                       len(known), len(pairs) - len(known), composed)


# --- reading what a user types ---------------------------------------------------------------------

def parse_analogy(terms: Sequence[str]) -> tuple[list[str], list[str]]:
    """Parse analogy arguments into (positive, negative) words.

    Accepts "A B C" (A - B + C), an expression "A - B + C" (any number of +/- terms, one or
    several arguments), or "a:b::c:?" (b - a + c). Raises EmbeddingsError on anything else.
    """
    text = " ".join(terms).strip()
    if "::" in text:
        left, _, right = text.partition("::")
        a, b = [w.strip() for w in left.split(":")] if left.count(":") == 1 else ("", "")
        c, _, q = right.partition(":")
        if not (a and b and c.strip()) or q.strip() not in ("?", "") or ":" in q:
            raise EmbeddingsError(f"cannot read analogy {text!r}: write it as a:b::c:?")
        return [b, c.strip()], [a]
    tokens = text.replace("+", " + ").replace("-", " - ").split()
    if not tokens:
        raise EmbeddingsError("no analogy given: try 'king man woman' or 'king - man + woman'")
    if not any(t in "+-" for t in tokens):
        if len(tokens) != 3:
            raise EmbeddingsError(f"give three words A B C (meaning A - B + C), got {len(tokens)}")
        return [tokens[0], tokens[2]], [tokens[1]]
    positive, negative, sign = [], [], "+"
    expect_word = True
    for t in tokens:
        if t in "+-":
            if expect_word and not (t == "-" and not positive and not negative):
                raise EmbeddingsError(f"cannot read analogy {text!r}: two operators in a row")
            sign, expect_word = t, True
        else:
            if not expect_word:
                raise EmbeddingsError(f"cannot read analogy {text!r}: two words without + or - between")
            (positive if sign == "+" else negative).append(t)
            expect_word = False
    if expect_word:
        raise EmbeddingsError(f"cannot read analogy {text!r}: it ends with an operator")
    if not positive:
        raise EmbeddingsError(f"cannot read analogy {text!r}: it needs a word with +")
    return positive, negative
