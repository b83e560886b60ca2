import math

import numpy as np
import pytest

from embeddings import similarity as sim
from embeddings.errors import EmbeddingsError, UnknownWordError
from embeddings.vectors import WordVectors


def structured_vectors(n_pairs=150, dim=24, noise=0.6, seed=0):
    """a_i and b_i = a_i + r + noise: analogies a_i : b_i :: a_j : b_j are often, not always, solvable."""
    rng = np.random.default_rng(seed)
    relation = rng.normal(size=dim)
    a = rng.normal(size=(n_pairs, dim))
    b = a + relation + noise * rng.normal(size=(n_pairs, dim)) * np.sqrt(dim) / 3
    extra = rng.normal(size=(300, dim)) * rng.uniform(0.5, 2, size=(300, 1))
    words = [f"a{i}" for i in range(n_pairs)] + [f"b{i}" for i in range(n_pairs)] + [f"w{i}" for i in range(300)]
    return WordVectors(words, np.vstack([a, b, extra]).astype(np.float32))


@pytest.fixture(scope="module")
def wv():
    return structured_vectors()


def loop_cosine(x, y):
    return sum(p * q for p, q in zip(x, y)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))


def test_scores_against_python_loops(wv):
    x, y = wv["a1"].tolist(), wv["b7"].tolist()
    assert sim.dot(wv, "a1", "b7") == pytest.approx(sum(p * q for p, q in zip(x, y)), rel=1e-5)
    assert sim.cosine(wv, "a1", "b7") == pytest.approx(loop_cosine(x, y), rel=1e-5)
    assert sim.euclidean(wv, "a1", "b7") == pytest.approx(math.dist(x, y), rel=1e-5)
    assert sim.cosine(wv, np.zeros(wv.dim), "a1") == 0.0


def loop_most_similar(wv, positive, negative, topn, metric="cosine"):
    vecs = wv.vectors.astype(np.float64)
    if metric == "cosine":
        vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    q = sum(vecs[wv.index(w)] for w in positive) - sum(vecs[wv.index(w)] for w in negative)
    scores = []
    for i, w in enumerate(wv.index_to_word):
        if w in positive or w in negative:
            continue
        s = sum(float(p) * float(r) for p, r in zip(vecs[i], q))
        scores.append((s, w))
    scores.sort(key=lambda t: -t[0])
    return [w for _, w in scores[:topn]]


@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_most_similar_against_loop(wv, metric):
    rng = np.random.default_rng(1)
    for _ in range(5):
        pos = list(rng.choice(wv.index_to_word, 2, replace=False))
        neg = [w for w in rng.choice(wv.index_to_word, 1) if w not in pos]
        got = [w for w, _ in sim.most_similar(wv, pos, neg, topn=10, metric=metric)]
        assert got == loop_most_similar(wv, pos, neg, 10, metric)


def test_most_similar_many_is_one_matmul_of_single_queries(wv):
    words = ["a1", "b2", "w3", "w100"]
    many = sim.most_similar_many(wv, words, topn=7)
    for w in words:
        single = sim.most_similar(wv, w, topn=7)
        assert [n for n, _ in many[w]] == [n for n, _ in single]
        assert [s for _, s in many[w]] == pytest.approx([s for _, s in single], abs=1e-5)
    with pytest.raises(UnknownWordError, match="'nope'"):
        sim.most_similar_many(wv, ["a1", "nope"])


def test_restrict_vocab_and_vector_queries(wv):
    got = sim.most_similar(wv, "a0", topn=5, restrict_vocab=100)
    assert all(wv.word_to_index[w] < 100 for w, _ in got)
    by_vector = sim.most_similar(wv, [wv["a0"]], topn=6)
    assert by_vector[0][0] == "a0" and by_vector[0][1] == pytest.approx(1.0, abs=1e-5)


def test_doesnt_match(wv):
    words = ["a3", "b3", "w7"]
    unit = wv.unit[[wv.index(w) for w in words]]
    mean = unit.mean(0) / np.linalg.norm(unit.mean(0))
    assert sim.doesnt_match(wv, words) == words[int(np.argmin(unit @ mean))]


def test_cosmul_against_formula(wv):
    a, b, c = "a1", "b1", "a2"
    unit = wv.unit.astype(np.float64)
    ua, ub, uc = (unit[wv.index(w)] for w in (a, b, c))
    scores = {w: ((1 + unit[i] @ ub) / 2) * ((1 + unit[i] @ uc) / 2) / ((1 + unit[i] @ ua) / 2 + 1e-6)
              for i, w in enumerate(wv.index_to_word) if w not in (a, b, c)}
    expected = sorted(scores, key=lambda w: -scores[w])[:5]
    assert [w for w, _ in sim.analogy(wv, a, b, c, topn=5, method="mul")] == expected


def test_unknown_metric_and_empty_query(wv):
    with pytest.raises(EmbeddingsError):
        sim.most_similar(wv, "a1", metric="manhattan")
    with pytest.raises(EmbeddingsError):
        sim.most_similar(wv, [], [])


def write_analogies(path, wv, n=300, seed=2):
    rng = np.random.default_rng(seed)
    lines = [": pairs-one"]
    for k in range(n):
        i, j = rng.choice(150, 2, replace=False)
        if k == n // 2:
            lines.append(": gram-pairs")
        lines.append(f"A{i} B{i} A{j} B{j}" if k % 3 else f"a{i} b{i} a{j} b{j}")
    lines.append("a1 b1 unknownword b2")
    path.write_text("\n".join(lines) + "\n")


