import numpy as np
import pytest

from embeddings.training.vocab import Vocab

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat"], ["a", "bird"]]


def test_counts_and_order():
    v = Vocab.build(SENTENCES, min_count=1)
    assert dict(zip(v.words, v.counts.tolist())) == {"the": 3, "cat": 2, "sat": 2, "dog": 1, "a": 1, "bird": 1}
    # descending count; ties keep first appearance (as gensim)
    assert v.words == ("the", "cat", "sat", "dog", "a", "bird")
    assert v.index["sat"] == 2 and "dog" in v and "fish" not in v
    assert v.total_words == 10


def test_min_count_and_max_vocab():
    assert Vocab.build(SENTENCES, min_count=2).words == ("the", "cat", "sat")
    assert Vocab.build(SENTENCES, min_count=1, max_vocab=2).words == ("the", "cat")
    assert len(Vocab.build(SENTENCES, min_count=4)) == 0


def test_keep_probabilities_match_formula():
    counts = np.array([100_000, 10_000, 1_000, 10, 1])
    v = Vocab(tuple("abcde"), counts)
    t = 1e-3
    p = v.keep_probabilities(t)
    for c, got in zip(counts, p):
        f = c / counts.sum()
        assert got == pytest.approx(min(1.0, (np.sqrt(f / t) + 1) * t / f))
    assert p[-1] == 1.0 and p[0] < p[1] < 1.0
    assert (v.keep_probabilities(0) == 1).all()


def test_noise_distribution():
    counts = np.array([81, 16, 1])
    v = Vocab(("a", "b", "c"), counts)
    p = v.noise_distribution(0.75)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    assert p == pytest.approx(expected)
    assert p.sum() == pytest.approx(1.0)
    # flatter than the unigram distribution: rare words are drawn more often than their share
    assert p[2] > counts[2] / counts.sum()
    assert v.noise_distribution(1.0) == pytest.approx(counts / counts.sum())
