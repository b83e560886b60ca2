"""The training loop, in four phases: prepare -> build -> loop -> save.

    prepare   corpus -> encoded ids + vocabulary (read once, streamed back each epoch)
    build     model, optimizer, seeded generator, batch maker (restored from a checkpoint if resuming)
    loop      (epoch, chunk, batch) positions, resumable; one small LoopState; callbacks at its hooks
    save      vectors (text, binary) and a checkpoint that can resume

The loop knows nothing of the model's inside: it asks it for a loss, backpropagates and steps
the optimizer with word2vec's linearly decaying learning rate. Progress bars, early stopping,
per-epoch evaluation and saving are callbacks (callbacks.py). Ctrl-C or SIGTERM stops at the next
batch and saves a checkpoint; on the CPU a resumed run gives exactly the vectors of an
uninterrupted one (same seed).
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from .. import fasttext_bin, formats
from . import distributed
from .callbacks import Callback, Checkpointing, ProgressBar, StopAfter
from .config import TrainConfig
from .corpus import corpus_files
from .encoded import CorpusError, EncodedCorpus
from .memory import reuse_freed_memory
from ..errors import EmbeddingsError
from .model import build_model
from .optim import RowCappedSGD
from .pairs import BatchMaker
from ..subwords import SubwordVectors, subword_rows
from ..vectors import WordVectors


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


def output_files(output: str | os.PathLike) -> dict[str, Path]:
    out = Path(output)
    return {"text": out / "vectors.txt", "binary": out / "vectors.bin", "checkpoint": out / "checkpoint.npz",
            "fasttext": out / "fasttext.bin"}


# --- the state the loop carries --------------------------------------------------------------------

@dataclass
class LoopState:
    """Where the loop is and what it has seen: enough to resume, to report, and to stop.

    The running loss sums stay on the device (float64, so no overflow and no rounding drift) and
    are read once per epoch; `recent_loss()` reads the last step's for a progress bar.
    """

    config: TrainConfig
    total_words: float                       # corpus words x epochs: the run's whole length
    model: torch.nn.Module | None = None     # for callbacks that look at the vectors
    words: tuple[str, ...] = ()              # the vocabulary, row order
    epoch: int = 0                           # epochs finished (so the current one, 0-based)
    chunk: int = 0                           # current chunk of the encoded corpus
    batch: int = 0                           # next batch within the chunk
    words_done: float = 0.0                  # corpus words trained on so far, all epochs
    steps: int = 0                           # optimizer steps taken by this process
    chunk_rng: torch.Tensor | None = None    # generator state at the current chunk's start (resume point)
    epoch_loss: torch.Tensor | float = 0.0   # sum of this epoch's loss over its pairs (device, float64)
    epoch_pairs: torch.Tensor | int = 0      # (word, context) pairs scored this epoch (device, int64)
    history: list[dict] = field(default_factory=list)  # one entry per finished epoch
    stop: str | None = None                  # set by a callback or a signal: stop after this step (resumable)
    done: str | None = None                  # set by an on_epoch_end callback: training is finished
    interrupted: bool = False                # the loop ended before the last epoch
    complete: bool = False                   # every epoch is done
    last_loss: torch.Tensor | None = None    # the last step's loss (sum over its pairs)
    last_pairs: torch.Tensor | None = None   # and its pair count
    group: object | None = None              # distributed.Group when several processes train
    all_rng: np.ndarray | None = None        # every rank's RNG state (several processes)

    def recent_loss(self) -> float:
        """The last step's loss per pair (waits for the device: call it sparingly)."""
        if self.last_loss is None:
            return float("nan")
        return self.last_loss.item() / max(1, int(self.last_pairs.item()))

    def current_vectors(self) -> WordVectors:
        """The vectors (W + config.output_weight x C) as they are now, as a WordVectors (a copy)."""
        return trained_vectors(self.model, self.config, self.words)

    def rng_to_save(self) -> np.ndarray:
        """The RNG state(s) a checkpoint keeps: this process's, or every rank's, one row each."""
        return self.all_rng if self.group is not None else self.chunk_rng.cpu().numpy()

    def to_checkpoint(self) -> dict:
        """The JSON part of a checkpoint (numbers only; the RNG state is saved apart)."""
        return {"epoch": self.epoch, "chunk": self.chunk, "batch": self.batch, "words_done": self.words_done,
                "complete": self.complete, "epoch_loss": float(self.epoch_loss), "epoch_pairs": int(self.epoch_pairs),
                "history": self.history}


