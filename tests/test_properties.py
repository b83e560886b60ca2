"""Property tests: no input crashes the tokenizer, vocabulary, file parsers or analogy parsing
with anything but the project's own error."""

import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.similarity import parse_analogy
from embeddings.training.corpus import tokenize
from embeddings.errors import EmbeddingsError
from embeddings.formats import load_vectors
from embeddings.vectors import WordVectors
from embeddings.training.vocab import Vocab

TOKEN = re.compile(r"[^\W_]+")


@given(st.text())
def test_tokenizer_yields_lowercase_word_runs(text):
    tokens = tokenize(text)
    assert all(TOKEN.fullmatch(t) for t in tokens)
    assert tokens == tokenize(" ".join(tokens))  # idempotent
    assert all(t in text.lower() for t in tokens)


@given(st.lists(st.lists(st.sampled_from(list("abcdefgh")) | st.text(min_size=1, max_size=5), max_size=12),
                max_size=30),
       st.integers(1, 4), st.none() | st.integers(1, 6))
def test_vocabulary_invariants(sentences, min_count, max_vocab):
    v = Vocab.build(sentences, min_count, max_vocab)
    counts = v.counts.tolist()
    assert counts == sorted(counts, reverse=True) and all(c >= min_count for c in counts)
    assert max_vocab is None or len(v) <= max_vocab
    flat = [w for s in sentences for w in s]
    assert all(flat.count(w) == c for w, c in zip(v.words, counts))
    p = v.keep_probabilities(1e-3)
    assert ((p > 0) & (p <= 1)).all()
    if len(v):
        assert abs(v.noise_distribution().sum() - 1) < 1e-9


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400) | st.builds(lambda h, b: h + b, st.sampled_from(
    [b"2 3\n", b"1 2\n", b"0 5\n", b"3 1\n", b"1000000000000 2\n", b"1 100000000\n"]), st.binary(max_size=200)),
       fmt=st.sampled_from(["text", "binary", "glove"]))
def test_vector_parsers_fail_only_with_format_errors(tmp_path_factory, data, fmt):
    path = tmp_path_factory.mktemp("v") / f"v.{'bin' if fmt == 'binary' else 'txt'}"
    path.write_bytes(data)
    try:
        wv = load_vectors(path, fmt)
    except EmbeddingsError:
        return
    assert isinstance(wv, WordVectors) and np.isfinite(wv.vectors).all() and len(wv) > 0


@given(st.lists(st.text(max_size=12), max_size=6))
def test_analogy_parsing(terms):
    try:
        positive, negative = parse_analogy(terms)
    except EmbeddingsError:
        return
    assert positive and all(w and w.strip() == w for w in positive + negative)


def test_analogy_forms():
    assert parse_analogy(["king", "man", "woman"]) == (["king", "woman"], ["man"])
    assert parse_analogy(["king - man + woman"]) == (["king", "woman"], ["man"])
    assert parse_analogy(["king", "-", "man", "+", "woman"]) == (["king", "woman"], ["man"])
    assert parse_analogy(["man:king::woman:?"]) == (["king", "woman"], ["man"])
    assert parse_analogy(["paris-france+italy"]) == (["paris", "italy"], ["france"])
    for bad in (["king", "man"], ["king + + man"], ["a:b::c:d:e"], ["king -"], [], ["- king"]):
        try:
            parse_analogy(bad)
        except EmbeddingsError:
            continue
        raise AssertionError(f"{bad} should be refused")
