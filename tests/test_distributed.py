"""Several processes, one model: launched as a user would (torchrun), gloo on the CPU."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from embeddings.formats import load_checkpoint, load_vectors
from embeddings.similarity import cosine
from embeddings.training.config import TrainConfig
from embeddings.training.train import train

from conftest import make_corpus

TRAIN = ["--min-count", "1", "--dim", "16", "--batch-size", "128", "--sample", "0", "--lr", "0.05", "--quiet"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(n: int, args: list[str], timeout: int = 180) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(n), "--master-addr", "127.0.0.1",
           "--master-port", str(free_port()), "-m", "embeddings", "train", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "EMBEDDINGS_DIST_TIMEOUT": "60"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_two_processes_train_one_model_written_once(small_corpus, tmp_path):
    out = tmp_path / "m"
    # the 10 most frequent words' rows step together, the rest merge at chunk ends: both paths
    r = torchrun(2, [str(small_corpus), "--epochs", "10", "--output", str(out), "--sync-rows", "10", *TRAIN])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("trained ") == 1 and "by 2 processes" in r.stdout        # rank 0 alone reports
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "vectors.bin", "vectors.txt"]
    ck = load_checkpoint(out / "checkpoint.npz")
    assert ck.state["complete"] and ck.rng_state.shape[0] == 2                   # both ranks' RNG states
    assert len(ck.state["history"]) == 10
    wv = load_vectors(out / "vectors.bin")
    assert cosine(wv, "dog", "cat") > cosine(wv, "dog", "queen")                # it learned the topics
    assert cosine(wv, "king", "queen") > cosine(wv, "king", "horse")
    # the history counts the whole corpus's pairs, as one process does
    one = train(TrainConfig(dim=16, epochs=10, min_count=1, batch_size=128, sample=0, lr=0.05, device="cpu"),
                [small_corpus], progress=False)
    assert ck.state["history"][0]["pairs"] == pytest.approx(one.history[0]["pairs"], rel=0.05)


def test_one_rank_is_one_process(small_corpus, tmp_path):
    out = tmp_path / "m"
    r = torchrun(1, [str(small_corpus), "--epochs", "3", "--seed", "4", "--device", "cpu", "--output", str(out), *TRAIN])
    assert r.returncode == 0, r.stderr[-3000:]
    one = train(TrainConfig(dim=16, epochs=3, min_count=1, batch_size=128, sample=0, lr=0.05, seed=4, device="cpu"),
                [small_corpus], progress=False)
    np.testing.assert_array_equal(load_vectors(out / "vectors.bin").vectors, one.vectors.vectors)


def test_a_killed_rank_is_a_clear_error_not_a_hang(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(make_corpus(3000, seed=2))
    port = free_port()
    procs = []
    for rank in (0, 1):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1",
               "EMBEDDINGS_DIST_TIMEOUT": "30"}
        # a rate that cannot diverge before the kill however fast the machine runs the epochs
        cmd = [sys.executable, "-m", "embeddings", "train", str(corpus), "--epochs", "100000",
               "--output", str(tmp_path / "m"), *TRAIN, "--lr", "0.005"]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
    time.sleep(8)                                        # both are training, averaging after each chunk
    assert procs[0].poll() is None and procs[1].poll() is None
    procs[1].send_signal(signal.SIGKILL)
    try:
        _, err = procs[0].communicate(timeout=90)
    except subprocess.TimeoutExpired:
        procs[0].kill()
        pytest.fail("rank 0 hung after rank 1 died")
    assert procs[0].returncode == 1, err[-2000:]
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "another training process stopped" in lines[-1] and "Traceback" not in err


RESUME_SCRIPT = """
import sys
from embeddings.training.config import TrainConfig
from embeddings.training.train import train
corpus, out, stop = sys.argv[1], sys.argv[2], int(sys.argv[3])
if stop:
    config = TrainConfig(dim=16, epochs=4, min_count=1, batch_size=128, sample=0, lr=0.05, device="cpu",
                         chunk_tokens=900)
    r = train(config, [corpus], output=out, progress=False, stop_after_batches=stop)
else:
    r = train(None, None, progress=False, resume=out + "/checkpoint.npz")
