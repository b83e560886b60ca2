"""Several processes, one model: torch.distributed set-up, corpus shards and merging the replicas.

Launched by torchrun (`torchrun --nproc-per-node N -m embeddings train ...`), each process (rank)
trains a full replica on its own shard of every corpus chunk: rank r takes the r-th of N equal
slices. Replicas are kept in step at the end of every chunk (a collective every chunk_tokens / N
words of each rank's text; Ji et al.'s periodic synchronisation), where the ranks' updates to
each row are added up, capped at MERGE_CAP ranks' worth (see merge_updates); that is also where
ranks agree to stop, so every rank always makes the same
sequence of collective calls and none waits for a call that never comes. gloo on CPUs, NCCL on
GPUs. A rank that dies makes the others fail with a clear error after `TIMEOUT`, not hang.
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

TIMEOUT = timedelta(seconds=int(os.environ.get("EMBEDDINGS_DIST_TIMEOUT", "120")))  # a lost rank -> error
MERGE_CAP = 2  # a row's merged update is at most this many ranks' mean update (see merge_updates)
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

    def merge_updates(self, model: torch.nn.Module, anchor: list[torch.Tensor]) -> None:
        """Every rank's change to a row since the last merge, added up, but never more than
        MERGE_CAP ranks' worth: w = w0 + mean_r(w_r - w0) * min(ranks that changed the row, MERGE_CAP).

        The sum applies every update, as one process applying them in turn would; a plain mean
        of the replicas would divide each rank's learning by the number of ranks (5 analogy points
        lost with 2 ranks on the bundled corpus). But the ranks push a frequent word's row the
        same way from the same stale start, and the full sum over 4 ranks diverged: the cap is
        the merge-time twin of the optimizer's per-row cap (optim.py). `anchor` becomes the
        merged weights."""
        for p, a in zip(model.parameters(), anchor):
            p.data -= a                                            # this rank's updates, (V, D)
            touched = p.data.ne(0).any(1).to(p.dtype)              # (V,) rows this rank changed
            self._collective(dist.all_reduce, p.data)              # every rank's updates, summed
            self._collective(dist.all_reduce, touched)             # how many ranks changed each row
            count = touched.clamp_(min=1)
            p.data *= (count.clamp(max=MERGE_CAP) / count).unsqueeze(1)
            p.data += a
            a.copy_(p.data)

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


class MergeReplicas(Callback):
    """At each chunk's end: merge the replicas (merge_updates) and agree on stopping; at each epoch's end (and
    the last), gather every rank's RNG state for the checkpoint. Runs on every rank."""

    def __init__(self, group: Group, model: torch.nn.Module, device: torch.device):
        self.group, self.model, self.device = group, model, device
        self.anchor = [p.detach().clone() for p in model.parameters()]  # the weights all ranks share

    def on_chunk_end(self, state):
        self.group.merge_updates(self.model, self.anchor)
        if self.group.any(state.stop is not None, self.device) and state.stop is None:
            state.stop = "another rank stopped"

    def on_epoch_end(self, state):
        state.all_rng = self.group.gather_rng(state.chunk_rng, self.device)

    def on_train_end(self, state):
        state.all_rng = self.group.gather_rng(state.chunk_rng, self.device)
        if not state.complete:                 # a stop mid-epoch: the checkpoint keeps the run's partial sums
            state.epoch_loss = self.group.sum(torch.as_tensor(state.epoch_loss, device=self.device))
            state.epoch_pairs = self.group.sum(torch.as_tensor(state.epoch_pairs, device=self.device))
