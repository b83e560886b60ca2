import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from embeddings.similarity import most_similar  # noqa: E402
from embeddings import plot  # noqa: E402
from embeddings.cli import main  # noqa: E402
from embeddings.errors import EmbeddingsError  # noqa: E402
from embeddings.reduce import PCA, TSNE, UMAP, make_reducer  # noqa: E402
from embeddings.formats import save_vectors  # noqa: E402
from embeddings.vectors import WordVectors  # noqa: E402


@pytest.fixture(scope="module")
def wv():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 20)) * 3
    words, vecs = [], []
    for g, names in enumerate([["dog", "cat", "horse", "cow"], ["democracy", "election", "senate", "vote"],
                               ["man", "woman", "king", "queen"]]):
        for n in names:
            words.append(n)
            vecs.append(centres[g] + rng.normal(size=20))
    for i in range(200):
        words.append(f"w{i}")
        vecs.append(rng.normal(size=20))
    return WordVectors(words, np.array(vecs))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ax):
    return sorted(t.get_text() for t in ax.texts)


def n_points(ax):
    return sum(len(c.get_offsets()) for c in ax.collections)


def test_reducers_follow_sklearn(wv):
    X = wv.unit[:60]
    pca = PCA(2)
    assert pca.fit(X) is pca and pca.components_.shape == (2, 20)
    assert np.allclose(pca.transform(X), pca.embedding_, atol=1e-5)
    assert pca.explained_variance_ratio_[0] >= pca.explained_variance_ratio_[1]
    t1, t2 = TSNE(2).fit_transform(X), TSNE(2).fit_transform(X)
    assert t1.shape == (60, 2) and np.allclose(t1, t2)  # seeded: same call, same picture
    assert not hasattr(TSNE(), "transform") and TSNE().metric == "cosine"
    u = UMAP(3)
    assert u.fit(X) is u and u.embedding_.shape == (60, 3) and u.transform(X[:5]).shape == (5, 3)
    assert np.allclose(UMAP(2).fit_transform(X), UMAP(2).fit_transform(X))
    with pytest.raises(EmbeddingsError):
        make_reducer("lda")


def test_words_and_groups(wv):
    ax = plot.plot_groups(wv, {"animals": ["dog", "cat", "horse"], "politics": ["democracy", "election"]})
    assert labels(ax) == sorted(["dog", "cat", "horse", "democracy", "election"])
    assert n_points(ax) == 5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["animals", "politics"]
    assert "of variance" in ax.get_xlabel() and "of variance" in ax.get_ylabel()
    ax = plot.plot_words(wv, ["dog", "cat", "king"])
    assert labels(ax) == ["cat", "dog", "king"] and ax.get_legend() is None


def test_3d(wv):
    ax = plot.plot_words(wv, ["dog", "cat", "king", "queen", "vote"], dim=3)
    assert ax.name == "3d" and labels(ax) == sorted(["dog", "cat", "king", "queen", "vote"])
    assert "PC3" in ax.get_zlabel()
    with pytest.raises(EmbeddingsError):
        plot.plot_words(wv, ["dog", "cat", "king"], dim=3, ax=plt.figure().add_subplot())


def test_ax_is_used_and_returned(wv):
    fig, axes = plt.subplots(1, 2)
    out = plot.plot_words(wv, ["dog", "cat", "king"], ax=axes[1])
    assert out is axes[1] and not axes[0].texts


def test_neighbors(wv):
    ax = plot.plot_neighbors(wv, "dog", k=3)
    assert "dog" in labels(ax) and len(labels(ax)) == 4 and n_points(ax) == 4
    assert set(labels(ax)) - {"dog"} == {w for w, _ in most_similar(wv, "dog", topn=3)}


def test_analogy_draws_arrows(wv):
    ax = plot.plot_analogy(wv, [("man", "woman"), ("king", "queen")])
    arrows = [t for t in ax.texts if t.arrow_patch is not None]
    assert len(arrows) == 2
    assert labels(ax) == sorted(["", "", "man", "woman", "king", "queen"])


def test_overview_labels_a_readable_subset(wv):
    ax = plot.plot_overview(wv, n=150, method="umap", labels=30)
    assert n_points(ax) == 150 and 0 < len(ax.texts) <= 30
    assert labels(ax)[0] in wv.word_to_index
    assert "dog" in labels(ax)  # the most frequent word is labelled first