print("interrupted" if r.interrupted else "complete", r.rank, r.world)
"""


def test_stop_and_resume_with_two_processes(small_corpus, tmp_path):
    out = str(tmp_path / "m")
    for stop in (3, 0):                                   # stop after 3 steps on rank 0, then resume
        port, procs = free_port(), []
        for rank in (0, 1):
            env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
                   "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
            procs.append(subprocess.Popen([sys.executable, "-c", RESUME_SCRIPT, str(small_corpus), out, str(stop)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
        answers = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [e[-1500:] for _, e in answers]
        expected = "interrupted" if stop else "complete"
        assert [o.split()[0] for o, _ in answers] == [expected, expected]      # both stopped at the same merge
        ck = load_checkpoint(tmp_path / "m" / "checkpoint.npz")
        assert ck.rng_state.shape[0] == 2 and ck.state["complete"] == (not stop)
    assert [h["epoch"] for h in ck.state["history"]] == [1, 2, 3, 4]
    wv = load_vectors(tmp_path / "m" / "vectors.bin")
    assert cosine(wv, "dog", "cat") > cosine(wv, "dog", "queen")


def test_two_processes_train_a_subword_model(small_corpus, tmp_path):
    """The n-gram rows merge like the words' rows; rank 0 alone writes the fastText model."""
    from embeddings.subwords import SubwordVectors
    out = tmp_path / "m"
    r = torchrun(2, [str(small_corpus), "--epochs", "10", "--output", str(out), "--subwords", "3-5",
                     "--buckets", "2000", *TRAIN])
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "fasttext.bin", "vectors.bin", "vectors.txt"]
    sv = load_vectors(out / "fasttext.bin")
    assert isinstance(sv, SubwordVectors) and sv.buckets == 2000
    assert cosine(sv, "dog", "cat") > cosine(sv, "dog", "queen")
    assert cosine(sv, "kingz", "king") > cosine(sv, "kingz", "horse")           # an unseen word, from its n-grams


SYNC_SCRIPT = """
import sys
import numpy as np
import torch
from embeddings.training import distributed
group, _ = distributed.from_environment(torch.device("cpu"))
from test_distributed import sparse_gradients
w = torch.nn.Parameter(torch.from_numpy(np.load(sys.argv[1])))
opt = distributed.SyncedSGD([w], lr=0.1, cap=4.0, lookups=dict, group=group, hot=int(sys.argv[3]))
for step in range(1 + group.rank):                   # rank 1 takes one step more: rank 0 waits in drain()
    w.grad = sparse_gradients(group.rank, step)
    opt.step()
opt.drain()
np.save(sys.argv[2] + f"/rank{group.rank}.npy", w.detach().numpy())
distributed.leave(finished=True)
"""


def sparse_gradients(rank: int, step: int):
    """A step's sparse gradient on a (12, 3) matrix: row 0 looked up 9 times (capped), others fewer."""
    import torch
    g = torch.Generator().manual_seed(100 * rank + step)
    rows = torch.cat([torch.zeros(9, dtype=torch.long), torch.randint(0, 12, (15,), generator=g)])
    return torch.sparse_coo_tensor(rows.unsqueeze(0), torch.randn(len(rows), 3, generator=g), (12, 3),
                                   check_invariants=True)


