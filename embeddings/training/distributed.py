"""Several processes, one model: torch.distributed set-up, corpus shards and keeping the replicas in step.

Launched by torchrun (`torchrun --nproc-per-node N -m embeddings train ...`), each process (rank)
trains a full replica on its own shard of every corpus chunk: rank r takes the r-th of N equal
slices. The rows of the most frequent words (TrainConfig.sync_rows) step together at every step,
from every rank's gradients (SyncedSGD); the rest are merged at the end of every chunk (a
collective every chunk_tokens / N words of each rank's text; Ji et al.'s frequent rows often, all
rows now and then), where the ranks' updates to each row are added up, capped at MERGE_CAP ranks'
worth (see merge_updates). A subword model also steps the n-gram rows most words use together
(TrainConfig.sync_ngrams), and merges its other n-gram rows as the mean of the ranks' updates
(NGRAM_MERGE_CAP; from WIDE processes on WIDE_NGRAM_MERGE_CAP ranks' worth). The chunk's end is
also where ranks agree to stop, so every rank always makes the same sequence of collective calls
and none waits for a call that never comes. gloo on CPUs, NCCL on GPUs. A rank that dies makes
the others fail with a clear error after `TIMEOUT`, not hang.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist

from ..errors import EmbeddingsError
from .callbacks import Callback
from .config import WIDE
from .optim import RowCappedSGD, capped_step

TIMEOUT = timedelta(seconds=int(os.environ.get("EMBEDDINGS_DIST_TIMEOUT", "120")))  # a lost rank -> error
MERGE_CAP = 2  # a row's merged update is at most this many ranks' mean update (see merge_updates)
NGRAM_MERGE_CAP = 1  # an n-gram row's: the mean update of the ranks that changed it (docs/subwords.md)
WIDE_NGRAM_MERGE_CAP = 2  # from config.WIDE processes on (and chunks half as long): measured with 4 (docs/subwords.md)
_ERRORS = (RuntimeError, ValueError) + tuple(e for e in (getattr(dist, "DistError", None),) if e)


def launched() -> bool:
    """True inside a torchrun (or equivalent) launch of more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@dataclass
class Group:
    rank: int
    world: int
    backend: str

    def shard(self, chunk: np.ndarray) -> np.ndarray:
        """This rank's slice of a chunk of ids (a sentence cut at a slice edge loses one window)."""
        n = len(chunk)
        return chunk[self.rank * n // self.world: (self.rank + 1) * n // self.world]

    def _collective(self, fn, *args):
        try:
            return fn(*args)
        except _ERRORS as e:  # a rank died or the network broke
            raise EmbeddingsError(f"rank {self.rank}: another training process stopped or cannot be "
                                  f"reached ({str(e).splitlines()[0][:200]})") from None

    def merge_updates(self, model: torch.nn.Module, anchor: list[torch.Tensor], changed: dict,
                      caps: dict | None = None) -> None:
        """Every rank's change to a row since the last merge, added up, but never more than
        MERGE_CAP ranks' worth: w = w0 + mean_r(w_r - w0) * min(ranks that changed the row, MERGE_CAP).

        The sum applies every update, as one process applying them in turn would; a plain mean
        of the replicas would divide each rank's learning by the number of ranks (5 analogy points
        lost with 2 ranks on the bundled corpus). But the ranks push a frequent word's row the
        same way from the same stale start, and the full sum over 4 ranks diverged: the cap is
        the merge-time twin of the optimizer's per-row cap (optim.py). `anchor` becomes the
        merged weights. `changed`: {parameter: (V,) uint8} the rows this rank's optimizer stepped
        and did not sync (reset here); only rows some rank changed travel, so a subword model's 2M
        n-gram rows, 5% of them changed in a chunk, cost 5% of their 800 MB. `caps`: {parameter:
        (first row, cap)}, rows from there on capped at `cap` ranks instead (a subword model's
        n-gram rows at NGRAM_MERGE_CAP or WIDE_NGRAM_MERGE_CAP: shared by many words, the ranks
        push them alike too)."""
        caps = caps or {}
        for p, a in zip(model.parameters(), anchor):
            count = changed[p].clone()                              # (V,) uint8
            self._collective(dist.all_reduce, count)               # how many ranks changed each row
            rows = count.nonzero().squeeze(1)                      # (U,) rows some rank changed
            ranks = count[rows].to(p.dtype)
            before = a.index_select(0, rows)                       # (U, D)
            update = p.data.index_select(0, rows) - before         # (U, D) this rank's updates
            self._collective(dist.all_reduce, update)              # every rank's updates, summed
            cap = torch.full_like(ranks, MERGE_CAP)                # (U,) each row's cap
            if p in caps:
                first, row_cap = caps[p]
                cap[rows >= first] = row_cap
            merged = before.add_(update.mul_((torch.minimum(ranks, cap) / ranks).unsqueeze(1)))
            p.data.index_copy_(0, rows, merged)
            a.index_copy_(0, rows, merged)
            changed[p].zero_()

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every rank if it is true on one (used to stop together)."""
        t = torch.tensor([1 if flag else 0], device=device)
        self._collective(dist.all_reduce, t, dist.ReduceOp.MAX)
        return bool(t.item())

    def sum(self, value: torch.Tensor) -> torch.Tensor:
        t = value.clone()
        self._collective(dist.all_reduce, t)
        return t

    def gather_rng(self, state: torch.Tensor, device: torch.device) -> np.ndarray:
        """(world, n) uint8: every rank's generator state (rank 0 saves them all in a checkpoint)."""
        mine = state.to(device)
        parts = [torch.empty_like(mine) for _ in range(self.world)]
        self._collective(dist.all_gather, parts, mine)
        return torch.stack(parts).cpu().numpy()


def from_environment(device: torch.device) -> tuple[Group | None, torch.device]:
    """Join the process group torchrun describes (RANK, WORLD_SIZE, MASTER_ADDR, ...), or None
    when there is only one process. On CUDA each process takes the GPU of its LOCAL_RANK."""
    if not launched():
        return None, device
    if device.type == "cuda":
        device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}")
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        try:
            dist.init_process_group(backend, timeout=TIMEOUT)
        except (RuntimeError, ValueError) as e:
            raise EmbeddingsError(f"cannot join the training processes: {str(e).splitlines()[0][:200]}") from None
    return Group(dist.get_rank(), dist.get_world_size(), backend), device


