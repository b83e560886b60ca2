"""Callbacks: what happens around the training loop (progress, early stopping, evaluation, saving).

The loop (train.run_loop) only trains; at its hooks it hands its `LoopState` to every callback:

    on_train_begin(state)      once, before the first step (also when resuming)
    on_batch_end(state)        after every `every`-th optimizer step (every = 0: never)
    on_chunk_end(state)        after each chunk of the corpus (where replicas are averaged)
    on_epoch_end(state)        after an epoch; state.epoch counts it, state.history[-1] holds its
                               exact mean loss, and the position is already the next epoch's start
    on_train_end(state)        once, finished or interrupted (state.interrupted says which)

A callback stops training by setting `state.stop = "why"`: the loop ends after the current step,
as if interrupted, so a checkpoint is saved and `--resume` continues from there. An on_epoch_end
callback that sets `state.done = "why"` ends training there as finished: the vectors are written.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

if TYPE_CHECKING:  # pragma: no cover
    from .train import LoopState


class Callback:
    """Base class: override the hooks you need; `every` sets how often on_batch_end runs."""

    every: int = 0

    def on_train_begin(self, state: "LoopState") -> None: ...
    def on_batch_end(self, state: "LoopState") -> None: ...
    def on_chunk_end(self, state: "LoopState") -> None: ...
    def on_epoch_end(self, state: "LoopState") -> None: ...
    def on_train_end(self, state: "LoopState") -> None: ...


class ProgressBar(Callback):
    """A tqdm bar on stderr: words/s, time left, and the loss per pair of recent steps, read every
    `loss_every` steps only (reading a loss waits for the GPU). Each epoch's exact loss is printed."""

    every = 1

    def __init__(self, loss_every: int = 50, file=None):
        self.loss_every, self.file = loss_every, file or sys.stderr
        self.bar = None

    def on_train_begin(self, state):
        self.bar = tqdm(total=state.total_words, initial=int(state.words_done), unit="word", unit_scale=True,
                        file=self.file, dynamic_ncols=True, smoothing=0.1)
        self.bar.set_description(f"epoch {state.epoch + 1}/{state.config.epochs}")

    def on_batch_end(self, state):
        self.bar.update(int(state.words_done) - self.bar.n)
        if state.steps % self.loss_every == 1:
            self.bar.set_postfix(loss=f"{state.recent_loss():.3f}")

    def on_epoch_end(self, state):
        epoch = state.history[-1]
        self.bar.write(f"epoch {epoch['epoch']}: loss {epoch['loss_per_pair']:.4f} per pair "
                       f"({epoch['pairs']:,} pairs)", file=self.file)
        if state.epoch < state.config.epochs:
            self.bar.set_description(f"epoch {state.epoch + 1}/{state.config.epochs}")

    def on_train_end(self, state):
        self.bar.close()


class EarlyStopping(Callback):
    """Stop when an epoch's mean loss per pair improves on the best so far by less than
    `min_delta` (relative) for `patience` epochs in a row."""

    def __init__(self, min_delta: float = 0.001, patience: int = 1):
        self.min_delta, self.patience = min_delta, patience
        self.best, self.bad = float("inf"), 0

    def on_epoch_end(self, state):
        loss = state.history[-1]["loss_per_pair"]
        if loss < self.best * (1 - self.min_delta):
            self.best, self.bad = loss, 0
            return
        self.bad += 1
        if self.bad >= self.patience and state.epoch < state.config.epochs:
            state.done = f"loss stopped improving ({loss:.4f} per pair, best {self.best:.4f})"


class Checkpointing(Callback):
    """Save a resumable checkpoint at every epoch's end (a run killed outright loses one epoch at
    most) and at the end: the vectors too once training is complete. `save()` writes and returns
    the files (train.save, bound to the run)."""

    def __init__(self, save, every_epoch: bool = True):
        self.save, self.every_epoch = save, every_epoch
        self.files: dict = {}

    def on_epoch_end(self, state):
        if self.every_epoch and state.epoch < state.config.epochs and state.done is None:
            self.files = self.save()

    def on_train_end(self, state):
        self.files = self.save()


class StopAfter(Callback):
    """Stop after `steps` optimizer steps of this process (tests use it to interrupt at a known point)."""

    every = 1

    def __init__(self, steps: int):
        self.steps = steps

    def on_batch_end(self, state):
        if state.steps >= self.steps:
            state.stop = f"stopped after {self.steps} steps"


class Evaluate(Callback):
    """At each epoch's end, score the current vectors on analogies and word pairs (the bundled
    Google and MSR analogies and every bundled word-pair set by default) and keep the scores in
    the epoch's history: "analogies", "analogies_semantic", "analogies_syntactic", "analogies:MSR",
    then "pairs:NAME" (Spearman) per set."""

    def __init__(self, analogies=None, pairs=None, restrict_vocab: int = 30_000, file=None):
        self.analogies, self.pairs = analogies, [pairs] if isinstance(pairs, (str, os.PathLike)) else pairs
        self.restrict_vocab, self.file = restrict_vocab, file or sys.stderr

    def on_epoch_end(self, state):
        from ..benchmarks import evaluate_all
        from ..errors import NotCoveredError

        try:
            r = evaluate_all(state.current_vectors(), self.restrict_vocab, analogies=self.analogies, pairs=self.pairs)
        except NotCoveredError as e:
            print(f"epoch {state.epoch}: evaluation skipped: {e}", file=self.file)
            return
        a = r.analogies
        scores = {"analogies": a.accuracy, "analogies_semantic": a.semantic.accuracy,
                  "analogies_syntactic": a.syntactic.accuracy}
        scores.update({f"analogies:{name}": m.accuracy for name, m in r.more_analogies.items()})
        scores.update({f"pairs:{name}": p.spearman for name, p in r.pairs.items() if p is not None})
        state.history[-1].update(scores)
        more = "".join(f", {name} {m.accuracy:.2%}" for name, m in r.more_analogies.items())
        pairs = ", ".join(f"{name} {p.spearman:.3f}" for name, p in r.pairs.items() if p is not None)
        print(f"epoch {state.epoch}: analogies {a.accuracy:.2%} (semantic {a.semantic.accuracy:.2%}, "
              f"syntactic {a.syntactic.accuracy:.2%}{more}); Spearman {pairs or 'n/a'}", file=self.file)