def test_hot_rows_step_as_one_process_with_every_ranks_batch(tmp_path):
    """SyncedSGD: the first `hot` rows take the step one process would take from both ranks'
    gradients together (one cap over all lookups) and stay alike on both ranks; the other rows
    take each rank's own step."""
    import torch
    from embeddings.training.optim import RowCappedSGD

    start = np.random.default_rng(0).standard_normal((12, 3)).astype(np.float32)
    np.save(tmp_path / "w.npy", start)
    hot, port, procs = 5, free_port(), []
    for rank in (0, 1):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1", "PYTHONPATH": os.path.dirname(__file__)}
        procs.append(subprocess.Popen([sys.executable, "-c", SYNC_SCRIPT, str(tmp_path / "w.npy"), str(tmp_path),
                                       str(hot)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-1500:] for e in errors]
    ranks = [np.load(tmp_path / f"rank{r}.npy") for r in (0, 1)]

    def one_process(*steps):  # RowCappedSGD, each step's gradient the sum of the listed ones
        w = torch.nn.Parameter(torch.from_numpy(start.copy()))
        opt = RowCappedSGD([w], lr=0.1, cap=4.0)
        for grads in steps:
            w.grad = torch.sparse_coo_tensor(torch.cat([g._indices() for g in grads], 1),
                                             torch.cat([g._values() for g in grads]), (12, 3), check_invariants=True)
            opt.step()
        return w.detach().numpy()

    both = one_process([sparse_gradients(0, 0), sparse_gradients(1, 0)], [sparse_gradients(1, 1)])
    np.testing.assert_array_equal(ranks[0][:hot], ranks[1][:hot])            # the hot rows: alike on both
    np.testing.assert_allclose(ranks[0][:hot], both[:hot], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ranks[0][hot:], one_process([sparse_gradients(0, 0)])[hot:], rtol=1e-6)
    np.testing.assert_allclose(ranks[1][hot:], one_process([sparse_gradients(1, 0)], [sparse_gradients(1, 1)])[hot:],
                               rtol=1e-6)
    assert not np.allclose(ranks[0][hot:], ranks[1][hot:])                  # the cold rows: each its own


SUBWORD_SYNC_SCRIPT = """
import sys
import numpy as np
import torch
from embeddings.training import distributed
group, _ = distributed.from_environment(torch.device("cpu"))
from test_distributed import EXTRA, subword_batch, subword_model
model = subword_model()
extra = {model.in_embed.weight: torch.tensor(EXTRA)}
opt = distributed.SyncedSGD(model.parameters(), lr=0.1, cap=4.0, lookups=model.lookup_weights, group=group, hot=3,
                            extra=extra, count_words=True)
model.occurrence_totals = opt.occurrence_totals
tokens, g = subword_batch(group.rank)
(model.inputs(tokens) * g).sum().backward()
opt.step()
opt.drain()
np.save(sys.argv[1] + f"/rank{group.rank}.npy", model.in_embed.weight.detach().numpy())
distributed.leave(finished=True)
"""


EXTRA = [6, 9, 20, 31]  # n-gram rows (of 6 + 40) synced in the subword test


def subword_model():
    """A 6-word subword model (n-grams 2-4 in 40 buckets), the same on every call."""
    import torch
    from embeddings.subwords import subword_rows
    from embeddings.training.model import build_model
    vocab = ["the", "king", "queen", "kings", "a", "banana"]
    torch.manual_seed(0)
    return build_model("skipgram", len(vocab), 6, 2, 5, 0.5, subword_rows(vocab, 2, 4, 40, len(vocab)), 40)


def subword_batch(rank: int):
    """Rank r's tokens (hot word 0 capped only over both ranks' 7 occurrences; words 3-5, not hot,
    each in one rank's batch) and the gradient of their input vectors."""
    import torch
    tokens = torch.tensor([[0] * 3 + [1, 1, 4, 5, 2], [0] * 4 + [1, 2, 2, 3, 3, 3]][rank])
    return tokens, torch.randn(len(tokens), 6, generator=torch.Generator().manual_seed(rank))


def test_subword_rows_step_as_one_process_with_every_ranks_batch(tmp_path):
    """SyncedSGD on a subword model: the hot words' own input rows and the synced n-gram rows take
    the step one process would take from both ranks' batches together (a hot word's gradient
    capped over its occurrences in both) and stay alike on both ranks; the other n-gram rows take
    each rank's own step, but with the hot words capped over both ranks' occurrences too."""
    import torch
    from embeddings.training.optim import RowCappedSGD

    port, procs = free_port(), []
    for rank in (0, 1):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1", "PYTHONPATH": os.path.dirname(__file__)}
        procs.append(subprocess.Popen([sys.executable, "-c", SUBWORD_SYNC_SCRIPT, str(tmp_path)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True))
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-1500:] for e in errors]
    ranks = [np.load(tmp_path / f"rank{r}.npy") for r in (0, 1)]
    counts = torch.bincount(torch.cat([subword_batch(r)[0] for r in (0, 1)]), minlength=6)

    def both_ranks_counts(words, occurrences):  # hot words (0-2): their occurrences in both batches
        return torch.where(words < 3, counts[words], occurrences)

    def one_process(*batches, totals=None):  # RowCappedSGD, one step over the batches' tokens together
        model = subword_model()
        model.occurrence_totals = totals
        opt = RowCappedSGD(model.parameters(), lr=0.1, cap=4.0, lookups=model.lookup_weights)
        tokens, g = (torch.cat(parts) for parts in zip(*batches))
        (model.inputs(tokens) * g).sum().backward()
        opt.step()
        return model.in_embed.weight.detach().numpy()

    start = subword_model().in_embed.weight.detach().numpy()
    both = one_process(subword_batch(0), subword_batch(1))
    np.testing.assert_array_equal(ranks[0][:3], ranks[1][:3])                 # hot words' rows: alike on both
    np.testing.assert_allclose(ranks[0][:3], both[:3], rtol=1e-5, atol=1e-6)  # word 0: 7 occurrences, capped at 4
    assert not np.allclose(both[0], one_process(subword_batch(0))[0])
    np.testing.assert_array_equal(ranks[0][EXTRA], ranks[1][EXTRA])           # the synced n-gram rows too
    np.testing.assert_allclose(ranks[0][EXTRA], both[EXTRA], rtol=1e-5, atol=1e-6)
    assert not np.allclose(ranks[0][EXTRA], start[EXTRA])
    local = [r for r in range(3, 46) if r not in EXTRA]
    for rank in (0, 1):                                                       # the rest: each rank's own step
        mine = one_process(subword_batch(rank), totals=both_ranks_counts)
        np.testing.assert_allclose(ranks[rank][local], mine[local], rtol=1e-5, atol=1e-6)
    assert not np.allclose(ranks[0][local], ranks[1][local]) and not np.allclose(ranks[0][local], start[local])
    assert not np.allclose(mine[local], one_process(subword_batch(1))[local])  # (capped per rank: not the same)


