import bz2
import gzip
import lzma

import pytest

from embeddings.training.corpus import corpus_files, iter_lines, iter_sentences, tokenize
from embeddings.training.encoded import SENTENCE_END, CorpusError, EncodedCorpus


@pytest.mark.parametrize("text, tokens", [
    ("Hello, World!", ["hello", "world"]),
    ("Don't stop-words 2x!", ["don", "t", "stop", "words", "2x"]),
    ("snake_case and   tabs\tok", ["snake", "case", "and", "tabs", "ok"]),
    ("Café naïve ÉCOLE", ["café", "naïve", "école"]),
    ("", []),
    ("... --- !!!", []),
    ("bad\ufffdbyte", ["bad", "byte"]),
])
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize("suffix, opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_reads_compressed_files(tmp_path, suffix, opener):
    path = tmp_path / f"c{suffix}"
    with opener(path, "wt", encoding="utf-8") as f:
        f.write("One two\n\nthree, four\n")
    assert list(iter_sentences([path])) == [["one", "two"], ["three", "four"]]


def test_folders_are_read_recursively_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "b" / "c.txt").write_text("gamma\n")
    (tmp_path / "b" / "a.txt").write_text("beta\n")
    assert [f.name for f in corpus_files([tmp_path])] == ["a.txt", "a.txt", "c.txt"]
    assert list(iter_sentences([tmp_path])) == [["alpha"], ["beta"], ["gamma"]]


def test_undecodable_bytes_split_tokens(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("na\xefve caf\xe9 ok\n".encode("latin-1"))
    assert list(iter_sentences([path])) == [["na", "ve", "caf", "ok"]]


def test_over_long_line_is_cut_at_spaces(tmp_path, monkeypatch):
    import embeddings.training.corpus as corpus
    monkeypatch.setattr(corpus, "MAX_LINE_CHARS", 16)
    path = tmp_path / "long.txt"
    words = [f"w{i}" for i in range(50)]
    path.write_text(" ".join(words) + "\nend\n")
    lines = list(iter_lines(path))
    assert all(len(line) <= 32 for line in lines)
    assert [t for line in lines for t in tokenize(line)] == words + ["end"]


def test_encoded_corpus_round_trip(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b a c\n\nb a\nd\n")
    with EncodedCorpus([path], min_count=2) as enc:
        assert enc.vocab.words == ("a", "b")
        assert enc.vocab.counts.tolist() == [3, 2]
        assert enc.raw_tokens == 7
        ids = [int(x) for chunk in enc.chunks(1 << 20) for x in chunk]
    sentences = [s.split() for s in " ".join(map(str, ids)).split(str(SENTENCE_END))]
    # c and d are dropped before windows are drawn; line breaks stay as sentence ends
    assert [s for s in sentences if s] == [["0", "1", "0"], ["1", "0"]]
    assert ids[-1] == SENTENCE_END


def test_encoded_chunks_cut_at_sentence_ends(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("".join(f"x y z w{i % 3}\n" for i in range(100)))
    with EncodedCorpus([path], min_count=1) as enc:
        whole = [int(x) for x in next(enc.chunks(1 << 20))]
        chunks = [c.tolist() for c in enc.chunks(7)]
    assert sum(chunks, []) == whole
    assert all(c[-1] == SENTENCE_END for c in chunks)


def test_empty_and_missing_corpus(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n!!\n")
    with pytest.raises(CorpusError, match="no words"):
        EncodedCorpus([empty])
    with pytest.raises(CorpusError, match="not found"):
        EncodedCorpus([tmp_path / "missing.txt"])
    rare = tmp_path / "rare.txt"
    rare.write_text("one two three\n")
    with pytest.raises(CorpusError, match="min_count=5"):
        EncodedCorpus([rare], min_count=5)