@dataclass
class TrainResult:
    vectors: WordVectors
    words: int                 # corpus words trained on by this process (before subsampling)
    seconds: float             # training time, excluding reading the corpus
    loss: float                # mean loss per (word, context) pair: the last finished epoch's, exact
    interrupted: bool = False
    history: list[dict] = field(default_factory=list)  # per epoch: loss_per_pair, pairs, words, seconds, ...
    files: dict[str, Path] = field(default_factory=dict)
    stop_reason: str | None = None
    rank: int = 0              # this process's rank; only rank 0 writes files
    world: int = 1             # processes that trained the model together
    config: TrainConfig | None = None  # the settings it trained with, every default filled in

    @property
    def words_per_second(self) -> float:
        return self.words / max(self.seconds, 1e-9)


# --- phase 1: prepare ------------------------------------------------------------------------------

def prepare(config: TrainConfig, corpus: Sequence[str | os.PathLike] | None) -> EncodedCorpus:
    """Read the corpus once into encoded ids and a vocabulary (a context manager: temporary file)."""
    encoded = EncodedCorpus([str(f) for f in corpus_files(corpus)], config.min_count, config.max_vocab)
    if encoded.vocab.total_words <= config.window:
        encoded.close()
        raise CorpusError(f"the corpus is shorter than the window: {encoded.vocab.total_words} words kept "
                          f"(min_count={config.min_count}), window {config.window}; use a longer corpus "
                          f"or a smaller --window")
    return encoded


# --- phase 2: build --------------------------------------------------------------------------------

def available_memory(device: torch.device) -> int | None:
    """Bytes free for the model on device (None if unknown)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def kept_positions(vocab, sample: float) -> float:
    """Positions an epoch trains on, expected after subsampling (what sets the automatic batch size)."""
    return float(vocab.counts @ vocab.keep_probabilities(sample))


def check_memory(config: TrainConfig, vocab_size: int, device: torch.device) -> None:
    """Refuse, before allocating, a model that cannot fit: two (V, D) float32 matrices (and the
    n-gram rows), plus room for a step's gradients and the batches."""
    buckets = config.buckets if config.subwords else 0
    need = (2 * vocab_size + buckets) * config.dim * 4
    free = available_memory(device)
    if free is not None and need > 0.8 * free:
        raise EmbeddingsError(
            f"the model needs {need / 2**30:,.1f} GiB (2 x {vocab_size:,} words + {buckets:,} n-gram buckets, "
            f"x {config.dim:,} dims x 4 bytes) and {device.type} has {free / 2**30:,.1f} GiB free; "
            f"use a smaller --dim, --max-vocab or --buckets")


@dataclass
class Parts:
    """What build() makes: the model, its optimizer and the seeded source of every random draw."""
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    batches: BatchMaker
    device: torch.device
    shard: Callable[[np.ndarray], np.ndarray] = lambda chunk: chunk  # this process's part of a chunk


