"""How the trainer asks the operating system for memory: freed blocks kept, huge pages for the big
matrices, and storage that the loop's repeated arrays reuse.

Both are requests to Linux's glibc and kernel that change speed, never results; elsewhere (another
C library, another OS, huge pages turned off) they do nothing and the trainer runs as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

import torch

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameters
MMAP_THRESHOLD = 32 << 20                     # glibc's largest: blocks under 32 MB come from the heap
MADV_HUGEPAGE = 14                            # Linux's madvise advice: back this range with huge pages
HUGE_PAGE = 2 << 20                           # x86-64's and arm64's transparent huge page: 2 MB


@functools.lru_cache(maxsize=None)
def _libc():
    """The C library, loaded once (None where there is none to load)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    if hasattr(libc, "madvise"):
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return libc


def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed blocks of up to 32 MB for reuse rather than unmap them.

    A step allocates and frees tens of MB of gradient rows (25 MB with subwords). By default glibc
    maps such blocks fresh from the kernel and unmaps them at free, so every step pays page faults
    to zero them again: 8-10% of a subword step, measured. Process-wide and harmless elsewhere
    (freed memory stays with the process for its next allocation); a no-op off glibc.
    """
    libc = _libc()
    try:
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except AttributeError:  # no libc found, or not glibc
        return False


def advise_huge_pages(tensor: torch.Tensor) -> bool:
    """Ask Linux to back the whole 2 MB pages inside `tensor`'s storage with huge pages; call it
    before anything writes to the tensor (pages already touched stay small until the kernel's
    background pass merges them). True if the kernel took the advice.

    A step reads and writes rows scattered over the whole input matrix: with subwords about 30K
    of its 2M rows (800 MB). With 4 KB pages nearly each row costs a TLB miss and a page walk; with
    2 MB pages the walks are short and mostly cached. Measured here (`index_select` / `index_add_`
    of 30K random rows of a 2M x 100 matrix, medians of 200): 3.6 / 3.8 ms -> 1.8-2.9 / 2.5-3.4 ms.
    The word-only matrices (30 MB) gain nothing measurable and lose nothing. Huge pages hold no
    more memory here: every page of an embedding is written at initialisation anyway. They cost
    time once: initialising the 800 MB subword matrix takes 1.6-2.5 s instead of 0.9-1.0 s (the
    kernel assembles and zeroes 2 MB pages), against ~4 s saved over a 5-epoch subword run.
    """
    if sys.platform != "linux" or tensor.device.type != "cpu" or tensor.nbytes < HUGE_PAGE:
        return False
    libc = _libc()
    if libc is None or not hasattr(libc, "madvise"):
        return False
    start = tensor.data_ptr()
    first = -(-start // HUGE_PAGE) * HUGE_PAGE                      # first whole huge page inside
    length = (start + tensor.nbytes - first) // HUGE_PAGE * HUGE_PAGE
    if length <= 0:
        return False
    return libc.madvise(first, length, MADV_HUGEPAGE) == 0


def embedding_rows(rows: int, dim: int) -> torch.Tensor:
    """An uninitialised (rows, dim) float32 CPU tensor for an embedding matrix, advised onto huge
    pages before its first write (advise_huge_pages)."""
    weight = torch.empty(rows, dim)
    advise_huge_pages(weight)
    return weight


class KeptStorage:
    """Named blocks of storage kept from use to use: `take` hands back the first `shape[0]` rows
    of the block of that name, made anew (a quarter larger) only when a use needs more rows, or
    another row shape, dtype or device.

    Arrays that the loop makes again and again at about one size (a chunk's arrays in the batch
    maker, a step's gathered rows in the model), allocated afresh each time, land between the
    holes that a step's other temporaries leave in the heap and split them, so the heap grows;
    reused, they do not (docs/performance.md, "Where memory goes").
    """

    def __init__(self):
        self.blocks: dict[str, torch.Tensor] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        rows, rest = shape[0], tuple(shape[1:])
        block = self.blocks.get(name)
        if (block is None or block.shape[0] < rows or tuple(block.shape[1:]) != rest
                or block.dtype != dtype or block.device != torch.device(device)):
            self.blocks.pop(name, None)
            del block                                  # free the old block before making the new one
            block = self.blocks[name] = torch.empty((rows + rows // 4, *rest), dtype=dtype, device=device)
        return block[:rows]
