"""The training loop's phases, callbacks, honest per-epoch loss, batch rounding and resume across chunks."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from embeddings.training.callbacks import Callback, EarlyStopping
from embeddings.training.config import TrainConfig
from embeddings.training.encoded import EncodedCorpus
from embeddings.formats import load_checkpoint
from embeddings.training.pairs import BatchMaker, mask_to_pairs
from embeddings.training.train import build, kept_positions, train
from embeddings.training.vocab import Vocab


def small(**kw) -> TrainConfig:
    return TrainConfig(**{"dim": 8, "epochs": 2, "min_count": 1, "batch_size": 64, "device": "cpu", "seed": 3, **kw})


class Recorder(Callback):
    """Every hook call, and each step's loss and pair count read the plain way."""

    every = 1

    def __init__(self):
        self.calls, self.steps = [], []

    def on_train_begin(self, state):
        self.calls.append("begin")

    def on_batch_end(self, state):
        self.steps.append((state.epoch, float(state.last_loss.item()), int(state.last_pairs.item())))

    def on_epoch_end(self, state):
        self.calls.append(f"epoch{state.epoch}")

    def on_train_end(self, state):
        self.calls.append("end")


def test_hooks_run_in_order(small_corpus):
    rec = Recorder()
    r = train(small(epochs=3), [small_corpus], progress=False, callbacks=[rec])
    assert rec.calls == ["begin", "epoch1", "epoch2", "epoch3", "end"]
    assert len(rec.steps) > 3 and [h["epoch"] for h in r.history] == [1, 2, 3]


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_epoch_loss_equals_a_plain_recomputation(small_corpus, arch):
    config = small(arch=arch)
    rec = Recorder()
    r = train(config, [small_corpus], progress=False, callbacks=[rec])
    for epoch, entry in enumerate(r.history):
        losses = [loss for e, loss, _ in rec.steps if e == epoch]
        pairs = [p for e, _, p in rec.steps if e == epoch]
        assert entry["pairs"] == sum(pairs)
        assert entry["loss_per_pair"] == pytest.approx(math.fsum(losses) / sum(pairs), rel=1e-9)
        assert entry["loss_per_term"] == pytest.approx(entry["loss_per_pair"] / (1 + config.negative))
    assert r.loss == r.history[-1]["loss_per_pair"]
    # the pairs counted are exactly word2vec's (centre, context) pairs of the epoch's batches,
    # drawn again from the same seed and counted one by one
    config.validate()
    with EncodedCorpus([str(small_corpus)], config.min_count) as enc:
        gen = torch.Generator().manual_seed(config.seed)
        torch.manual_seed(config.seed)
        noise_rows = "span" if arch == "skipgram" else "centres"
        maker = BatchMaker(enc.vocab.keep_probabilities(config.sample), enc.vocab.noise_distribution(0.75),
                           config.window, config.centres_per_batch(), config.shared_negatives, config.group_size,
                           torch.device("cpu"), gen, noise_rows, shuffle=config.shuffle)
        torch.manual_seed(config.seed)
        gen.manual_seed(config.seed)
        counted = sum(len(mask_to_pairs(b.tokens, b.mask, config.window))
                      for chunk in enc.chunks(config.chunk_tokens) for b in maker.batches(chunk))
    assert counted == r.history[0]["pairs"]


def test_loss_falls_and_history_is_kept_in_the_checkpoint(small_corpus, tmp_path):
    r = train(small(epochs=4), [small_corpus], output=tmp_path / "m", progress=False)
    losses = [h["loss_per_pair"] for h in r.history]
    assert losses[-1] < losses[0] < math.log(2) * 6        # below chance (1 + K terms of log 2)
    assert load_checkpoint(tmp_path / "m" / "checkpoint.npz").state["history"] == r.history


def test_early_stopping_finishes_with_vectors(small_corpus, tmp_path):
    r = train(small(epochs=6), [small_corpus], output=tmp_path / "m", progress=False,
              callbacks=[EarlyStopping(min_delta=0.99)])  # demands a 99% drop: stops after epoch 2
    assert len(r.history) == 2 and not r.interrupted and "stopped improving" in r.stop_reason
    assert (tmp_path / "m" / "vectors.bin").exists()


@pytest.mark.parametrize("arch, asked, expected", [
    ("cbow", 64, 128), ("cbow", 1, 128), ("cbow", 129, 128), ("cbow", 200, 256), ("cbow", 8192, 8192),
    ("skipgram", 1, 22), ("skipgram", 10, 22), ("skipgram", 8192, 8182), ("skipgram", 100, 86),
])
def test_batch_size_rounds_to_whole_noise_groups(arch, asked, expected):
    c = TrainConfig(arch=arch, batch_size=asked).validate()
    assert c.centres_per_batch() == expected
    extra = 2 * c.window if arch == "skipgram" else 0
    assert (expected + extra) % c.group_size == 0