MERGE_SCRIPT = """
import sys
import numpy as np
import torch
from embeddings.training import distributed
group, _ = distributed.from_environment(torch.device("cpu"))
model = torch.nn.Linear(3, 6, bias=False)                   # one (6, 3) matrix to merge
with torch.no_grad():
    model.weight.copy_(torch.arange(18.0).view(6, 3))
anchor = [model.weight.detach().clone()]
changed = {model.weight: torch.zeros(6, dtype=torch.uint8)}
with torch.no_grad():
    for row in (group.rank, 3, 5):                          # rank r changes row r; every rank rows 3 and 5
        model.weight[row] += 10.0 ** group.rank
        changed[model.weight][row] = 1
group.merge_updates(model, anchor, changed, caps={model.weight: (5, 1)})  # rows 5 on: capped at 1 rank
np.save(sys.argv[1] + f"/rank{group.rank}.npy", model.weight.detach().numpy())
assert not changed[model.weight].any()
distributed.leave(finished=True)
"""


def test_a_merge_adds_the_ranks_updates_capped_and_moves_only_changed_rows(tmp_path):
    port, procs = free_port(), []
    for rank in range(3):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "3", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, "-c", MERGE_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=env, text=True))
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-1500:] for e in errors]
    ranks = [np.load(tmp_path / f"rank{r}.npy") for r in range(3)]
    expected = np.arange(18.0).reshape(6, 3)
    expected[:3] += np.array([1.0, 10.0, 100.0])[:, None]    # one rank changed each: its update, whole
    expected[3] += (1 + 10 + 100) / 3 * 2                     # three ranks: their mean update, twice (MERGE_CAP)
    expected[5] += (1 + 10 + 100) / 3                         # a row capped at 1 rank (n-grams'): the mean
    for r in ranks:
        np.testing.assert_allclose(r, expected, rtol=1e-6)   # row 4: nobody changed it


def test_hot_ngram_rows_are_those_most_words_use():
    from embeddings.subwords import subword_rows
    from embeddings.training.distributed import hot_ngram_rows
    words = ["jumping", "singing", "ringing", "cat", "dog"]
    rows, offsets = subword_rows(words, 3, 4, 1000, len(words))
    kept = np.array([100.0, 100.0, 100.0, 1000.0, 1.0])
    top = hot_ngram_rows((rows, offsets), kept, positions=10, k=2)
    ing = set(subword_rows(["ing"], 3, 4, 1000, len(words))[0])        # "<in", "ing", "ng>", ... of "ing"
    ngrams = [set(rows[offsets[i]:offsets[i + 1]].tolist()) for i in range(len(words))]
    shared = ngrams[0] & ngrams[1] & ngrams[2]                          # "ing", "ng>", "ing>": three words each
    assert len(top) == 2 and set(top.tolist()) <= shared and set(top.tolist()) & ing
    assert list(top) == sorted(top) and top.dtype == np.int64 and (top >= len(words)).all()
    assert len(hot_ngram_rows((rows, offsets), kept, 10, 10**6)) == len(set(rows.tolist()))  # at most every row
    assert len(hot_ngram_rows((rows, offsets), kept, 10, 0)) == 0


def test_subword_ngram_rows_merge_harder_and_more_often_from_four_processes(monkeypatch):
    """A subword model's n-gram rows (after the words') merge as a mean with 2 processes, at 2 ranks'
    worth from 4 on, after chunks half as long; a word-only model sets no n-gram cap."""
    from embeddings.training.config import TrainConfig
    for world, subwords, tokens in ((1, 3, 1 << 19), (2, 3, 1 << 19), (4, 0, 1 << 19), (4, 3, 1 << 18)):
        monkeypatch.setenv("WORLD_SIZE", str(world))
        assert TrainConfig(minn=subwords, maxn=subwords).validate().chunk_tokens == tokens
    assert TrainConfig(minn=3, maxn=6, chunk_tokens=1000).validate().chunk_tokens == 1000
    from embeddings.training.distributed import Group, MergeReplicas
    model = subword_model()
    for world, cap in ((2, 1), (3, 1), (4, 2), (8, 2)):
        merge = MergeReplicas(Group(0, world, "gloo"), model, None, None)
        assert merge.caps == {model.in_embed.weight: (6, cap)}
    import torch
    from embeddings.training.model import build_model
    assert MergeReplicas(Group(0, 4, "gloo"), build_model("skipgram", 6, 4, 2, 5), None, None).caps == {}