def build(config: TrainConfig, vocab, device: torch.device, checkpoint: formats.Checkpoint | None = None,
          group=None) -> Parts:
    """Model, optimizer, generator and batch maker; weights and RNG restored from a checkpoint.
    With several processes every rank starts from the same weights and draws its own randomness.
    A batch_size left None is filled in here, for this process's share of the corpus."""
    check_memory(config, len(vocab), device)
    rank, world = (group.rank, group.world) if group is not None else (0, 1)
    config.for_corpus(kept_positions(vocab, config.sample) / world)
    torch.manual_seed(config.seed)
    subwords, buckets = None, 0
    if config.subwords:  # each word's n-gram rows, counted from the first bucket row (after the words)
        subwords = subword_rows(vocab.words, config.minn, config.maxn, config.buckets, len(vocab))
        buckets = config.buckets
    model = build_model(config.arch, len(vocab), config.dim, config.window, config.negative, config.init,
                        subwords, buckets, config.row_cap, config.ngram_dropout,
                        config.lone_ngram_rate, config.steady_ngrams).to(device)
    gen = torch.Generator(device=device)
    gen.manual_seed(config.seed + rank)
    if checkpoint is not None:
        with torch.no_grad():
            model.in_embed.weight.copy_(torch.from_numpy(checkpoint.in_vectors))
            model.out_embed.weight.copy_(torch.from_numpy(checkpoint.out_vectors))
        rng = checkpoint.rng_state
        if rng is not None:
            rows = 1 if rng.ndim == 1 else rng.shape[0]
            if rows != world:
                raise EmbeddingsError(f"the checkpoint was written by {rows} training process(es); "
                                      f"resume it with {rows}, not {world}")
            gen.set_state(torch.from_numpy((rng if rng.ndim == 1 else rng[rank]).copy()))
    if group is not None:  # the frequent rows step together on every rank; the others merge at chunk ends
        extra = {}
        if subwords is not None:  # and the n-gram rows most words use, in the input matrix
            kept = vocab.counts * vocab.keep_probabilities(config.sample)
            rows = distributed.hot_ngram_rows(subwords, kept, config.centres_per_batch() + 2 * config.window,
                                              config.sync_ngrams)
            extra = {model.in_embed.weight: torch.from_numpy(rows).to(device)}
        optimizer = distributed.SyncedSGD(model.parameters(), config.lr, config.row_cap, model.lookup_weights,
                                          group, config.sync_rows, extra, count_words=subwords is not None,
                                          steady=model.steady_rows)
        if optimizer.counts is not None:  # a subword model caps its hot words over every rank's step
            model.occurrence_totals = optimizer.occurrence_totals
    else:
        optimizer = RowCappedSGD(model.parameters(), lr=config.lr, cap=config.row_cap, lookups=model.lookup_weights,
                                 steady=model.steady_rows)
    batches = batch_maker(config, vocab, device, gen, model.noise_rows)
    return Parts(model, optimizer, gen, batches, device, group.shard if group is not None else (lambda c: c))


def batch_maker(config: TrainConfig, vocab, device: torch.device, generator: torch.Generator,
                noise_rows: str) -> BatchMaker:
    """The batches a validated config asks for: its subsampling, noise words, windows and groups."""
    return BatchMaker(vocab.keep_probabilities(config.sample), vocab.noise_distribution(config.ns_exponent),
                      config.window, config.centres_per_batch(), config.shared_negatives, config.group_size,
                      device, generator, noise_rows, config.dynamic_window, config.shuffle,
                      seeds=config.subwords and config.ngram_dropout > 0)


# --- phase 3: the loop -----------------------------------------------------------------------------

@contextmanager
def stop_on_signals(state: LoopState):
    """SIGINT/SIGTERM set state.stop, which the loop checks after each step (main thread only:
    Python lets no other thread install signal handlers)."""
    def handler(signum, frame):
        state.stop = f"signal {signal.Signals(signum).name}"
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


DIVERGED_LOSS = 100.0  # loss per pair; training starts at (1 + K) ln 2, about 4.2 for K = 5


