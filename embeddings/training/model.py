"""Skip-gram and CBOW with negative sampling as torch modules whose forward returns the loss.

Both score a batch that is a span of running text (see pairs.py): ``tokens`` (M + 2W,) and the
window mask (M, 2W+1). The input vectors of the whole span are gathered once, H = W_in[tokens];
the window of centre i is rows i .. i + 2W of H, so all positive pairs are one batched product
(ops.SkipGramLoss, ops.CBOWLoss). Negatives are N noise words shared by a group of consecutive
rows, so all negative scores are one batched (rows, D) @ (D, N) product. Each shared noise word carries weight
K / N, so the expected loss (and gradient) equals word2vec's K independent noise words per pair.
Embeddings are sparse: backward yields rows of gradient, and SGD touches only those rows.

With subwords (fastText, Bojanowski et al. 2017) the input matrix has `buckets` more rows, one per
hashed character n-gram, and a word's input vector is the mean of its own row and its n-grams'
rows (subwords.py defines them): one EmbeddingBag over the span's distinct words (_ComposeMean).
As in fastText, every row of the mean receives the mean's whole gradient, not 1/count of it. The
row cap (optim.py) holds a shared n-gram row per word, not per lookup: each word's gradient counts
at most `row_cap` occurrences' worth, as the word's own row does, and the row then moves by
min(1, row_cap / words) of the sum over the words that used it in the step.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .memory import KeptStorage, embedding_rows
from .ops import CBOWLoss, SkipGramLoss


# torch sorts an integer vector on the CPU by radix from this length on (at::internal::GRAIN_SIZE),
# by comparison below it: 215 us for 32,768 rows against 1,450 us for 32,767 (2 threads)
RADIX_SORT_MIN = 32768


def _sort_rows(rows: torch.Tensor, limit: int):
    """A stable torch.sort of rows (T,), each under `limit`. A CPU vector shorter than
    RADIX_SORT_MIN (a step's n-gram entries often are: 26-32K after dropout) is padded to it with
    `limit`, which sorts last, so that torch takes its radix sort: 4-6x as fast from 16K entries
    up. Over the 1,346 subword skip-gram steps of an epoch of the bundled corpus (23% of them
    under 32K entries), 0.28 ms of sorting a step instead of 0.44 (about 1% of the step); the
    order is the same."""
    n = rows.shape[0]
    if rows.device.type != "cpu" or not RADIX_SORT_MIN // 8 < n < RADIX_SORT_MIN:
        return torch.sort(rows, stable=True)   # (the radix sort is stable too: equal rows keep their order)
    padded = torch.cat([rows, rows.new_full((RADIX_SORT_MIN - n,), limit)])
    sorted_rows, order = torch.sort(padded)
    return sorted_rows[:n], order[:n]


def _group_by_row(rows: torch.Tensor, limit: int):
    """Sort entries (T,), each a row under `limit`, by row and number each run of equal rows (its
    slot): the distinct rows (R,), each sorted entry's slot (T,), the sorting order (T,) and where
    each slot begins (R,)."""
    sorted_rows, order = _sort_rows(rows, limit)
    first = torch.ones_like(sorted_rows, dtype=torch.bool)
    first[1:] = sorted_rows[1:] != sorted_rows[:-1]
    return sorted_rows[first], torch.cumsum(first, 0) - 1, order, first.nonzero().squeeze(1)


def _drop_ngrams(rows: torch.Tensor, bag: torch.Tensor, bag_starts: torch.Tensor, p: float, seed: int):
    """N-gram dropout: leave out each (word, n-gram) entry of rows / bag (T,) with chance p, drawn
    from `seed`, but never a word's own row (its first entry, at bag_starts (U,)). Returns the
    entries kept, still bag by bag, with each bag's new count and start (U,)."""
    draws = torch.Generator(device=rows.device).manual_seed(seed)
    keep = torch.rand(rows.shape[0], generator=draws, device=rows.device) >= p  # (T,)
    keep[bag_starts] = True                                                     # each word's own row
    kept = keep.nonzero().squeeze(1)                                            # (T',) bag by bag
    rows, bag = rows[kept], bag[kept]
    count = torch.bincount(bag, minlength=bag_starts.shape[0])                  # (U,) rows per word now
    return rows, bag, count, torch.cumsum(count, 0) - count


class _ComposeMean(torch.autograd.Function):
    """Each token's input vector: the mean of its word's bag of rows of `weight`; backward gives
    every row the whole gradient of its bags' means (fastText's update), each bag's scaled by
    `bag_scale` (but in the bag's own word row), as one sparse row per distinct row.

    Words of a batch share n-grams ("<th", "ing>"): 56K (bag, row) entries touch about 26K distinct
    rows. The forward pass is one embedding_bag over the big matrix (a row read again is a cache
    hit: 2x as fast as first gathering the distinct rows into a matrix of their own). The backward
    pass sums each distinct row's gradient over its bags before it leaves (an embedding_bag over
    the bags' gradients), so the optimizer scatters each row into the big matrix once, not once
    per word that used it. The tokens' gradients reach their words' bags the same way: an
    embedding_bag over the tokens grouped by word (`token_order`, `token_starts`), in the tokens'
    order within each word, so the sums are index_add_'s to the bit, at a quarter of its time
    (0.07 against 0.27 ms for 8,202 tokens of 2,800 words: index_add_ goes by scatter_add_ here).
    """

    @staticmethod
    def forward(ctx, weight, rows, bag_starts, count, distinct, slot_bags, slot_starts, bag_scale,
                inverse, token_order, token_starts):
        sums = F.embedding_bag(rows, weight, bag_starts.to(rows.dtype), mode="sum")  # (U, D) int32 rows: offsets alike
        ctx.save_for_backward(distinct, slot_bags, slot_starts, bag_scale, token_order, token_starts)
        ctx.shape = weight.shape
        return (sums / count.unsqueeze(1)).index_select(0, inverse)                  # (n, D) each token's word

    @staticmethod
    def backward(ctx, token_grad):
        distinct, slot_bags, slot_starts, bag_scale, token_order, token_starts = ctx.saved_tensors
        grad = F.embedding_bag(token_order, token_grad, token_starts, mode="sum")  # (U, D) each word's tokens
        scaled = grad * bag_scale.unsqueeze(1)                                      # (U, D)
        rows_grad = F.embedding_bag(slot_bags, scaled, slot_starts, mode="sum")     # (R, D)
        # the first U distinct rows are the bags' own word rows (ids < vocabulary size < n-gram
        # rows, both sorted): each leaves unscaled, for the optimizer to cap by its occurrences
        rows_grad[: grad.shape[0]] = grad
        sparse = torch.sparse_coo_tensor(distinct.unsqueeze(0), rows_grad, ctx.shape, is_coalesced=True,
                                         check_invariants=False)
        return sparse, *[None] * 10


class _GatherRows(torch.autograd.Function):
    """weight[ids] (n, D), written into storage the model keeps from step to step (`rooms`);
    backward gives the sparse row gradient that nn.Embedding(sparse=True) gives.

    A step's two gathers are its largest blocks: the span's input rows and the output rows of
    its centres and noise words (3 and 7 MB for word-only skip-gram), and the loss writes the
    output rows' gradient over them (ops._gradient_room). Allocated afresh each step, they leave
    holes in the heap that the next step's blocks of other sizes split, and the heap grows. Kept,
    they lower word-only skip-gram's peak memory a little and make a step 1.02x as fast, with
    the same weights (docs/performance.md, "Where memory goes"). The rows are valid until the next
    forward pass overwrites them; a graph still holding them then fails its backward loudly
    (torch counts the in-place write), never silently.
    """

    @staticmethod
    def forward(ctx, weight, ids, rooms, name: str):
        rows = rooms.take(name, (ids.shape[0], *weight.shape[1:]), weight.dtype, weight.device)  # (n, D)
        torch.index_select(weight, 0, ids, out=rows)
        ctx.save_for_backward(ids)
        ctx.shape = weight.shape
        return rows

    @staticmethod
    def backward(ctx, grad):
        ids, = ctx.saved_tensors
        sparse = torch.sparse_coo_tensor(ids.unsqueeze(0), grad, ctx.shape, check_invariants=False)
        return sparse, None, None, None


class _Word2Vec(nn.Module):
    loss_function: type[torch.autograd.Function]  # ops.SkipGramLoss or ops.CBOWLoss
    noise_rows: str                               # rows that share noise words: "span" or "centres"

    def __init__(self, vocab_size: int, dim: int, window: int, negative: int, init: float = 0.5,
                 subwords: tuple[np.ndarray, np.ndarray] | None = None, buckets: int = 0, row_cap: float = 4.0,
                 ngram_dropout: float = 0.0, lone_ngram_rate: float = 1.0, steady_ngrams: bool = False):
        super().__init__()
        self.window, self.negative = window, negative
        self.row_cap = row_cap  # with subwords: a word's gradient counts at most this many occurrences
        self.ngram_dropout = ngram_dropout  # with subwords: an n-gram's chance to leave a word's input in a step
        self.lone_ngram_rate = lone_ngram_rate  # with subwords: the step of an n-gram row one word alone used
        self.steady_ngrams = steady_ngrams  # with subwords: n-gram rows are capped at the starting rate (optim.py)
        # the input vectors W (with subwords, then one row per n-gram bucket); saved: W + C / 2 (kept_vectors)
        # (allocated onto huge pages before their first write: steps use rows all over them; memory.py)
        self.in_embed = nn.Embedding(vocab_size + buckets, dim, sparse=True,
                                     _weight=embedding_rows(vocab_size + buckets, dim))
        self.out_embed = nn.Embedding(vocab_size, dim, sparse=True,  # output ("context") vectors
                                      _weight=embedding_rows(vocab_size, dim))
        with torch.no_grad():  # word2vec's initialisation: small uniform inputs, zero outputs
            self.in_embed.weight.uniform_(-init / dim, init / dim)
            self.out_embed.weight.zero_()
        self.subwords = subwords is not None
        self.rooms = KeptStorage()  # where forward gathers a step's rows (_GatherRows)
        # several processes: (unique ids, occurrences) -> each word's occurrences in every rank's step
        # (distributed.SyncedSGD.occurrence_totals), so that a word is capped once, not once per rank
        self.occurrence_totals = None
        if self.subwords:  # word i's input rows: i itself, then rows[offsets[i]:offsets[i+1]] (in the buckets)
            rows, offsets = subwords
            lengths = np.diff(offsets) + 1
            table = np.empty(len(rows) + vocab_size, dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            table[starts] = np.arange(vocab_size)
            rest = np.ones(len(table), dtype=bool)
            rest[starts] = False
            table[rest] = rows
            # int32 rows: sorting a batch's 60K entries by row is 3-4x as fast as with int64 (CPU)
            narrow = len(table) and int(table.max()) < np.iinfo(np.int32).max
            table = torch.from_numpy(table.astype(np.int32) if narrow else table)
            self.register_buffer("sub_table", table, persistent=False)                        # (T,)
            self.register_buffer("sub_start", torch.from_numpy(starts), persistent=False)       # (V,)
            self.register_buffer("sub_count", torch.from_numpy(lengths), persistent=False)      # (V,)

    def inputs(self, tokens: torch.Tensor, seed: int | None = None) -> torch.Tensor:
        """Input vectors of tokens (n,) -> (n, D): a row each, or with subwords the mean of the
        word's row and its n-grams' rows.

        With subwords each distinct word of the batch is composed once (a batch of 8192 tokens
        holds about 2,500 distinct words), all of them by one embedding_bag (_ComposeMean).
        A word's gradient counts at most row_cap occurrences' worth, and `lookup_weights` tells the
        optimizer how many words used each n-gram row (and how often each word's own row was looked
        up), so it caps a shared n-gram row per word: a 3-gram
        used by many words learns from each of them, as in fastText's one-at-a-time updates, where
        capping it per lookup left it little of its words' meaning (docs/subwords.md).

        With `ngram_dropout` and a `seed` (training), each distinct word leaves out each of its
        n-grams with that chance in this step: its input is the mean of its own row and the n-grams
        kept, and only those rows learn from it. A typo keeps some of its word's n-grams and loses
        the rest, so n-grams that must stand in for each other carry more of the word's meaning
        (docs/subwords.md, "N-gram dropout"). The word's own row always stays: a word is never left empty.

        An n-gram row that one word alone used in the step (a long n-gram of a rare word, mostly)
        moves at `lone_ngram_rate` of its step: with dropout, slower lone rows leave more of the
        word's meaning to the n-grams it shares, which syntactic analogies and typos need.
        """
        if not self.subwords:
            return self.in_embed(tokens)
        # the batch's words, and its tokens grouped by word (in their order within each)
        unique, token_slot, token_order, token_starts = _group_by_row(tokens, self.in_embed.num_embeddings)
        inverse = torch.empty_like(token_slot)
        inverse[token_order] = token_slot                             # (n,) each token's word, in `unique`
        occurrences = torch.diff(token_starts, append=token_starts.new_tensor([tokens.shape[0]]))  # (U,) the runs' lengths
        count = self.sub_count[unique]                                # (U,) rows per word
        ends = torch.cumsum(count, 0)
        bag_starts = ends - count                                     # (U,) where each word's entries begin
        total = int(ends[-1])
        bag = torch.repeat_interleave(torch.arange(unique.shape[0], device=tokens.device), count, output_size=total)
        shift = torch.repeat_interleave(self.sub_start[unique] - bag_starts, count, output_size=total)  # (T,)
        rows = self.sub_table[shift + torch.arange(total, device=tokens.device)]  # (T,) each entry's row, bag by bag
        if self.ngram_dropout and seed is not None and torch.is_grad_enabled():
            rows, bag, count, bag_starts = _drop_ngrams(rows, bag, bag_starts, self.ngram_dropout, seed)
        distinct, slot, order, slot_starts = _group_by_row(rows, self.in_embed.num_embeddings)
        distinct = distinct.long()                                     # (R,) as indices of the sparse gradient
        slot_bags = bag[order]                                         # (T,) bags of each slot's entries
        dtype = self.in_embed.weight.dtype
        if self.occurrence_totals is None or not torch.is_grad_enabled():  # (no gradient: nothing to cap)
            word_scale = (self.row_cap / occurrences.to(dtype)).clamp_(max=1.0)   # (U,) at most row_cap occurrences
            lookups = torch.bincount(slot, minlength=distinct.shape[0]).to(dtype)  # (R,) words using each row
        else:  # several processes: cap each word over every rank's step, and count this rank's share of it
            totals = self.occurrence_totals(unique, occurrences).to(dtype)       # (U,) over all ranks
            word_scale = (self.row_cap / totals).clamp_(max=1.0)                   # (U,)
            share = occurrences.to(dtype) / totals                                 # (U,) this rank's part
            lookups = torch.bincount(slot, weights=share[slot_bags], minlength=distinct.shape[0]).to(dtype)  # (R,)
        if self.lone_ngram_rate != 1:  # an n-gram row one word alone used moves at this part of its step:
            # the optimizer's min(1, cap / lookups) then reads rate * min(1, cap / lookups)
            lookups = torch.where(lookups <= 1, lookups.clamp(min=self.row_cap) / self.lone_ngram_rate, lookups)
        # a word's own row (the first U distinct rows are the words, in `unique`'s order) is its
        # alone: its gradient comes uncapped and is counted in occurrences, as a word-only row's, so
        # the optimizer caps it the same (and several processes can add their rows' steps up)
        lookups[: unique.shape[0]] = occurrences.to(dtype)
        self._lookups = lookups                                        # (R,)
        if self.steady_ngrams:                                         # (R,) the n-gram rows: all but the first U
            self._steady = torch.arange(distinct.shape[0], device=tokens.device) >= unique.shape[0]
        return _ComposeMean.apply(self.in_embed.weight, rows, bag_starts, count.to(dtype), distinct,  # (n, D)
                                  slot_bags, slot_starts, word_scale, inverse, token_order, token_starts)

    def lookup_weights(self) -> dict:
        """{parameter: (rows,) lookups per row of its last sparse gradient} for the parameters
        whose gradient rows are pre-summed (the subword input: for an n-gram row the words that used
        it, each word's share already capped; for a word's own row its occurrences, uncapped);
        RowCappedSGD counts the others."""
        return {self.in_embed.weight: self._lookups} if self.subwords else {}

    def steady_rows(self) -> dict:
        """{parameter: (rows,) bool} the rows of its last sparse gradient that RowCappedSGD caps
        against the starting rate: with `steady_ngrams`, the subword input's n-gram rows."""
        return {self.in_embed.weight: self._steady} if self.subwords and self.steady_ngrams else {}

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, negatives: torch.Tensor,
                seed: int | None = None) -> torch.Tensor:
        """The batch's loss (pairs.Batch: tokens, mask, negatives; seed: for n-gram dropout)."""
        m = mask.shape[0]
        if self.subwords:
            h = self.inputs(tokens, seed)                             # (M+2W, D) inputs of the span
        else:
            h = _GatherRows.apply(self.in_embed.weight, tokens, self.rooms, "inputs")  # (M+2W, D)
        centres = tokens[self.window: self.window + m]                # (M,)
        out = _GatherRows.apply(self.out_embed.weight, torch.cat([centres, negatives.reshape(-1)]),  # (M+G*N, D)
                                self.rooms, "outputs")               # one lookup
        # out is this step's own gather: its gradient may be written over it (ops._gradient_room)
        return self.loss_function.apply(h, out, mask, self.negative, negatives.shape[0], True)  # mask: bool


class SkipGram(_Word2Vec):
    """Each context word predicts the centre word (word2vec.c's skip-gram order)."""

    loss_function = SkipGramLoss
    noise_rows = "span"  # noise groups run over the inputs: the whole span of M + 2W rows


class CBOW(_Word2Vec):
    """The mean of the context words' vectors predicts the centre word.

    As in word2vec.c and gensim (cbow_mean=1), each context word's vector receives the full
    gradient of the mean, not 1/count of it (see ops.CBOWLoss).
    """

    loss_function = CBOWLoss
    noise_rows = "centres"  # noise groups run over the M window means


def build_model(arch: str, vocab_size: int, dim: int, window: int, negative: int, init: float = 0.5,
                subwords: tuple[np.ndarray, np.ndarray] | None = None, buckets: int = 0,
                row_cap: float = 4.0, ngram_dropout: float = 0.0, lone_ngram_rate: float = 1.0,
                steady_ngrams: bool = False) -> _Word2Vec:
    """subwords: each word's n-gram rows (subwords.subword_rows, bucket rows counted from vocab_size);
    row_cap: the optimizer's, which the subword input applies per word; ngram_dropout: each n-gram's
    chance to leave a word's input in a step; lone_ngram_rate: the part of its step that an n-gram
    row used by one word alone in a step takes (see _Word2Vec.inputs); steady_ngrams: the optimizer
    caps n-gram rows against the starting rate (optim.py)."""
    return {"skipgram": SkipGram, "cbow": CBOW}[arch](vocab_size, dim, window, negative, init, subwords, buckets,
                                                      row_cap, ngram_dropout, lone_ngram_rate, steady_ngrams)
