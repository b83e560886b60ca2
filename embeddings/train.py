"""The training loop: corpus -> vocabulary -> batches -> SGD steps -> vectors and a checkpoint.

It knows nothing of the model's inside: it asks the model for a loss, backpropagates, and steps
the optimizer, with word2vec's linearly decaying learning rate. The device is resolved once.
Ctrl-C or SIGTERM stops at the next batch boundary and saves a checkpoint to resume from; on the
CPU a resumed run gives exactly the vectors of an uninterrupted one (same seed).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch
from tqdm.auto import tqdm

from . import io
from .config import TrainConfig
from .corpus import corpus_files
from .encoded import CorpusError, EncodedCorpus
from .errors import EmbeddingsError
from .model import build_model
from .optim import RowCappedSGD
from .pairs import BatchMaker
from .vectors import WordVectors



def resolve_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda if available else cpu; otherwise check the named device exists."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise EmbeddingsError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise EmbeddingsError(f"device {name!r} asked for, but CUDA is not available here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise EmbeddingsError(f"device {name!r} asked for, but only {torch.cuda.device_count()} GPU(s) exist")
    elif device.type != "cpu":
        raise EmbeddingsError(f"unsupported device {name!r} (use auto, cpu, cuda or cuda:N)")
    return device


@dataclass
class TrainResult:
    vectors: WordVectors
    words: int                 # corpus words trained on (vocabulary words, all epochs, before subsampling)
    seconds: float             # training time, excluding reading the corpus
    loss: float                # mean loss per (word, context) pair over the last steps
    interrupted: bool = False
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def words_per_second(self) -> float:
        return self.words / max(self.seconds, 1e-9)


class Interrupted(Exception):
    """Raised inside the loop at a batch boundary; carries the RNG state of the chunk's start."""


@contextmanager
def _stop_on_signals(flag: dict):
    """Turn SIGINT/SIGTERM into a flag the loop checks at batch boundaries (main thread only:
    Python lets no other thread install signal handlers)."""
    def handler(signum, frame):
        flag["signal"] = signum
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