def _end_epoch(state: LoopState, started: float, callbacks: Sequence[Callback]) -> None:
    """Record the finished epoch (state.epoch already counts it) and start the next one's sums."""
    if state.group is not None:                               # the whole corpus's pairs, all ranks
        state.epoch_loss, state.epoch_pairs = state.group.sum(state.epoch_loss), state.group.sum(state.epoch_pairs)
    pairs = int(state.epoch_pairs)
    per_pair = float(state.epoch_loss) / max(1, pairs)
    if not math.isfinite(per_pair) or per_pair > DIVERGED_LOSS:  # nothing worth saving: say so, stop
        raise EmbeddingsError(f"training diverged in epoch {state.epoch} (loss {per_pair:.4g} per pair); "
                              f"use a smaller --lr (it was {state.config.lr})")
    state.history.append({"epoch": state.epoch, "loss_per_pair": float(state.epoch_loss) / max(1, pairs),
                          "loss_per_term": float(state.epoch_loss) / max(1, pairs) / (1 + state.config.negative),
                          "pairs": pairs, "words_done": state.words_done, "seconds": time.perf_counter() - started})
    state.epoch_loss = torch.zeros_like(state.epoch_loss)     # float64 / int64 on the device
    state.epoch_pairs = torch.zeros_like(state.epoch_pairs)
    for cb in callbacks:
        cb.on_epoch_end(state)


def run_loop(state: LoopState, encoded: EncodedCorpus, parts: Parts, callbacks: Sequence[Callback] = ()) -> LoopState:
    """Train from state's position to the end (or until state.stop is set); return the state.

    Positions already trained (when resuming) are skipped: chunks before state.chunk are not read,
    and the first state.batch batches of the current chunk are drawn again from the chunk's saved
    RNG state (so the draws that follow are the uninterrupted run's) but not trained.
    """
    config, gen = state.config, parts.generator
    started = time.perf_counter()
    for cb in callbacks:
        cb.on_train_begin(state)
    batch_callbacks = [cb for cb in callbacks if cb.every > 0]
    device = parts.device
    state.epoch_loss = torch.as_tensor(float(state.epoch_loss), dtype=torch.float64, device=device)
    state.epoch_pairs = torch.as_tensor(int(state.epoch_pairs), dtype=torch.int64, device=device)
    while state.epoch < config.epochs and state.stop is None:
        for ci, chunk in enumerate(encoded.chunks(config.chunk_tokens)):
            if ci < state.chunk:
                continue                                  # trained before an interruption
            state.chunk = ci
            state.chunk_rng = gen.get_state()
            batches = parts.batches.batches(parts.shard(chunk))
            del chunk                                     # the batch maker keeps what it needs
            for bi, batch in enumerate(batches):
                if bi < state.batch:
                    continue                              # drawn again with the same RNG, already trained
                lr = config.lr * max(config.min_lr_ratio, 1.0 - state.words_done / state.total_words)
                for group in parts.optimizer.param_groups:
                    group["lr"] = lr
                loss = parts.model(**batch.as_kwargs())
                parts.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                parts.optimizer.step()
                pairs = batch.mask.sum()
                state.epoch_loss += loss.detach()
                state.epoch_pairs += pairs
                state.last_loss, state.last_pairs = loss.detach(), pairs
                state.words_done += batch.words
                state.batch, state.steps = bi + 1, state.steps + 1
                for cb in batch_callbacks:
                    if state.steps % cb.every == 0:
                        cb.on_batch_end(state)
                if state.stop is not None and state.group is None:
                    break                                 # several processes stop only at a chunk's end
            if state.stop is not None and state.group is None:
                break
            state.chunk, state.batch = ci + 1, 0
            state.chunk_rng = gen.get_state()
            for cb in callbacks:
                cb.on_chunk_end(state)
            if state.stop is not None:
                break
        else:  # every chunk of the epoch done: the position moves to the next epoch's start first,
            # so a checkpoint saved by an on_epoch_end callback resumes there
            state.epoch, state.chunk, state.batch = state.epoch + 1, 0, 0
            state.chunk_rng = gen.get_state()
            _end_epoch(state, started, callbacks)
            if state.done is None:
                continue
        break
    state.complete = state.epoch >= config.epochs or state.done is not None
    state.interrupted = not state.complete
    for cb in callbacks:
        cb.on_train_end(state)
    return state


# --- phase 4: save ---------------------------------------------------------------------------------