def loop_analogy_accuracy(wv, path, method):
    correct = total = 0
    for line in open(path):
        if line.startswith(":"):
            continue
        a, b, c, d = line.lower().split()
        if not all(w in wv for w in (a, b, c, d)):
            continue
        total += 1
        best = sim.analogy(wv, a, b, c, topn=1, method=method)[0][0]
        correct += best == d
    return correct / total, total


@pytest.mark.parametrize("method", ["add", "mul"])
def test_evaluate_analogies_against_loop(wv, tmp_path, method):
    path = tmp_path / "q.txt"
    write_analogies(path, wv)
    r = sim.evaluate_analogies(wv, path, method)
    acc, total = loop_analogy_accuracy(wv, path, method)
    assert r.overall.total == total and r.accuracy == pytest.approx(acc)
    assert 0.1 < r.accuracy < 0.95  # the test set is neither trivial nor hopeless
    assert [s.name for s in r.sections] == ["pairs-one", "gram-pairs"]
    assert r.semantic.total + r.syntactic.total == total
    assert r.coverage == pytest.approx(total / 301)


def test_evaluate_word_pairs_against_scipy(wv, tmp_path):
    from scipy import stats
    path = tmp_path / "pairs.tsv"
    rng = np.random.default_rng(3)
    rows = [(f"a{i}", f"b{j}", float(rng.uniform(0, 10))) for i, j in rng.integers(0, 150, (40, 2))]
    path.write_text("# comment\n" + "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows) + "a1\tmissing\t3.0\n")
    r = sim.evaluate_word_pairs(wv, path)
    model = [loop_cosine(wv[a].tolist(), wv[b].tolist()) for a, b, _ in rows]
    human = [s for _, _, s in rows]
    assert r.spearman == pytest.approx(stats.spearmanr(model, human)[0], abs=1e-6)
    assert r.pearson == pytest.approx(stats.pearsonr(model, human)[0], abs=1e-6)
    assert r.pairs == 40 and r.oov == 1


# --- gensim as the reference -------------------------------------------------------------

@pytest.fixture(scope="module")
def kv(wv):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(wv.dim)
    kv.add_vectors(list(wv.index_to_word), wv.vectors)
    return kv


def test_neighbours_equal_gensim(wv, kv):
    rng = np.random.default_rng(4)
    for _ in range(10):
        pos = [str(w) for w in rng.choice(wv.index_to_word, 2, replace=False)]
        neg = [str(rng.choice(wv.index_to_word))]
        if neg[0] in pos:
            continue
        ours = sim.most_similar(wv, pos, neg, topn=10)
        theirs = kv.most_similar(positive=pos, negative=neg, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], abs=1e-5)
        ours = sim.most_similar_cosmul(wv, pos, neg, topn=10)
        theirs = kv.most_similar_cosmul(positive=pos, negative=neg, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-4)
    assert sim.doesnt_match(wv, ["a1", "a2", "a3", "b9"]) == kv.doesnt_match(["a1", "a2", "a3", "b9"])


@pytest.mark.parametrize("restrict", [300_000, 200])
def test_evaluation_equals_gensim(wv, kv, tmp_path, restrict):
    path = tmp_path / "q.txt"
    write_analogies(path, wv)
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)
    ours = sim.evaluate_analogies(wv, path, "add", restrict_vocab=restrict)
    assert ours.accuracy == pytest.approx(score)
    theirs = {s["section"]: len(s["correct"]) for s in sections}
    assert {s.name: s.correct for s in ours.sections if s.total} == \
        {k: v for k, v in theirs.items() if k != "Total accuracy"}
    pairs = tmp_path / "p.tsv"
    rng = np.random.default_rng(5)
    pairs.write_text("".join(f"a{i}\tb{j}\t{rng.uniform(0, 10):.2f}\n" for i, j in rng.integers(0, 150, (30, 2))))
    pearson, spearman, oov = kv.evaluate_word_pairs(str(pairs))
    r = sim.evaluate_word_pairs(wv, pairs)
    assert r.spearman == pytest.approx(spearman[0], abs=1e-6) and r.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert oov == pytest.approx(100 * r.oov_ratio)


def test_lessons(wv):
    from embeddings.lessons import ShapeError, dot_versus_cosine, matmul, one_hot, similarity_matrix
    oh = one_hot(["a", "b", "c"])
    assert (matmul(oh, oh.T) == np.eye(3)).all()  # one-hot: every different pair scores 0
    s = similarity_matrix(wv, ["a1", "b1", "w3"])
    assert s[0, 1] == pytest.approx(sim.cosine(wv, "a1", "b1"), abs=1e-6) and s[0, 1] != 0
    d = similarity_matrix(wv, ["a1", "b1"], "dot")
    assert d[0, 1] == pytest.approx(sim.dot(wv, "a1", "b1"), rel=1e-5)
    x = dot_versus_cosine(wv, "a1", "b1")
    assert x.dot_doubled == pytest.approx(2 * x.dot) and x.cosine_doubled == pytest.approx(x.cosine)
    with pytest.raises(ShapeError, match=r"\(3x24 and 3x24\).*inner dimensions 24 and 3"):
        matmul(wv.vectors[:3], wv.vectors[:3])
