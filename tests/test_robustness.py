"""Bad input gets one clear line and exit 1; interruption loses nothing; loading runs no code."""

import os
import pickle
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from embeddings.cli import main
from embeddings.training.config import TrainConfig
from embeddings.formats import load_checkpoint, save_checkpoint
from embeddings.training.train import train

from conftest import make_corpus


def run_cli(args, capsys):
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code, err, *needles):
    assert code == 1
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines, "no error message"
    assert "Traceback" not in err
    message = lines[-1]
    for needle in needles:
        assert needle in message, (needle, message)


# --- bad corpora -------------------------------------------------------------------------

def test_missing_corpus(tmp_path, capsys):
    code, _, err = run_cli(["train", str(tmp_path / "nope.txt"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "not found", "nope.txt")


def test_empty_corpus(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code, _, err = run_cli(["train", str(tmp_path / "empty.txt"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "no words", "empty.txt")


def test_empty_folder(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    code, _, err = run_cli(["train", str(tmp_path / "d"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "no corpus files")


def test_binary_corpus(tmp_path, capsys):
    (tmp_path / "img.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    code, _, err = run_cli(["train", str(tmp_path / "img.txt"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "binary", "img.txt")


def test_damaged_compressed_corpus(tmp_path, capsys):
    (tmp_path / "c.txt.gz").write_bytes(b"this is not gzip at all")
    code, _, err = run_cli(["train", str(tmp_path / "c.txt.gz"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "cannot read", "c.txt.gz")


def test_non_utf8_corpus_follows_the_rule(tmp_path, capsys):
    text = make_corpus(200).encode("utf-8") + "caf\xe9 na\xefve\n".encode("latin-1") * 10
    (tmp_path / "latin.txt").write_bytes(text)
    code, out, err = run_cli(["train", str(tmp_path / "latin.txt"), "--quiet", "--min-count", "1", "--epochs", "1",
                              "--output", str(tmp_path / "m")], capsys)
    assert code == 0
    words = load_checkpoint(tmp_path / "m" / "checkpoint.npz").words
    assert "caf" in words and "ve" in words and not any("\ufffd" in w for w in words)


def test_corpus_shorter_than_window(tmp_path, capsys):
    (tmp_path / "short.txt").write_text("hello world\n")
    code, _, err = run_cli(["train", str(tmp_path / "short.txt"), "--min-count", "1", "--quiet",
                            "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "shorter than the window")


def test_every_word_below_min_count(tmp_path, capsys):
    (tmp_path / "rare.txt").write_text("a b c d e f g\n")
    code, _, err = run_cli(["train", str(tmp_path / "rare.txt"), "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "min_count=5")


@pytest.mark.parametrize("args, needle", [
    (["--dim", "0"], "dim must be a positive integer"),
    (["--window", "-2"], "window must be a positive integer"),
    (["--negative", "0"], "negative must be a positive integer"),
    (["--epochs", "0"], "epochs must be a positive integer"),
    (["--sample", "-0.1"], "sample must be a non-negative number"),
    (["--lr", "-1"], "lr must be a non-negative number"),
    (["--lr", "nan"], "lr must be"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--device", "mps"], "unsupported device 'mps'"),
    (["--device", "banana:7"], "device 'banana:7'"),
    (["--dim", "ten"], "invalid int value: 'ten'"),
])
def test_invalid_hyperparameters(small_corpus, tmp_path, capsys, args, needle):
    code, _, err = run_cli(["train", str(small_corpus), "--quiet", "--output", str(tmp_path / "m"), *args], capsys)
    assert_one_line_error(code, err, needle)
    assert not (tmp_path / "m").exists()


def test_cuda_where_there_is_none(small_corpus, tmp_path, capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, _, err = run_cli(["train", str(small_corpus), "--device", "cuda", "--quiet", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "CUDA is not available")


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(Exception, match="not found"):
        main(["--debug", "train", str(tmp_path / "nope.txt"), "--quiet"])


# --- bad vectors files ---------------------------------------------------------------------

@pytest.fixture
def model_dir(tmp_path, small_corpus):
    out = tmp_path / "model"
    train(TrainConfig(dim=8, epochs=1, min_count=1), [small_corpus], output=out, progress=False)
    return out


def test_unknown_query_word(model_dir, capsys):
    code, _, err = run_cli(["similar", "kign", "--model", str(model_dir)], capsys)
    assert_one_line_error(code, err, "'kign'", "king")
    code, _, err = run_cli(["analogy", "king", "man", "zebra", "--model", str(model_dir)], capsys)
    assert_one_line_error(code, err, "'zebra'")


@pytest.mark.parametrize("content, needle", [
    (b"3 4\nfoo 1 2 3 4\nbar 1 2 3 4\n", "header says 3 words but the file holds 2"),
    (b"1 4\nfoo 1 2 3 4\nbar 1 2 3 4\n", "header says 1 words but the file holds more"),
    (b"2 4\nfoo 1 2 3\nbar 1 2 3 4\n", "line 2 has 3 numbers, expected 4"),
    (b"2 4\nfoo 1 2 nan 4\nbar 1 2 3 4\n", "'foo' has NaN or infinite"),
    (b"2 4\nfoo 1 2 3 4\nbar 1 inf 3 4\n", "'bar' has NaN or infinite"),
    (b"2 4\nfoo 1 2 x 4\nbar 1 2 3 4\n", "not a number"),
    (b"1000000000000 4\nfoo 1 2 3 4\n", "header says 1000000000000 words but the file holds 1"),
    (b"2 99999999999\nfoo 1\n", "header claims 2 words of 99999999999 dimensions"),
    (b"", "holds no vectors"),
])
def test_malformed_text_vectors(tmp_path, capsys, content, needle):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, _, err = run_cli(["similar", "foo", "--model", str(path)], capsys)
    assert_one_line_error(code, err, needle, "bad.txt")


def test_malformed_binary_vectors(tmp_path, capsys):
    good = b"2 3\n" + b"foo " + np.ones(3, "<f4").tobytes() + b"\n" + b"bar " + np.ones(3, "<f4").tobytes() + b"\n"
    cases = {
        "truncated": (good[:-7], "truncated"),
        "huge": (b"1000000000000 3\n" + good[4:], "header says 1000000000000 words but the file holds 2"),
        "nan": (good.replace(np.ones(3, "<f4").tobytes(), np.full(3, np.nan, "<f4").tobytes(), 1), "NaN"),
        "header": (b"two three\n" + good[4:], "first line should be"),
    }
    for name, (content, needle) in cases.items():
        path = tmp_path / f"{name}.bin"
        path.write_bytes(content)
        t = time.perf_counter()
        code, _, err = run_cli(["similar", "foo", "--model", str(path)], capsys)
        assert time.perf_counter() - t < 5  # fails fast, allocates nothing huge
        assert_one_line_error(code, err, needle, path.name)


def test_checkpoint_from_another_version(model_dir, capsys):
    ck = load_checkpoint(model_dir / "checkpoint.npz")
    import embeddings.formats as io_mod
    old = io_mod.CHECKPOINT_VERSION
    io_mod.CHECKPOINT_VERSION = 99
    try:
        save_checkpoint(ck, model_dir / "future.npz")
    finally:
        io_mod.CHECKPOINT_VERSION = old
    code, _, err = run_cli(["similar", "king", "--model", str(model_dir / "future.npz")], capsys)
    assert_one_line_error(code, err, "checkpoint version 99", "future.npz")


# --- loading runs no code ------------------------------------------------------------------

class Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_is_refused_and_nothing_runs(tmp_path, capsys):
    marker = tmp_path / "pwned"
    raw = tmp_path / "evil.npz"
    raw.write_bytes(pickle.dumps(Evil(marker)))
    code, _, err = run_cli(["similar", "king", "--model", str(raw)], capsys)
    assert_one_line_error(code, err, "pickled data", "evil.npz")
    inside = tmp_path / "evil2.npz"
    np.savez(inside, format=np.frombuffer(b"embeddings-checkpoint", np.uint8),
             words=np.array([Evil(marker)], dtype=object))
    code, _, err = run_cli(["similar", "king", "--model", str(inside)], capsys)
    assert_one_line_error(code, err, "pickled data", "evil2.npz")
    code, _, err = run_cli(["train", "--resume", str(inside), "--quiet"], capsys)
    assert_one_line_error(code, err, "pickled data")
    assert not marker.exists()
    # the same files really would run code if unpickled: the test is not vacuous
    pickle.loads(raw.read_bytes())
    assert marker.exists()


# --- interruption loses nothing -------------------------------------------------------------

def _config():
    return dict(dim=16, epochs=30, min_count=1, batch_size=512, seed=7, device="cpu")  # exact on the CPU


def test_sigint_saves_checkpoint_and_resume_equals_uninterrupted(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(make_corpus(3000, seed=1))
    out = tmp_path / "run"
    c = _config()
    cmd = [sys.executable, "-m", "embeddings", "train", str(corpus), "--output", str(out), "--dim", str(c["dim"]),
           "--epochs", str(c["epochs"]), "--min-count", "1", "--batch-size", str(c["batch_size"]), "--seed", str(c["seed"]),
           "--device", "cpu"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.time() + 60
    while b"epoch 2/" not in seen and time.time() < deadline:  # well inside training
        if select.select([proc.stderr], [], [], 1)[0]:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = (seen + err).decode()
    assert proc.returncode == 130, err
    assert "resume with: embeddings train --resume" in err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz"]  # no half-written vectors
    ck = load_checkpoint(out / "checkpoint.npz")
    assert not ck.state["complete"] and 0 < ck.state["words_done"]
    resumed = subprocess.run([sys.executable, "-m", "embeddings", "train", "--resume", str(out / "checkpoint.npz"),
                              "--output", str(out), "--quiet"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    got = load_checkpoint(out / "checkpoint.npz")
    assert got.state["complete"]
    reference = train(TrainConfig(**c), [corpus], progress=False)
    np.testing.assert_array_equal(got.vectors.vectors, reference.vectors.vectors)  # W + C / 2 of each
    assert (out / "vectors.bin").exists() and (out / "vectors.txt").exists()


def test_resume_in_process_at_many_points(small_corpus, tmp_path):
    c = TrainConfig(dim=8, epochs=3, min_count=1, batch_size=64, seed=5, device="cpu")  # exact on the CPU
    reference = train(c, [small_corpus], progress=False).vectors.vectors
    for stop in (1, 7, 40):
        out = tmp_path / f"stop{stop}"
        r = train(c, [small_corpus], output=out, progress=False, stop_after_batches=stop)
        assert r.interrupted
        done = train(None, None, output=out, progress=False, resume=out / "checkpoint.npz")
        np.testing.assert_array_equal(done.vectors.vectors, reference)


def test_resume_refuses_finished_or_changed(small_corpus, tmp_path, capsys):
    out = tmp_path / "m"
    train(TrainConfig(dim=8, epochs=1, min_count=1), [small_corpus], output=out, progress=False)
    code, _, err = run_cli(["train", "--resume", str(out / "checkpoint.npz"), "--quiet"], capsys)
    assert_one_line_error(code, err, "already finished")
    r = train(TrainConfig(dim=8, epochs=2, min_count=1, batch_size=64), [small_corpus], output=out, progress=False,
              stop_after_batches=2)
    assert r.interrupted
    small_corpus.write_text(make_corpus(seed=9).replace("dog", "wolf"))
    code, _, err = run_cli(["train", "--resume", str(out / "checkpoint.npz"), "--quiet"], capsys)
    assert_one_line_error(code, err, "corpus has changed")


# --- the bad inputs of the training-loop issue -----------------------------------------------------

@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_corpus_damaged_inside_the_stream(tmp_path, capsys, suffix):
    import bz2
    import gzip
    import lzma
    compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix]
    data = bytearray(compress(make_corpus(3000).encode()))
    middle = len(data) // 2                       # the header is whole: the damage is met mid-stream
    data[middle: middle + 64] = bytes(range(64))
    path = tmp_path / f"c.txt{suffix}"
    path.write_bytes(bytes(data))
    code, _, err = run_cli(["train", str(path), "--quiet", "--min-count", "1", "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "cannot read corpus file", path.name)


def test_output_that_is_a_file(small_corpus, tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    code, _, err = run_cli(["train", str(small_corpus), "--quiet", "--output", str(tmp_path / "taken")], capsys)
    assert_one_line_error(code, err, "taken", "not a folder")


def test_model_too_big_is_refused_before_allocating(small_corpus, tmp_path, capsys):
    code, _, err = run_cli(["train", str(small_corpus), "--quiet", "--min-count", "1", "--dim", "1000000000",
                            "--output", str(tmp_path / "m")], capsys)
    assert_one_line_error(code, err, "the model needs", "GiB", "--dim")


@pytest.mark.parametrize("args", [["similar", "king", "--topn", "-1"], ["similar", "king", "--topn", "0"],
                                  ["analogy", "king", "man", "woman", "--topn", "-3"],
                                  ["evaluate", "--restrict-vocab", "0"], ["plot", "--neighbors", "king", "--k", "0"]])
def test_counts_below_one_are_refused(model_dir, capsys, args):
    code, _, err = run_cli(args + ["--model", str(model_dir)], capsys)
    assert_one_line_error(code, err, "at least 1")


def test_resume_writes_into_the_checkpoint_folder(small_corpus, tmp_path, capsys, monkeypatch):
    run2 = tmp_path / "run2"
    r = train(TrainConfig(dim=8, epochs=2, min_count=1, batch_size=64), [small_corpus], output=run2,
              progress=False, stop_after_batches=3)
    assert r.interrupted
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                  # the printed command, run from another folder
    code, out, err = run_cli(["train", "--resume", str(run2 / "checkpoint.npz"), "--quiet"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in run2.iterdir()) == ["checkpoint.npz", "vectors.bin", "vectors.txt"]
    assert not (elsewhere / "model").exists() and load_checkpoint(run2 / "checkpoint.npz").state["complete"]


def test_resume_from_a_file_that_is_not_a_checkpoint(small_corpus, tmp_path, capsys):
    code, _, err = run_cli(["train", "--resume", str(small_corpus), "--quiet"], capsys)
    assert_one_line_error(code, err, "not a checkpoint")              # not "pickled": it is text
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps({"a": 1}))
    code, _, err = run_cli(["train", "--resume", str(raw), "--quiet"], capsys)
    assert_one_line_error(code, err, "refused", "pickled")


def test_empty_output_is_refused(small_corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["train", str(small_corpus), "--quiet", "--output", ""], capsys)
    assert_one_line_error(code, err, "--output is empty")
    assert not (tmp_path / "vectors.bin").exists()


def test_output_piped_into_a_reader_that_leaves_early(tmp_path):
    # `embeddings similar king | head -1`: the rest of the table meets a closed pipe; that is not an error
    from embeddings.formats import save_vectors
    from embeddings.vectors import WordVectors
    words = [f"w{i}" for i in range(2000)]
    save_vectors(WordVectors(words, np.random.default_rng(0).normal(size=(2000, 8)).astype(np.float32)),
                 tmp_path / "v.txt")
    cmd = (f"{sys.executable} -m embeddings similar w1 w2 w3 w4 w5 w6 w7 w8 w9 --topn 1000 "
           f"--model {tmp_path / 'v.txt'} | head -1")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("nearest to 'w1'")
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr
    assert out.returncode == 0, out.stderr
