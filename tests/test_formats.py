import numpy as np
import pytest

from embeddings.errors import FormatError
from embeddings.formats import load_vectors, save_vectors
from embeddings.vectors import WordVectors



def gensim_keyed_vectors():
    """gensim is a test peer, not a dependency: only the tests that compare with it skip without it."""
    return pytest.importorskip("gensim.models").KeyedVectors


@pytest.fixture
def wv():
    rng = np.random.default_rng(0)
    words = ["the", "king", "queen", "café", "naïve", "x1"]
    return WordVectors(words, rng.normal(size=(6, 7)).astype(np.float32), counts=[60, 50, 40, 30, 20, 10])


@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True), ("v.txt.gz", False), ("v.bin.gz", True)])
def test_gensim_reads_what_we_write(tmp_path, wv, name, binary):
    save_vectors(wv, tmp_path / name)
    kv = gensim_keyed_vectors().load_word2vec_format(str(tmp_path / name), binary=binary)
    assert kv.index_to_key == list(wv.index_to_word)
    np.testing.assert_array_equal(kv.vectors, wv.vectors)  # %.9g round-trips float32 exactly


@pytest.mark.parametrize("name, binary", [("g.txt", False), ("g.bin", True)])
def test_we_read_what_gensim_writes(tmp_path, wv, name, binary):
    kv = gensim_keyed_vectors()(7)
    kv.add_vectors(list(wv.index_to_word), wv.vectors)
    kv.save_word2vec_format(str(tmp_path / name), binary=binary)
    ours = load_vectors(tmp_path / name)
    assert ours.index_to_word == wv.index_to_word
    np.testing.assert_array_equal(ours.vectors, wv.vectors)


def test_glove_round_trip(tmp_path, wv):
    save_vectors(wv, tmp_path / "g.txt", "glove")
    assert (tmp_path / "g.txt").read_text().split("\n")[0].split()[0] == "the"
    for fmt in ("glove", None):  # also found by content: no header line
        got = load_vectors(tmp_path / "g.txt", fmt)
        np.testing.assert_array_equal(got.vectors, wv.vectors)


def test_vectors_object_is_read_only(wv):
    with pytest.raises(ValueError):
        wv.vectors[0, 0] = 1.0
    with pytest.raises(ValueError):
        wv.unit[0, 0] = 1.0
    assert np.allclose(np.linalg.norm(wv.unit, axis=1), 1.0)
    assert wv.index_to_word[wv.word_to_index["queen"]] == "queen"


def test_unknown_word_names_it_and_suggests(wv):
    from embeddings.errors import UnknownWordError
    with pytest.raises(UnknownWordError) as e:
        wv["quen"]
    assert "'quen'" in str(e.value) and "queen" in str(e.value)
    assert isinstance(e.value, KeyError)


def test_no_partial_file_on_failure(tmp_path, wv):
    from embeddings.formats import atomic_write
    target = tmp_path / "v.txt"
    save_vectors(wv, target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b"3 7\nhalf a fi")
            raise RuntimeError("interrupted mid-write")
    assert target.read_bytes() == before
    with pytest.raises(FormatError, match="whitespace"):
        save_vectors(WordVectors(["has space"], np.ones((1, 7))), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.txt"]


def test_querying_never_imports_torch_or_the_training_half(tmp_path, wv):
    import subprocess
    import sys
    save_vectors(wv, tmp_path / "v.bin")
    code = ("import sys; from embeddings.cli import main; "
            f"assert main(['similar', 'king', '--model', {str(tmp_path / 'v.bin')!r}]) == 0; "
            f"assert main(['analogy', 'king', 'the', 'queen', '--model', {str(tmp_path / 'v.bin')!r}]) == 0; "
            "import embeddings.explore.api, embeddings.plot, embeddings.reduce; "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "assert not [m for m in sys.modules if m.startswith('embeddings.training')], 'the training half was imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_word_vectors_copy_writable_arrays_and_adopt_read_only_ones():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    wv = WordVectors(["x", "y", "z"], a)
    a[0, 0] = 99.0                                   # the caller's array is the caller's
    assert wv["x"][0] == 0.0 and not wv.vectors.flags.writeable
    a.setflags(write=False)
    adopted = WordVectors(["x", "y", "z"], a)        # read-only float32: taken as it is
    assert np.shares_memory(adopted.vectors, a)
    widened = WordVectors(["x", "y", "z"], a.astype(np.float64))  # another dtype: converted
    assert widened.vectors.dtype == np.float32 and not np.shares_memory(widened.vectors, a)
