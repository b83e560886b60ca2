"""Training hyperparameters: one dataclass, a default and a one-line reason per field."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

from ..formats import output_weight_of
from ..subwords import DEFAULT_BUCKETS

ARCHS = ("skipgram", "cbow")
CHUNK_TOKENS = 1 << 19  # one process: 512K tokens per chunk (128K: 25 MB less memory, but CBOW 1.2 analogy points worse: docs/performance.md)
MERGE_TOKENS = 1 << 19  # several: 512K, measured within 1 analogy point of one process with 2 (docs/distributed.md)
SUBWORD_MERGE_TOKENS = 1 << 18  # a subword model with WIDE or more: 256K (its word pairs held only so: docs/subwords.md)
WIDE = 4                 # processes from which a subword model's n-gram rows merge harder and more often
# Measured on the bundled corpus (docs/performance.md, "Quality"): CBOW keeps its accuracy with four times the rows
# per noise group; both learn more per epoch above word2vec.c's starting rates (0.025, 0.05), as
# fastText at 0.05 does: skip-gram at 2x (4x diverges), CBOW at 1.5x (2x: fewer analogies). CBOW
# also learns more from a 10x wider start than word2vec's +-0.5/dim (two seeds); skip-gram does not.
# Skip-gram trains each chunk's sentences in a random order, with its rate's decay down to 0.1 of
# the start, not 0.3: WordSim-353 0.717 against 0.688 and analogies 22.89% against 22.40% (medians
# of seeds 1-3; docs/performance.md, "Quality"); shuffled, CBOW's scores move either way, so it keeps the text's order.
# CBOW caps a row at 2 lookups' worth a step, not 4: 22.83% analogies against 21.76% (medians of
# seeds 1-3), 3.2 points over gensim's, every word-pair set still ahead of gensim's and fastText's
# CBOW, for 0.02 of WordSim-353 (docs/performance.md, "The same time budget").
# Skip-gram's groups of 32 inputs share 40 noise words, not 32: over seeds 1-3 WordSim-353 0.719
# against 0.712 and MTurk-287 0.654 against 0.646 (fastText's 0.714 and 0.647), analogies 23.10%
# against 22.57%, for 0.91-0.93x the step's speed (docs/performance.md, "Forty noise words").
# The saved vectors are the input vectors plus half the output vectors (W + C / 2), from the same
# training: over seeds 1-3, skip-gram 26.00% analogies against 23.10% for W alone, CBOW 23.79%
# against 22.36%, MSR and every word-pair set level or higher for both (Levy et al.'s W + C gives
# CBOW 23.42% but 0.04 less on MEN-3000, MTurk-287 and RG-65; docs/performance.md, "Half the
# output vectors"). A subword model keeps its input rows: they are what answers for unseen words.
ARCH_DEFAULTS = {"skipgram": {"lr": 0.05, "group_size": 32, "init": 0.5, "shared_negatives": 40,
                              "shuffle": True, "min_lr_ratio": 0.1, "row_cap": 4.0, "ngram_dropout": 0.0,
                              "lone_ngram_rate": 1.0, "output_weight": 0.5, "steady_ngrams": False},
                 "cbow": {"lr": 0.075, "group_size": 128, "init": 5.0, "shared_negatives": 32,
                          "shuffle": False, "min_lr_ratio": 0.3, "row_cap": 2.0, "ngram_dropout": 0.0,
                          "lone_ngram_rate": 1.0, "output_weight": 0.5, "steady_ngrams": False}}
# The noise distribution's exponent (docs/performance.md, "Quality"): fastText's 0.5 gives better analogies and
# word similarity than word2vec's 0.75 here, over two seeds, for both archs (word-only).
NS_EXPONENT = 0.5
# A subword model's own defaults (docs/subwords.md, "Over seeds": medians over three seeds). Skip-gram: each
# group of 32 inputs shares 48 noise words, not 32, drawn in proportion to count ** 0.6: 43.06%
# analogies against 41.75% (32 words at count ** 0.5), for 0.91x the speed (16-row groups of 32 words:
# 42.89% at 0.89x). CBOW: fastText's +-1/dim start, 0.2-0.35 more analogy points than the wide one
# on each seed (its inputs are means of ~20 rows); word pairs alike.
# Subword skip-gram keeps the text's order and the decay to 0.3: shuffled, with the decay to 0.1, it
# reads WordSim-353 0.696 against 0.652 and analogies level, but its step is 0.93x as fast (docs/subwords.md).
# Subword CBOW keeps the row cap of 4: at 2 it read 39.86% analogies against 42.56%, and less on
# every word-pair set and on MSR (seed 1; docs/subwords.md, "Over seeds").
# Subword skip-gram leaves each of a word's n-grams out of a step's input with probability
# NGRAM_DROPOUT (never the word's own row), so that the n-grams a typo keeps say what the word means,
# and an n-gram row that one word alone used in a step moves at LONE_NGRAM_RATE of its step, which
# leaves more of the meaning to the shared n-grams: both together lead gensim's FastText on every
# score but typos, where it is level (docs/subwords.md, "N-gram dropout"). CBOW keeps every n-gram: dropout 0.3
# cost it 1.2 analogy points and five of six word-pair sets for 0.4 typo points (seed 1).
# Both cap their n-gram rows against the starting rate (steady_ngrams, optim.py): a row many words share
# keeps its first steps' size as the rate decays. Over seeds 1-3: analogies +0.20 (skip-gram) and +0.81
# (CBOW), MSR +0.56 and +1.17, skip-gram's typos +0.8, for 0.005 and 0.008 of MTurk-287 (docs/subwords.md,
# "Steady n-gram rows").
NGRAM_DROPOUT = 0.3
LONE_NGRAM_RATE = 0.75
SUBWORD_DEFAULTS = {"skipgram": {"shared_negatives": 48, "ns_exponent": 0.6, "shuffle": False, "min_lr_ratio": 0.3,
                                 "ngram_dropout": NGRAM_DROPOUT, "lone_ngram_rate": LONE_NGRAM_RATE,
                                 "output_weight": 0.0, "steady_ngrams": True},
                    "cbow": {"init": 1.0, "row_cap": 4.0, "output_weight": 0.0, "steady_ngrams": True}}
# Positions per step (docs/performance.md, "Batch size on a small corpus"): 8,192 on a corpus as big as the
# bundled one (2,048 is no better there, 32,768 slightly better); a smaller corpus takes smaller
# batches, so that an epoch is at least STEPS_PER_EPOCH steps of its kept (subsampled) positions,
# down to MIN_BATCH_SIZE.
BATCH_SIZE = 8192
MIN_BATCH_SIZE = 512
STEPS_PER_EPOCH = 300


@dataclass
class TrainConfig:
    arch: str = "skipgram"        # "skipgram" (predict context from word) or "cbow" (word from context)
    dim: int = 100                # embedding dimension D
    window: int = 5               # max context distance; each position draws its own from 1..window
    negative: int = 5             # K: noise words per (word, context) pair, as in word2vec's -negative
    ns_exponent: float | None = None  # noise words ∝ count ** this (None: fastText's 0.5, subword skip-gram 0.6; word2vec 0.75)
    sample: float = 1e-3          # subsampling threshold t: frequent words are dropped (0 disables)
    min_count: int = 5            # words seen fewer times are left out of the vocabulary
    max_vocab: int | None = None  # keep at most this many most frequent words (None: no cap)
    epochs: int = 5               # passes over the corpus
    batch_size: int | None = None  # positions of running text per step (None: 8,192, less for a small corpus)
    shared_negatives: int | None = None  # N: noise words drawn per group of rows, each weighted K/N (None: 40 skip-gram, 32 CBOW, 48 subword skip-gram)
    group_size: int | None = None  # rows sharing one group's noise words (None: 32 skip-gram, 128 CBOW)
    lr: float | None = None       # starting rate, decays linearly (None: 0.05 skip-gram, 0.075 CBOW)
    min_lr_ratio: float | None = None  # the decay stops at lr * this (None: 0.1 skip-gram, 0.3 CBOW and subword skip-gram)
    init: float | None = None     # inputs start uniform in +-init/dim, outputs at 0 (None: 0.5 skip-gram, 5 CBOW, 1 subword CBOW)
    row_cap: float | None = None  # a row looked up n times in a step moves by min(1, cap / n) of its summed gradient (None: 4, CBOW 2)
    ngram_dropout: float | None = None  # subwords: each n-gram leaves a word's input with this chance a step (None: 0.3 skip-gram, 0 CBOW)
    lone_ngram_rate: float | None = None  # subwords: an n-gram row one word alone used in a step takes this part of its step (None: 0.75 skip-gram, 1 CBOW)
    steady_ngrams: bool | None = None  # subwords: n-gram rows are capped against the starting rate, so a shared one's step does not decay (None: on with subwords)
    dynamic_window: bool = True   # word2vec's: each centre sees b ~ U{1..window} words each side (False: all window)
    shuffle: bool | None = None   # each chunk's sentences in a random order: a step mixes topics (None: word-only skip-gram)
    output_weight: float | None = None  # saved vectors: W + this x C, inputs plus output vectors (None: 0.5, 0 with subwords; 1: W + C, Levy et al. 2015)
    minn: int = 0                 # subwords (fastText): shortest character n-gram, with < > markers (0: words only)
    maxn: int = 0                 # longest character n-gram (0: words only; fastText's 3-6 is minn 3, maxn 6)
    buckets: int = DEFAULT_BUCKETS  # n-gram rows shared by hashing (fastText's and gensim's 2M; more: fewer collisions)
    device: str = "auto"          # "auto" (cuda if available, else cpu), "cpu", "cuda", "cuda:1", ...
    seed: int = 1                 # seeds init, subsampling, windows and noise: same seed, same vectors (CPU)
    sync_rows: int = 8192         # several processes: these most frequent words' rows step together (0: merges only)
    sync_ngrams: int = 8192       # several processes, subwords: so do the rows of the n-grams most words use
    chunk_tokens: int | None = None  # corpus tokens per chunk, moved to the device at once (bounds memory); several
                                     # processes merge their replicas after each. None: CHUNK_TOKENS, MERGE_TOKENS
                                     # (SUBWORD_MERGE_TOKENS for a subword model with WIDE processes or more)

    def validate(self) -> "TrainConfig":
        """Fill the per-architecture defaults; raise ValueError naming the first invalid field."""
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}, not {self.arch!r}")
        for name in ("lr", "group_size", "init", "ns_exponent", "shared_negatives", "shuffle", "min_lr_ratio",
                     "row_cap", "ngram_dropout", "lone_ngram_rate", "output_weight", "steady_ngrams"):
            if getattr(self, name) is None:
                setattr(self, name, self.default(name))
        if self.chunk_tokens is None:  # torchrun's processes merge after each chunk (distributed.py)
            world = int(os.environ.get("WORLD_SIZE", "1"))
            self.chunk_tokens = (CHUNK_TOKENS if world == 1 else
                                 SUBWORD_MERGE_TOKENS if self.subwords and world >= WIDE else MERGE_TOKENS)
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or self.batch_size < 1):
            raise ValueError(f"batch_size must be a positive integer, not {self.batch_size!r}")
        for name in ("dim", "window", "negative", "epochs", "shared_negatives", "group_size",
                     "min_count", "chunk_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise ValueError(f"max_vocab must be a positive integer, not {self.max_vocab!r}")
        for name in ("sample", "lr", "ns_exponent", "min_lr_ratio", "init", "output_weight"):
            value = getattr(self, name)
            if not value >= 0 or value == float("inf"):  # also rejects NaN
                raise ValueError(f"{name} must be a non-negative number, not {value!r}")
        if self.lr == 0:
            raise ValueError("lr must be positive, not 0")
        if not self.row_cap > 0 or self.row_cap == float("inf"):
            raise ValueError(f"row_cap must be a positive number, not {self.row_cap!r}")
        if not 0 <= self.ngram_dropout < 1:  # also rejects NaN
            raise ValueError(f"ngram_dropout must be at least 0 and under 1, not {self.ngram_dropout!r}")
        if self.ngram_dropout and not self.subwords:
            raise ValueError("ngram_dropout leaves out character n-grams: it needs subwords (minn, maxn)")
        if not 0 < self.lone_ngram_rate <= 1:
            raise ValueError(f"lone_ngram_rate must be over 0 and at most 1, not {self.lone_ngram_rate!r}")
        if self.lone_ngram_rate != 1 and not self.subwords:
            raise ValueError("lone_ngram_rate steps character n-gram rows: it needs subwords (minn, maxn)")
        if self.steady_ngrams and not self.subwords:
            raise ValueError("steady_ngrams steps character n-gram rows: it needs subwords (minn, maxn)")
        for name in ("minn", "maxn", "buckets", "sync_rows", "sync_ngrams"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if self.subwords:
            if not 1 <= self.minn <= self.maxn:
                raise ValueError(f"subword n-gram lengths need 1 <= minn <= maxn, not {self.minn}-{self.maxn}")
            if self.buckets < 1:
                raise ValueError("subwords need at least one bucket")
            if self.output_weight:
                raise ValueError("output_weight (input plus output vectors) is for word-only models; a subword "
                                 "model's vectors are its input rows (words and n-grams)")
        return self

    def default(self, name: str):
        """The default of a per-architecture field (lr, group_size, init, ns_exponent, shared_negatives, shuffle,
        min_lr_ratio, row_cap, ngram_dropout, lone_ngram_rate, output_weight, steady_ngrams) for this arch, with or
        without subwords."""
        defaults = {**ARCH_DEFAULTS[self.arch], "ns_exponent": NS_EXPONENT}
        return {**defaults, **(SUBWORD_DEFAULTS[self.arch] if self.subwords else {})}[name]

    @property
    def subwords(self) -> bool:
        """True when words carry character n-grams (fastText)."""
        return self.maxn > 0

    def for_corpus(self, kept_positions: float) -> "TrainConfig":
        """Fill batch_size if it is None, for a process that trains on `kept_positions` (after
        subsampling) per epoch: the largest of 8,192, 4,096, ... that gives the epoch at least
        STEPS_PER_EPOCH steps, and never under MIN_BATCH_SIZE."""
        if self.batch_size is None:
            size = BATCH_SIZE
            while size > MIN_BATCH_SIZE and kept_positions / size < STEPS_PER_EPOCH:
                size //= 2
            self.batch_size = size
        return self

    def centres_per_batch(self) -> int:
        """Centre positions per step: batch_size (8,192 while it is None) rounded to the nearest
        count at which the rows that share noise words make whole groups (at least one):
        skip-gram's groups run over the span's M + 2W inputs, CBOW's over its M centres."""
        group = self.group_size or self.default("group_size")
        extra = 2 * self.window if self.arch == "skipgram" else 0
        asked = BATCH_SIZE if self.batch_size is None else self.batch_size
        groups = max(1, round((asked + extra) / group))
        while groups * group - extra < 1:
            groups += 1
        return groups * group - extra

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        # a checkpoint from before sentences were shuffled trained them in the text's order, and one
        # from before n-gram dropout kept every n-gram and stepped every n-gram row in full; one from
        # before output_weight saved its `vectors`: "input" (W) or "input+output" (W + C); one from
        # before steady n-gram rows capped them at the decaying rate
        return cls(**{"shuffle": False, "ngram_dropout": 0.0, "lone_ngram_rate": 1.0, "steady_ngrams": False,
                      "output_weight": output_weight_of(data),
                      **{k: v for k, v in data.items() if k in known}})