class _Progress:
    """The tqdm bar on stderr (words/s, ETA) and the running loss per pair, read every 50 steps
    because .item() waits for a GPU."""

    EVERY = 50

    def __init__(self, total: float, initial: float, enabled: bool):
        self.bar = tqdm(total=total, initial=int(initial), unit="word", unit_scale=True, disable=not enabled,
                        file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self.recent: list[tuple[float, float]] = []  # (loss, pairs) of sampled steps
        self.steps = 0

    def step(self, words_done: float, loss: torch.Tensor, mask: torch.Tensor) -> None:
        self.steps += 1
        self.last = (loss, mask)
        self.bar.update(int(words_done) - self.bar.n)
        if self.steps % self.EVERY == 1:
            self._sample()

    def _sample(self) -> None:
        loss, mask = self.last
        self.recent = (self.recent + [(loss.item(), mask.sum().item())])[-20:]
        self.bar.set_postfix(loss=f"{self.loss:.3f}")

    def close(self) -> None:
        if self.steps % self.EVERY != 1 and self.steps:  # the summary includes the last step
            self._sample()
        self.bar.close()

    @property
    def loss(self) -> float:
        """Mean loss per (word, context) pair over the sampled recent steps."""
        return sum(l for l, _ in self.recent) / max(1.0, sum(p for _, p in self.recent))


def output_files(output: str | os.PathLike) -> dict[str, Path]:
    out = Path(output)
    return {"text": out / "vectors.txt", "binary": out / "vectors.bin", "checkpoint": out / "checkpoint.npz"}


def train(config: TrainConfig | None = None, corpus: Sequence[str | os.PathLike] | None = None,
          output: str | os.PathLike | None = None, progress: bool = True,
          resume: str | os.PathLike | None = None, stop_after_batches: int | None = None) -> TrainResult:
    """Train word vectors; write vectors (text, binary) and a checkpoint into `output` if given.

    resume: a checkpoint saved by an interrupted run; its config and corpus are used.
    stop_after_batches: act as if interrupted after this many batches (for tests).
    """
    state = {"epoch": 0, "chunk": 0, "batch": 0, "words_done": 0.0, "complete": False}
    rng_state = None
    start_vectors = None
    if resume is not None:
        ck = io.load_checkpoint(resume)
        if ck.state.get("complete"):
            raise EmbeddingsError(f"{resume}: training already finished; nothing to resume")
        config = TrainConfig.from_dict(ck.config)
        corpus = ck.state.get("corpus")
        state.update({k: ck.state[k] for k in ("epoch", "chunk", "batch", "words_done")})
        rng_state, start_vectors = ck.rng_state, ck
    config = (config or TrainConfig()).validate()
    device = resolve_device(config.device)
    files = [str(f) for f in corpus_files(corpus)]

    with EncodedCorpus(files, config.min_count, config.max_vocab) as encoded:
        vocab = encoded.vocab
        if vocab.total_words <= config.window:
            raise CorpusError(f"the corpus is shorter than the window: {vocab.total_words} words kept "
                              f"(min_count={config.min_count}), window {config.window}; use a longer corpus "
                              f"or a smaller --window")
        if start_vectors is not None and list(vocab.words) != start_vectors.words:
            raise EmbeddingsError(f"{resume}: the corpus has changed since the checkpoint was saved")
        torch.manual_seed(config.seed)
        model = build_model(config.arch, len(vocab), config.dim, config.window, config.negative).to(device)
        if start_vectors is not None:
            with torch.no_grad():
                model.in_embed.weight.copy_(torch.from_numpy(start_vectors.in_vectors))
                model.out_embed.weight.copy_(torch.from_numpy(start_vectors.out_vectors))
        optimizer = RowCappedSGD(model.parameters(), lr=config.lr)
        gen = torch.Generator(device=device)
        gen.manual_seed(config.seed)
        if rng_state is not None:
            gen.set_state(torch.from_numpy(rng_state.copy()))
        batches = BatchMaker(vocab.keep_probabilities(config.sample), vocab.noise_distribution(config.ns_exponent),
                             config.window, config.batch_size, config.shared_negatives,
                             config.group_size, device, gen, model.noise_rows)
        total = config.epochs * vocab.total_words
        flag: dict = {}
        done_batches = 0
        report = _Progress(total, state["words_done"], progress)
        started = time.perf_counter()
        words_at_start = state["words_done"]
        with _stop_on_signals(flag):
            try:
                for epoch in range(state["epoch"], config.epochs):
                    report.bar.set_description(f"epoch {epoch + 1}/{config.epochs}")
                    for ci, chunk in enumerate(encoded.chunks(config.chunk_tokens)):
                        if epoch == state["epoch"] and ci < state["chunk"]:
                            continue  # already trained before the interruption
                        chunk_rng = gen.get_state()
                        skip = state["batch"] if (epoch, ci) == (state["epoch"], state["chunk"]) else 0
                        for bi, batch in enumerate(batches.batches(chunk)):
                            if bi < skip:
                                continue  # regenerated with the same draws, already trained
                            if flag or (stop_after_batches is not None and done_batches >= stop_after_batches):
                                state.update(epoch=epoch, chunk=ci, batch=bi)
                                raise Interrupted(chunk_rng)
                            frac = state["words_done"] / total
                            for group in optimizer.param_groups:
                                group["lr"] = config.lr * max(config.min_lr_ratio, 1.0 - frac)
                            loss = model(**batch.as_kwargs())
                            optimizer.zero_grad(set_to_none=True)
                            loss.backward()
                            optimizer.step()
                            state["words_done"] += batch.words
                            done_batches += 1
                            report.step(state["words_done"], loss, batch.mask)
                    state.update(chunk=0, batch=0)
                state.update(epoch=config.epochs, complete=True)
                interrupted, rng_out = False, gen.get_state()
            except Interrupted as stop:
                interrupted, rng_out = True, stop.args[0]
        report.close()
        seconds = time.perf_counter() - started
        in_vec = model.in_embed.weight.detach().cpu().numpy()
        out_vec = model.out_embed.weight.detach().cpu().numpy()
        vectors = WordVectors(vocab.words, in_vec, vocab.counts)
        result = TrainResult(vectors, int(round(state["words_done"] - words_at_start)), seconds,
                             report.loss, interrupted)
        if output is not None:
            paths = output_files(output)
            ck_state = dict(state, corpus=files)
            io.save_checkpoint(io.Checkpoint(vocab.words, vocab.counts, in_vec, out_vec, config.to_dict(),
                                             ck_state, rng_out.cpu().numpy()), paths["checkpoint"])
            result.files["checkpoint"] = paths["checkpoint"]
            if not interrupted:
                vectors.save(paths["text"], "text")
                vectors.save(paths["binary"], "binary")
                result.files.update(text=paths["text"], binary=paths["binary"])
        return result
