"""The bundled evaluation sets, and one call that scores a set of vectors on all of them.

Google analogies (split into semantic and syntactic) and six word-similarity sets that ship in
data/ (sources and licences in data/README.md). Similarity sets differ in what they ask:
SimLex-999, RG-65 and Rare Words rate *similarity* (car ~ automobile), WordSim-353, MEN and
MTurk-287 mostly *relatedness* (car ~ road), so one number never tells the whole story.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NotCoveredError
from .formats import DATA_DIR
from .similarity import AnalogyResult, PairsResult, evaluate_analogies, evaluate_word_pairs
from .vectors import WordVectors

ANALOGIES = "questions-words.txt"
WORD_PAIR_SETS = {  # name shown -> file in data/; the first is the headline set
    "WordSim-353": "wordsim353.tsv",
    "SimLex-999": "simlex999.tsv",
    "MEN-3000": "men3000.tsv",
    "MTurk-287": "mturk287.tsv",
    "RG-65": "rg65.tsv",
    "RareWords": "rw2034.tsv",
}


@dataclass
class Report:
    analogies: AnalogyResult
    pairs: dict[str, PairsResult | None] = field(default_factory=dict)  # None: too few pairs covered

    def summary(self) -> dict[str, float | None]:
        """Flat scores: analogy accuracies, then each set's Spearman correlation."""
        a = self.analogies
        out: dict[str, float | None] = {"analogies": a.accuracy, "semantic": a.semantic.accuracy,
                                        "syntactic": a.syntactic.accuracy}
        out.update({name: (p.spearman if p else None) for name, p in self.pairs.items()})
        return out


def pair_sets(paths: list[str | os.PathLike] | None = None) -> dict[str, Path]:
    """Named word-pair files: the bundled ones, or the given paths (named by their file name)."""
    if paths:
        return {Path(p).name: Path(p) for p in paths}
    return {name: DATA_DIR / file for name, file in WORD_PAIR_SETS.items()}


def evaluate_all(wv: WordVectors, restrict_vocab: int = 300_000, method: str = "add",
                 analogies: str | os.PathLike | None = None,
                 pairs: list[str | os.PathLike] | None = None) -> Report:
    """Score wv on the analogy file and on every word-pair set (bundled ones by default).

    A set with fewer than two pairs inside the vocabulary scores None rather than failing, so
    a model trained on a small corpus still gets the scores it can.
    """
    report = Report(evaluate_analogies(wv, analogies or DATA_DIR / ANALOGIES, method, restrict_vocab))
    for name, path in pair_sets(pairs).items():
        try:
            report.pairs[name] = evaluate_word_pairs(wv, path, restrict_vocab)
        except NotCoveredError:
            report.pairs[name] = None
    return report