def test_labels_do_not_overlap():
    words = [f"word{i}" for i in range(40)]
    fig, ax = plt.subplots(figsize=(6, 6))
    pts = np.random.default_rng(0).uniform(size=(40, 2))
    ax.scatter(*pts.T)
    texts = plot.place_labels(ax, pts, words, force=False)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in texts]
    overlaps = sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert len(texts) >= 20 and overlaps <= 2


def test_custom_axes(wv):
    ax = plot.plot_custom_axes(wv, ["king", "queen", "dog"], ("man", "woman"), ("dog", "democracy"))
    assert labels(ax) == ["dog", "king", "queen"]
    x = dict(zip(["king", "queen", "dog"], ax.collections[0].get_offsets()[:, 0]))
    d = wv.get_vector("woman", True) - wv.get_vector("man", True)
    assert x["queen"] == pytest.approx(wv.get_vector("queen", True) @ d / np.linalg.norm(d), rel=1e-4)


def test_similarity_matrix_and_dot_vs_cosine(wv):
    m = np.eye(3)
    ax = plot.plot_similarity_matrix(m, ["a", "b", "c"])
    assert len(ax.texts) == 9 and [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    ax = plot.plot_dot_vs_cosine(wv, "dog", "cat")
    assert "dog" in ax.get_title() and len([t for t in ax.texts if t.arrow_patch is not None]) == 3


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_cli_plot_writes_file(wv, tmp_path, capsys, suffix):
    model = tmp_path / "v.txt"
    save_vectors(wv, model)
    out = tmp_path / f"fig.{suffix}"
    code = main(["plot", "--model", str(model), "--group", "animals", "dog", "cat", "--group", "politics",
                 "democracy", "vote", "--output", str(out)])
    assert code == 0 and capsys.readouterr().out.strip() == str(out)
    data = out.read_bytes()
    assert data[:4] in (b"\x89PNG", b"<?xm", b"%PDF")
    if suffix == "png":
        import matplotlib.image as mpimg
        assert mpimg.imread(str(out)).shape[2] in (3, 4)


def test_cli_plot_modes(wv, tmp_path, capsys):
    model = tmp_path / "v.txt"
    save_vectors(wv, model)
    for args in (["--analogy", "man", "woman", "king", "queen"], ["--analogy", "king", "man", "woman"],
                 ["--neighbors", "dog", "--k", "3"], ["--dim", "3", "dog", "cat", "king", "queen"],
                 ["--x-axis", "man", "woman", "--y-axis", "dog", "vote", "king", "queen"]):
        out = tmp_path / "x.png"
        assert main(["plot", "--model", str(model), *args, "-o", str(out)]) == 0, args
        assert out.stat().st_size > 1000
    assert main(["plot", "--model", str(model), "-o", str(tmp_path / "y.png")]) == 1
    assert "nothing to plot" in capsys.readouterr().err


def test_words_built_from_ngrams_are_drawn_hollow_and_said_so():
    from embeddings.subwords import SubwordVectors
    rng = np.random.default_rng(0)
    vocab = ["king", "queen", "man", "woman", "dog"]
    sv = SubwordVectors(vocab, rng.normal(size=(5, 8)), rng.normal(size=(200, 8)), 3, 5)
    assert sv.composed("kingz") and not sv.composed("king")

    def hollow_points(ax):  # the offsets of the points drawn with a white face
        return [tuple(p) for c in ax.collections if len(c.get_offsets())
                and np.allclose(c.get_facecolor()[0], [1, 1, 1, 1]) for p in c.get_offsets()]

    ax = plot.plot_words(sv, ["king", "kingz", "queen"])
    assert n_points(ax) == 3 and len(hollow_points(ax)) == 1
    styles = {t.get_text(): t.get_fontstyle() for t in ax.texts}
    assert styles == {"king": "normal", "kingz": "italic", "queen": "normal"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [plot.COMPOSED_LABEL]

    ax = plot.plot_analogy(sv, [("man", "woman"), ("kingz", "queen")])
    assert len(hollow_points(ax)) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["man → woman", "kingz → queen", plot.COMPOSED_LABEL]

    ax = plot.plot_words(sv, ["king", "queen", "dog"])      # all in the vocabulary: nothing to say
    assert hollow_points(ax) == [] and ax.get_legend() is None
    ax = plot.plot_groups(sv, {"royal": ["king", "queen"], "other": ["dog", "dogz"]}, dim=3)
    assert len(hollow_points(ax)) == 1 and plot.COMPOSED_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]