def kept_vectors(model, config: TrainConfig, final: bool = False) -> np.ndarray:
    """The vocabulary's vectors a user gets: the input vectors W plus config.output_weight times the
    output vectors C (default 0.5; 1 is Levy et al.'s W + C); with subwords each word's mean
    of its own and its n-grams' rows.

    On the CPU, W comes back as a view of the model's weights, not a copy: writable while the
    model may still train (WordVectors copies a writable array), read-only once training is over
    (`final`), so WordVectors adopts it and the run holds no copy of them (it held two: 60 MB
    here, 7 GB for 3M words of dimension 300). For the same reason a `final` W + w x C is summed
    into the model's W in place: call it last, after any checkpoint is saved."""
    vocab_size = model.out_embed.weight.shape[0]
    if config.subwords:
        with torch.no_grad():
            ids = torch.arange(vocab_size, device=model.out_embed.weight.device)
            # 8,192 words at a time, as in a training step: the distinct rows each part gathers stay small
            out = torch.cat([model.inputs(part) for part in ids.split(1 << 13)]).cpu().numpy()
    else:
        w = model.in_embed.weight.detach()
        if config.output_weight:                                   # W + w x C (the default: w = 0.5)
            c = model.out_embed.weight.detach()
            # final: the model trains no more, so W takes C in place: no third matrix (30 MB here)
            w = w.add_(c, alpha=config.output_weight) if final else torch.add(w, c, alpha=config.output_weight)
        out = w.cpu().numpy()
    if final:
        out.setflags(write=False)
    return out


def trained_vectors(model, config: TrainConfig, words, counts=None, final: bool = False) -> WordVectors:
    """kept_vectors as a WordVectors, or with subwords a SubwordVectors (vectors for any word);
    `final`: the model will not train again, so the vectors may share its memory."""
    vectors = kept_vectors(model, config, final)
    if not config.subwords:
        return WordVectors(words, vectors, counts)
    rows = model.in_embed.weight.detach().cpu().numpy()
    meta = {"epoch": config.epochs, "ws": config.window, "neg": config.negative, "minCount": config.min_count,
            "t": config.sample, "model": fasttext_bin.MODEL_CBOW if config.arch == "cbow" else fasttext_bin.MODEL_SKIPGRAM}
    return SubwordVectors(words, rows[:len(words)], rows[len(words):], config.minn, config.maxn, counts,
                          vectors=vectors, meta=meta)


def save(state: LoopState, parts: Parts, vocab, files: list[str], output: Path) -> dict[str, Path]:
    """Write the checkpoint (always) and, once training is complete, the vectors (text and binary)."""
    paths = output_files(output)
    in_vec = parts.model.in_embed.weight.detach().cpu().numpy()
    out_vec = parts.model.out_embed.weight.detach().cpu().numpy()
    ck_state = dict(state.to_checkpoint(), corpus=files, output=str(Path(output).resolve()))
    formats.save_checkpoint(formats.Checkpoint(vocab.words, vocab.counts, in_vec, out_vec, state.config.to_dict(),
                                     ck_state, state.rng_to_save()), paths["checkpoint"])
    written = {"checkpoint": paths["checkpoint"]}
    if state.complete:
        vectors = trained_vectors(parts.model, state.config, vocab.words, vocab.counts)
        formats.save_vectors(vectors, paths["text"], "text")
        formats.save_vectors(vectors, paths["binary"], "binary")
        written.update(text=paths["text"], binary=paths["binary"])
        if state.config.subwords:                             # Facebook's format: n-grams and all
            fasttext_bin.save_fasttext(vectors, paths["fasttext"], output_rows=out_vec)
            written["fasttext"] = paths["fasttext"]
    return written


def check_output(output: str | os.PathLike) -> Path:
    if not str(output).strip():
        raise EmbeddingsError("--output is empty; name a folder for the vectors (e.g. --output model)")
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise EmbeddingsError(f"--output {out}: exists and is not a folder; name a folder for the vectors")
    return out


# --- all four ------------------------------------------------------------------------------------