@pytest.mark.parametrize("words, world, expected", [
    (10_000_000, 1, 8192),   # 1,220 steps an epoch at 8,192: the full size
    (2_500_000, 1, 8192),    # 305 steps: still enough
    (2_400_000, 1, 4096),    # 293 at 8,192, 586 at 4,096
    (1_000_000, 1, 2048),    # 122, 244, then 488
    (1_000_000, 2, 1024),    # each of two processes trains on half: 244 at 2,048, 488 at 1,024
    (1_000, 1, 512),         # never under 512
])
def test_batch_size_left_unset_follows_the_corpus(words, world, expected):
    vocab = Vocab.from_counts(["a", "b", "c", "d"], [words // 2, words // 4, words // 8, words - 7 * words // 8], 1)
    group = SimpleNamespace(rank=0, world=world, shard=lambda chunk: chunk)
    config = TrainConfig(dim=4, sample=0, device="cpu").validate()       # sample 0: every position is kept
    parts = build(config, vocab, torch.device("cpu"), group=group)
    assert config.batch_size == expected
    assert parts.batches.batch_size == config.centres_per_batch()
    asked = TrainConfig(dim=4, sample=0, batch_size=4096, device="cpu").validate()
    build(asked, vocab, torch.device("cpu"), group=group)
    assert asked.batch_size == 4096                                     # a size asked for is kept


def test_automatic_batch_counts_the_positions_subsampling_keeps():
    vocab = Vocab.from_counts(["the", "rare"], [1_999_000, 1_000], 1)   # "the" is mostly dropped at 1e-3
    kept = kept_positions(vocab, 1e-3)
    assert kept == pytest.approx(float(vocab.counts @ vocab.keep_probabilities(1e-3)))
    assert kept < 0.1 * vocab.total_words
    assert TrainConfig(sample=1e-3).validate().for_corpus(kept).batch_size < TrainConfig(sample=0).validate() \
        .for_corpus(kept_positions(vocab, 0)).batch_size


def test_small_cbow_batch_trains_whole_groups(small_corpus):
    steps = {}
    for size in (64, 128):
        rec = Recorder()
        train(small(arch="cbow", batch_size=size, epochs=1), [small_corpus], progress=False, callbacks=[rec])
        steps[size] = len(rec.steps)
    assert steps[64] == steps[128]                       # not one centre word per step


def test_resume_across_chunk_boundaries(small_corpus, tmp_path):
    config = small(epochs=2, chunk_tokens=700)          # the corpus spans several chunks
    with EncodedCorpus([str(small_corpus)], 1) as enc:
        assert sum(1 for _ in enc.chunks(700)) >= 4
    reference = train(config, [small_corpus], progress=False)
    chunks = []
    for stop in (1, 5, 9, 14, 23):
        out = tmp_path / f"stop{stop}"
        first = train(config, [small_corpus], output=out, progress=False, stop_after_batches=stop)
        assert first.interrupted
        chunks.append(load_checkpoint(out / "checkpoint.npz").state["chunk"])
        done = train(None, None, progress=False, resume=out / "checkpoint.npz")
        np.testing.assert_array_equal(done.vectors.vectors, reference.vectors.vectors)
        assert [h["loss_per_pair"] for h in done.history] == pytest.approx(
            [h["loss_per_pair"] for h in reference.history], rel=1e-6)
    assert max(chunks) > 0                                # some stops fell in later chunks


def test_a_crash_loses_at_most_the_current_epoch(small_corpus, tmp_path):
    """A checkpoint is saved at each epoch's end: a run that dies mid-epoch (here a callback that
    raises, as a kill would) resumes from the last finished epoch to the uninterrupted vectors."""

    class Crash(Callback):
        every = 1

        def on_batch_end(self, state):
            if state.epoch == 2 and state.batch == 3:
                raise RuntimeError("power cut")

    config = small(epochs=4, chunk_tokens=700)
    reference = train(config, [small_corpus], progress=False)
    out = tmp_path / "m"
    with pytest.raises(RuntimeError, match="power cut"):
        train(config, [small_corpus], output=out, progress=False, callbacks=[Crash()])
    saved = load_checkpoint(out / "checkpoint.npz").state
    assert (saved["epoch"], saved["chunk"], saved["batch"]) == (2, 0, 0) and len(saved["history"]) == 2
    done = train(None, None, progress=False, resume=out / "checkpoint.npz")
    np.testing.assert_array_equal(done.vectors.vectors, reference.vectors.vectors)
    assert [h["epoch"] for h in done.history] == [1, 2, 3, 4]
    assert [h["loss_per_pair"] for h in done.history] == pytest.approx([h["loss_per_pair"] for h in reference.history])


@pytest.mark.parametrize("poison", [float("nan"), 1e3])
def test_divergence_is_one_clear_error_and_writes_no_vectors(small_corpus, tmp_path, poison):
    from embeddings.errors import EmbeddingsError

    class Poison(Callback):                               # what a far too large step would do
        every = 1

        def on_batch_end(self, state):
            if state.epoch == 1 and state.batch == 2:
                with torch.no_grad():
                    state.model.out_embed.weight.fill_(poison)
                    state.model.in_embed.weight.fill_(-poison)

    out = tmp_path / "m"
    with pytest.raises(EmbeddingsError, match="diverged in epoch 2"):
        train(small(epochs=3), [small_corpus], output=out, progress=False, callbacks=[Poison()])
    assert not (out / "vectors.bin").exists()
    assert load_checkpoint(out / "checkpoint.npz").state["epoch"] == 1     # the last good epoch's
