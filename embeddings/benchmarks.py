"""The bundled evaluation sets, and one call that scores a set of vectors on all of them.

Google analogies (split into semantic and syntactic), Microsoft Research's syntactic analogies
(MSR: other word pairs for relations like Google's syntactic ones, a check that a setting chosen
on Google's questions is not tuned to them) and six word-similarity sets that ship in data/
(sources and licences in data/README.md). Similarity sets differ in what they ask:
SimLex-999, RG-65 and Rare Words rate *similarity* (car ~ automobile), WordSim-353, MEN and
MTurk-287 mostly *relatedness* (car ~ road), so one number never tells the whole story.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NotCoveredError
from .formats import DATA_DIR
from .subwords import SubwordVectors
from .similarity import AnalogyResult, PairsResult, evaluate_analogies, evaluate_word_pairs
from .vectors import WordVectors

ANALOGIES = "questions-words.txt"
MORE_ANALOGIES = {"MSR": "msr-syntactic.txt"}  # name shown -> file in data/: scored beside the Google set
MISSPELLINGS = "misspellings.tsv"  # one typo per evaluation word (scripts/make_misspellings.py)
WORD_PAIR_SETS = {  # name shown -> file in data/; the first is the headline set
    "WordSim-353": "wordsim353.tsv",
    "SimLex-999": "simlex999.tsv",
    "MEN-3000": "men3000.tsv",
    "MTurk-287": "mturk287.tsv",
    "RG-65": "rg65.tsv",
    "RareWords": "rw2034.tsv",
}


@dataclass
class TypoResult:
    """Misspelled words whose nearest vocabulary word (cosine) is the word meant."""
    correct: int
    total: int       # typos scored: the word meant is in the vocabulary, the typo is not

    @property
    def accuracy(self) -> float:
        return self.correct / max(1, self.total)


def read_misspellings(path: str | os.PathLike) -> list[tuple[str, str]]:
    """'typo<TAB>word' lines; '#' lines are comments."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                typo, word = line.rstrip("\n").split("\t")[:2]
                out.append((typo, word))
    return out


def misspelling_answers(wv: SubwordVectors, path: str | os.PathLike | None = None,
                        restrict_vocab: int = 300_000) -> list[tuple[str, str, int]]:
    """(typo, word meant, index of the typo's nearest word (cosine) among the first restrict_vocab)
    for each typo that is not in the vocabulary and whose word is."""
    import numpy as np
    index = {w: i for i, w in enumerate(wv.index_to_word[:restrict_vocab])}
    scored = [(t, w) for t, w in read_misspellings(path or DATA_DIR / MISSPELLINGS)
              if w in index and wv.composed(t)]                                  # composed: t is not in the vocabulary
    if not scored:
        return []
    queries = np.stack([wv.get_vector(t, norm=True) for t, _ in scored])        # (Q, D)
    best = np.argmax(queries @ wv.unit[:restrict_vocab].T, axis=1)               # (Q,) one matrix product
    return [(t, w, int(b)) for (t, w), b in zip(scored, best)]


def evaluate_misspellings(wv: WordVectors, path: str | os.PathLike | None = None,
                          restrict_vocab: int = 300_000) -> TypoResult | None:
    """Share of typos whose nearest neighbour among the first restrict_vocab words is the word
    meant; None for vectors that have no vector for an unseen word (word-only models)."""
    if not isinstance(wv, SubwordVectors):
        return None
    answers = misspelling_answers(wv, path, restrict_vocab)
    return TypoResult(sum(wv.index_to_word[b] == w for _, w, b in answers), len(answers))


@dataclass
class Report:
    analogies: AnalogyResult
    pairs: dict[str, PairsResult | None] = field(default_factory=dict)  # None: too few pairs covered
    more_analogies: dict[str, AnalogyResult] = field(default_factory=dict)  # MORE_ANALOGIES' sets
    typos: TypoResult | None = None  # misspelled words answered (subword models; None: no OOV vectors)

    def summary(self) -> dict[str, float | None]:
        """Flat scores: analogy accuracies (Google's, then each other set's), then each word-pair
        set's Spearman correlation."""
        a = self.analogies
        out: dict[str, float | None] = {"analogies": a.accuracy, "semantic": a.semantic.accuracy,
                                        "syntactic": a.syntactic.accuracy}
        out.update({name: r.accuracy for name, r in self.more_analogies.items()})
        out.update({name: (p.spearman if p else None) for name, p in self.pairs.items()})
        out["typos"] = self.typos.accuracy if self.typos else None
        return out


def pair_sets(paths: list[str | os.PathLike] | None = None) -> dict[str, Path]:
    """Named word-pair files: the bundled ones, or the given paths (named by their file name)."""
    if paths:
        return {Path(p).name: Path(p) for p in paths}
    return {name: DATA_DIR / file for name, file in WORD_PAIR_SETS.items()}


def more_analogies(wv: WordVectors, method: str = "add", restrict_vocab: int = 300_000) -> dict[str, AnalogyResult]:
    """The other bundled analogy sets (MORE_ANALOGIES: MSR), scored as the Google set is."""
    return {name: evaluate_analogies(wv, DATA_DIR / file, method, restrict_vocab) for name, file in MORE_ANALOGIES.items()}


def evaluate_all(wv: WordVectors, restrict_vocab: int = 300_000, method: str = "add",
                 analogies: str | os.PathLike | None = None,
                 pairs: list[str | os.PathLike] | None = None, compose: bool = False) -> Report:
    """Score wv on the analogy file, on every word-pair set (bundled ones by default) and, for
    subword vectors, on the bundled misspellings. With the bundled analogies (no `analogies`
    file given) the other bundled analogy sets (MSR) are scored too.

    A set with fewer than two pairs inside the vocabulary scores None rather than failing, so
    a model trained on a small corpus still gets the scores it can. compose: score word pairs
    with unseen words by their n-gram vectors (subword models) rather than skip them.
    """
    report = Report(evaluate_analogies(wv, analogies or DATA_DIR / ANALOGIES, method, restrict_vocab),
                    more_analogies=more_analogies(wv, method, restrict_vocab) if analogies is None else {})
    for name, path in pair_sets(pairs).items():
        try:
            report.pairs[name] = evaluate_word_pairs(wv, path, restrict_vocab, compose)
        except NotCoveredError:
            report.pairs[name] = None
    report.typos = evaluate_misspellings(wv, None, restrict_vocab)
    return report
