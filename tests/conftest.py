"""Shared fixtures: a small corpus made by the tests (nothing is downloaded)."""

from __future__ import annotations

import os
import random

os.environ.setdefault("MPLBACKEND", "Agg")  # tests draw off-screen

import pytest
from hypothesis import settings

# Property tests check answers, not speed: no per-example deadline, which a busy machine trips.
settings.register_profile("embeddings", deadline=None)
settings.load_profile("embeddings")

ANIMALS = ["dog", "cat", "horse", "cow", "sheep", "goat"]
ROYALS = ["king", "queen", "prince", "princess", "duke", "duchess"]
VERBS = ["runs", "eats", "sleeps", "rules", "reigns", "walks"]


def make_corpus(n_sentences: int = 600, seed: int = 0) -> str:
    """Sentences where animals go with farm words and royals with palace words."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_sentences):
        if rng.random() < 0.5:
            words = ["the", rng.choice(ANIMALS), rng.choice(VERBS[:3]), "on", "the", "farm", "with", "grass"]
        else:
            words = ["the", rng.choice(ROYALS), rng.choice(VERBS[3:]), "in", "the", "palace", "with", "crown"]
        lines.append(" ".join(words))
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(make_corpus(), encoding="utf-8")
    return path