def train(config: TrainConfig | None = None, corpus: Sequence[str | os.PathLike] | None = None,
          output: str | os.PathLike | None = None, progress: bool = True,
          resume: str | os.PathLike | None = None, stop_after_batches: int | None = None,
          callbacks: Sequence[Callback] = ()) -> TrainResult:
    """Train word vectors; write vectors (text, binary) and a checkpoint into `output` if given.

    resume: a checkpoint of an interrupted run; its config, corpus and (unless `output` is given)
    output folder are used. callbacks: extra Callback objects (see callbacks.py).
    stop_after_batches: stop as if interrupted after this many steps (for tests).
    """
    checkpoint = None
    if resume is not None:
        checkpoint = formats.load_checkpoint(resume)
        if checkpoint.state.get("complete"):
            raise EmbeddingsError(f"{resume}: training already finished; nothing to resume")
        config = TrainConfig.from_dict(checkpoint.config)
        corpus = checkpoint.state.get("corpus")
        if output is None:
            output = checkpoint.state.get("output") or Path(resume).parent
    config = config or TrainConfig()
    config = config.validate()
    if output is not None:
        output = check_output(output)
    device = resolve_device(config.device)
    files = [str(f) for f in corpus_files(corpus)]
    group, device = distributed.from_environment(device)
    if device.type == "cpu":
        reuse_freed_memory()
    try:
        result = _train(config, files, output, progress, resume, checkpoint, stop_after_batches, callbacks,
                        device, group)
    except BaseException:
        distributed.leave(finished=False)
        raise
    distributed.leave(finished=True)
    return result


def _train(config, files, output, progress, resume, checkpoint, stop_after_batches, callbacks,
           device, group) -> TrainResult:
    """train() once its arguments are settled and the processes (if several) have met."""
    lead = group is None or group.rank == 0                  # the one process that reports and writes
    with prepare(config, files) as encoded:
        vocab = encoded.vocab
        if checkpoint is not None and list(vocab.words) != checkpoint.words:
            raise EmbeddingsError(f"{resume}: the corpus has changed since the checkpoint was saved")
        parts = build(config, vocab, device, checkpoint, group)
        world = group.world if group is not None else 1
        state = LoopState(config, total_words=config.epochs * vocab.total_words / world, model=parts.model,
                          words=tuple(vocab.words), group=group)
        if checkpoint is not None:
            s = checkpoint.state
            for key in ("epoch", "chunk", "batch", "words_done", "epoch_loss", "epoch_pairs"):
                setattr(state, key, s.get(key, getattr(state, key)))
            state.history = list(s.get("history", []))
            if not lead:                                      # the saved partial sums are every rank's
                state.epoch_loss, state.epoch_pairs = 0.0, 0
        words_at_start = state.words_done
        extra = ([ProgressBar()] if progress and lead else []) + list(callbacks)
        if stop_after_batches is not None:
            extra.append(StopAfter(stop_after_batches))
        if group is not None:                                 # before the saver: it merges first
            extra.append(distributed.MergeReplicas(group, parts.model, device, parts.optimizer))
        saver = (Checkpointing(lambda: save(state, parts, vocab, files, output))
                 if output is not None and lead else None)
        started = time.perf_counter()
        with stop_on_signals(state):
            run_loop(state, encoded, parts, extra + ([saver] if saver else []))
        seconds = time.perf_counter() - started
        written = saver.files if saver else {}
        vectors = trained_vectors(parts.model, config, vocab.words, vocab.counts, final=True)
        words = torch.tensor(state.words_done - words_at_start, dtype=torch.float64, device=device)
        if group is not None:                                 # every rank's words: the run's
            words = group.sum(words)
    # the last finished epoch's loss; if none finished, the part of an epoch that ran
    last = (state.history[-1]["loss_per_pair"] if state.history
            else float(state.epoch_loss) / max(1, int(state.epoch_pairs)))
    return TrainResult(vectors, int(round(float(words))), seconds, last, state.interrupted,
                       list(state.history), written, state.stop or state.done,
                       rank=group.rank if group is not None else 0, world=world, config=config)