def leave(finished: bool) -> None:
    """Leave the process group. After a finished run every rank waits for the others first:
    tearing gloo down while a peer still talks to it aborts the process ("terminate called
    without an active exception"). After a failure (a peer may be dead) nobody waits."""
    if not dist.is_initialized():
        return
    if finished:
        try:
            dist.barrier()
        except _ERRORS:
            pass  # a peer left first: still tear down below, or exit finds gloo's threads alive and aborts
    try:
        dist.destroy_process_group()
    except _ERRORS:
        pass
    # A process group still reachable from a reference cycle is freed only at interpreter exit,
    # where destroying gloo's live threads aborts the process ("terminate called without an active
    # exception": 1 run in 3 on a loaded machine). Collect it now, while its threads can be joined.
    gc.collect()


def hot_ngram_rows(subwords: tuple[np.ndarray, np.ndarray], kept: np.ndarray, positions: int, k: int) -> np.ndarray:
    """The k n-gram rows that the most words use in a step, sorted: a row's score is the sum over
    the words that have it of the chance that the word is in a step's `positions` (about), from
    `kept` (V,), each word's occurrences left after subsampling. subwords: subword_rows' (rows,
    offsets), rows counted from the first bucket row."""
    rows, offsets = subwords
    if k <= 0 or len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    in_step = np.minimum(1.0, kept / max(kept.sum(), 1.0) * positions)          # (V,) words: ~P(in a step)
    score = np.bincount(rows, weights=np.repeat(in_step, np.diff(offsets)))      # (first + buckets,)
    k = min(k, int(np.count_nonzero(score)))
    top = np.argpartition(-score, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
    return np.sort(top).astype(np.int64)


class SyncedSGD(RowCappedSGD):
    """RowCappedSGD for one rank of several: the rows of the `hot` most frequent words step
    together at every step, from every rank's gradients; the other rows step locally and meet at
    the chunk's merge (Ji et al.: frequent rows often, all rows now and then).

    A frequent word's row is changed by every rank at every step, so between merges the replicas
    push it the same way from the same stale start, and adding their updates up at the merge
    overshoots (it diverged with 4 ranks). Here each step all-reduces the hot rows' summed
    gradients and lookup counts and every rank applies the same capped step: those rows move as
    they would in one process whose batch held every rank's positions, and stay identical on every
    rank. A rare word's row is seldom changed by two ranks between merges; its updates just add up.
    A subword model's input syncs its hot words' own rows the same way (their gradients come
    uncapped with their lookup counts, model.py), and `extra` rows too: {parameter: rows (k,),
    sorted, all >= hot}, the n-gram rows most words use (hot_ngram_rows), which every rank's words
    push the same way as they do a frequent word's row. Their counts are words (each capped
    already), added up over the ranks. A subword model caps each word's share before it reaches
    those counts, so with `count_words` a hot word is capped over all ranks' occurrences of it
    (occurrence_totals, a second all-reduce per step) and counted once in all. With hot = 0 and
    no extra rows nothing is synced and the ranks meet only at merges. Either way it marks the
    rows it steps, for merge_updates.
    """

    def __init__(self, params, lr: float, cap: float, lookups, group: Group, hot: int, extra: dict | None = None,
                 count_words: bool = False, steady=None):
        super().__init__(params, lr, cap, lookups, steady)
        self.group = group
        params = self.param_groups[0]["params"]
        # count_words: the model asks occurrence_totals at every step (a subword model), so drain asks too
        self.counts = torch.zeros(hot + 1, device=params[0].device) if count_words and hot else None  # (hot + 1,)
        extra = {p: rows for p, rows in (extra or {}).items() if len(rows)}
        self.first = {p: min(hot, p.shape[0]) for p in params}                    # {p: leading rows synced}
        self.extra = {p: extra[p] for p in params if p in extra}                  # {p: (k,) other rows synced}
        self.synced = {p: h + len(self.extra.get(p, ())) for p, h in self.first.items()
                       if h + len(self.extra.get(p, ()))}                         # {p: synced rows}, in slots 0..n-1
        self.slot_of = {}                                  # {p: (rows,) each row's slot; n: not synced}
        for p, rows in self.extra.items():
            n, h = self.synced[p], self.first[p]
            slot = torch.full((p.shape[0],), n, dtype=torch.long, device=p.device)
            slot[:h] = torch.arange(h, device=p.device)
            slot[rows] = torch.arange(h, n, device=p.device)
            self.slot_of[p] = slot
        # rows this rank stepped since the last merge: merge_updates moves only those (and sums these
        # marks to count the ranks that changed a row: uint8 holds up to 255 ranks)
        mark = torch.uint8 if group.world < 256 else torch.int32
        self.changed = {p: torch.zeros(p.shape[0], dtype=mark, device=p.device) for p in params}
        # one buffer, one all-reduce a step: each synced parameter's (n + 1, D) gradient sums and
        # (n + 1,) lookup counts, each contiguous (index_add_ into a strided view is 6x as slow), then
        # the rate and 1 from each rank still training the chunk. Slot n takes the other rows'
        # entries, so a step adds all of its entries without picking out the synced ones first.
        sizes = [(n + 1) * (p.shape[1] + 1) for p, n in self.synced.items()]
        self.buffer = torch.zeros(sum(sizes) + 2, dtype=torch.float32,
                                  device=next(iter(self.synced)).device if self.synced else None)
        self.views, at = {}, 0
        for (p, n), size in zip(self.synced.items(), sizes):
            block = self.buffer[at: at + size]
            sums, lookups = block[: -(n + 1)].view(n + 1, p.shape[1]), block[-(n + 1):]
            self.views[p] = (sums, lookups)                          # (n + 1, D), (n + 1,)
            at += size

    @torch.no_grad()
    def step(self) -> None:
        self.buffer.zero_()
        lr = self.param_groups[0]["lr"]                              # (a step with no gradient still sends it)
        pre_summed = self.lookups()                                  # {p: lookups of each (distinct) row}
        for p, rows, values, per_row, lr, cap in self.sparse_updates():
            self.changed[p][rows] = 1
            n = self.synced.get(p)
            if n is None:
                capped_step(p, rows, values, per_row, lr, cap)
                continue
            sums, lookups = self.views[p]
            slot_of = self.slot_of.get(p)
            slot = rows.clamp(max=n) if slot_of is None else slot_of[rows]  # (E,) each entry's slot (n: not synced)
            sums.index_add_(0, slot, values)
            if p in pre_summed:                                      # an entry per distinct row, counted
                lookups.index_add_(0, slot, per_row)
            else:                                                    # an entry per lookup
                lookups += torch.bincount(slot, minlength=n + 1)
            capped_step(p, rows, values, per_row, (slot == n) * lr, cap)  # the other rows, here and now
        if self.synced:
            self.buffer[-2], self.buffer[-1] = lr, 1.0
            self._step_together()

    @torch.no_grad()
    def occurrence_totals(self, words: torch.Tensor, occurrences: torch.Tensor) -> torch.Tensor:
        """(U,) each of this step's distinct `words`' occurrences in every rank's step: a hot word's
        summed over the ranks (one all-reduce of `hot` counts), another's this rank's own.

        A subword model caps each word's gradient at row_cap occurrences' worth before summing it
        into the word's n-gram rows (model.py). Capped per rank, a frequent word would push its
        synced n-gram rows world times as hard as in one process (4 processes diverged)."""
        hot = self.counts.shape[0] - 1
        mine = occurrences.to(self.counts.dtype)                            # (U,)
        slot = words.clamp(max=hot)                                         # (U,) hot words' slots; hot: the rest
        self.counts.zero_()
        self.counts.index_add_(0, slot, mine)
        self.group._collective(dist.all_reduce, self.counts)
        return torch.where(words < hot, self.counts[slot], mine)

    @torch.no_grad()
    def drain(self) -> None:
        """Take the synced steps of the ranks still training this chunk (with no gradient of ours)
        until every rank has finished it: subsampling leaves the ranks' shards a batch or so apart.
        (Each step's collectives in the order a training rank makes them: the counts, then the rows.)"""
        while self.synced:
            if self.counts is not None:
                self.counts.zero_()
                self.group._collective(dist.all_reduce, self.counts)
            self.buffer.zero_()
            if self._step_together().item() == 0:
                return

    def unsynced_changes(self) -> dict:
        """{parameter: (rows,) marks} of the rows this rank stepped since the last merge that are
        not synced (those are alike on every rank already), for merge_updates."""
        for p, h in self.first.items():
            self.changed[p][:h] = 0
        for p, rows in self.extra.items():
            self.changed[p][rows] = 0
        return self.changed

    def _step_together(self) -> torch.Tensor:
        """All-reduce the buffer and apply the synced rows' step; return how many ranks are training."""
        self.group._collective(dist.all_reduce, self.buffer)
        running = self.buffer[-1]
        lr = self.buffer[-2] / running.clamp(min=1)              # the ranks' rates agree but for rounding
        cap = self.param_groups[0]["cap"]
        for p, n in self.synced.items():
            sums, lookups = self.views[p]
            scale = (cap / lookups[:n]).clamp_(max=1.0) * -lr    # (n,) one process's cap over all ranks' lookups
            h = self.first[p]
            p.data[:h].addcmul_(sums[:h], scale[:h].unsqueeze(1))
            if p in self.extra:
                p.data.index_add_(0, self.extra[p], sums[h:n] * scale[h:].unsqueeze(1))
        return running


class MergeReplicas(Callback):
    """At each chunk's end: merge the replicas (merge_updates) and agree on stopping; at each epoch's end (and
    the last), gather every rank's RNG state for the checkpoint. Runs on every rank."""

    def __init__(self, group: Group, model: torch.nn.Module, device: torch.device, optimizer: "SyncedSGD"):
        self.group, self.model, self.device, self.optimizer = group, model, device, optimizer
        self.anchor = [p.detach().clone() for p in model.parameters()]  # the weights all ranks share
        self.caps = {}  # a subword input's n-gram rows (after the words'): a mean, or 2 ranks' worth from WIDE
        if getattr(model, "subwords", False):
            cap = WIDE_NGRAM_MERGE_CAP if group.world >= WIDE else NGRAM_MERGE_CAP
            self.caps[model.in_embed.weight] = (model.out_embed.weight.shape[0], cap)

    def on_chunk_end(self, state):
        self.optimizer.drain()                     # every rank's last hot step of the chunk taken
        self.group.merge_updates(self.model, self.anchor, self.optimizer.unsynced_changes(), self.caps)
        if self.group.any(state.stop is not None, self.device) and state.stop is None:
            state.stop = "another rank stopped"

    def on_epoch_end(self, state):
        state.all_rng = self.group.gather_rng(state.chunk_rng, self.device)

    def on_train_end(self, state):
        state.all_rng = self.group.gather_rng(state.chunk_rng, self.device)
        if not state.complete:                 # a stop mid-epoch: the checkpoint keeps the run's partial sums
            state.epoch_loss = self.group.sum(torch.as_tensor(state.epoch_loss, device=self.device))
            state.epoch_pairs = self.group.sum(torch.as_tensor(state.epoch_pairs, device=self.device))
