"""Training speed and accuracy: ours against gensim and fastText, same corpus, hyperparameters, threads.

    python scripts/bench_train.py                       # both archs, full bundled corpus, 3 runs each
    python scripts/bench_train.py --slice 0.1 --repeats 1 --arch skipgram   # a quick look
    python scripts/bench_train.py --peers gensim --variant 'lr05:lr=0.05'   # ours with other settings too
    python scripts/bench_train.py --scale               # 1x, 2x, 4x slices: time and memory vs size
    python scripts/bench_train.py --subwords 3-6 --variant 'words:minn=0,maxn=0'  # fastText-style, all three
    python scripts/bench_train.py --arch skipgram --peers gensim --variant '12 epochs:epochs=12'  # same time budget
    python scripts/bench_train.py --arch skipgram --vary-seed        # run r seeds every trainer with r: spread of scores

Every run is a fresh subprocess (so peak memory is its own), the trainers interleaved. All get the
corpus as the same tokens: gensim reads a pre-tokenized file in its fastest mode (corpus_file),
fastText and we read the same file. Speed is counted the same way: corpus tokens x epochs /
seconds of training (vocabulary building excluded for ours and gensim; fastText's one call
includes reading the vocabulary, about 1 s of its time here). fastText is Facebook's `fasttext`
package with subwords off (maxn 0: word-only skip-gram / CBOW) and its own default learning rate
(0.05), as a user would run it. Accuracy: Google analogies (3CosAdd, gensim's rules,
restrict_vocab 300000; semantic and syntactic), MSR's syntactic analogies (the same rules) and
the Spearman correlation on each bundled word-pair set, computed by the same code
(embeddings.benchmarks) for every trainer.
Peak MB is the worker process's peak RSS after training, before evaluation. A variant may set its
own epochs (for instance as many as fit in gensim's time): its words/s count its own epochs, and
"seconds" (median training time) shows whether it kept within a peer's budget. Ours is deterministic
on the CPU, so its repeats score alike while the peers' threads move theirs; --vary-seed gives run r
the seed r for ours and gensim (the fasttext package's Python call takes no seed; its threads
vary it), so each median is over three draws, ours included.

With --subwords MIN-MAX every trainer adds character n-grams of MIN..MAX characters, hashed into
2M buckets (fastText's and gensim's default): ours, gensim's FastText and fastText with minn/maxn.
Each one's vectors, word rows and n-gram rows are read into the same SubwordVectors, so the
vocabulary's vectors are each trainer's own (fastText's getWordVector, gensim's wv.vectors) and
a typo gets its n-grams' mean by one definition. "typos" is the share of the bundled
misspellings (data/misspellings.tsv) whose nearest vocabulary word is the word meant. Word pairs
are scored on the vocabulary only, as for word-only trainers, so every row scores the same pairs.
Needs the peers: pip install -e '.[bench]'.

--pairs FILE (repeatable) scores every trainer on word-pair files of your own too, beside the
bundled sets, in a column named after each file: a held-out check on sets no default was chosen
on (docs/performance.md, "Word pairs that are not bundled").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HYPER = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5)
PEERS = ("gensim", "fasttext")
FASTTEXT_LR = 0.05  # fastText's default for both architectures


def write_tokens(out: Path, fraction: float) -> int:
    """The bundled corpus (the first `fraction` of each file's lines), tokenized, one line each."""
    from embeddings.training.corpus import corpus_files, iter_lines, tokenize
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for path in corpus_files():
            lines = list(iter_lines(path))
            for line in lines[: int(len(lines) * fraction + 0.5)]:
                tokens = tokenize(line)
                if tokens:
                    f.write(" ".join(tokens) + "\n")
                    n += len(tokens)
    return n


def parse_settings(text: str) -> dict:
    """'lr=0.05,row_cap=8' -> {'lr': 0.05, 'row_cap': 8} (values read as JSON where they parse)."""
    out = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out


def run_ours(corpus: str, arch: str, args, settings: dict) -> dict:
    import torch
    torch.set_num_threads(args.threads)
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train
    extra = {"batch_size": args.batch_size} if args.batch_size else {}
    if args.subwords:
        extra["minn"], extra["maxn"] = _ngram_range(args)
    if args.device.startswith("cuda"):
        extra["chunk_tokens"] = 1 << 24  # fewer, larger chunks: one host-to-device copy each
    config = TrainConfig(arch=arch, device=args.device,  # a variant may set its own seed
                         **{**HYPER, "seed": args.seed, "epochs": args.epochs, **extra, **settings})
    r = train(config, [corpus], progress=False)
    return {"seconds": r.seconds, "vectors": r.vectors, "epochs": config.epochs}


def _ngram_range(args) -> tuple[int, int]:
    from embeddings.subwords import parse_range
    return parse_range(args.subwords) if args.subwords else (0, 0)


def run_gensim(corpus: str, arch: str, args, settings: dict) -> dict:
    from gensim.models import FastText, Word2Vec
    from embeddings.subwords import DEFAULT_BUCKETS, SubwordVectors
    from embeddings.vectors import WordVectors
    common = dict(vector_size=HYPER["dim"], window=HYPER["window"], negative=HYPER["negative"],
                  sample=HYPER["sample"], min_count=HYPER["min_count"], sg=int(arch == "skipgram"),
                  workers=args.threads, seed=args.seed)
    if args.subwords:
        minn, maxn = _ngram_range(args)
        model = FastText(min_n=minn, max_n=maxn, bucket=DEFAULT_BUCKETS, **common)
    else:
        model = Word2Vec(**common)
    model.build_vocab(corpus_file=corpus)
    t = time.perf_counter()
    model.train(corpus_file=corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=args.epochs)
    seconds = time.perf_counter() - t
    wv = model.wv
    if args.subwords:
        return {"seconds": seconds, "vectors": SubwordVectors(wv.index_to_key, wv.vectors_vocab, wv.vectors_ngrams,
                                                              wv.min_n, wv.max_n, vectors=wv.vectors)}
    return {"seconds": seconds, "vectors": WordVectors(wv.index_to_key, wv.vectors)}


def run_fasttext(corpus: str, arch: str, args, settings: dict) -> dict:
    import fasttext
    from embeddings.subwords import DEFAULT_BUCKETS, SubwordVectors
    from embeddings.vectors import WordVectors
    minn, maxn = _ngram_range(args)
    t = time.perf_counter()
    model = fasttext.train_unsupervised(corpus, model=arch, dim=HYPER["dim"], ws=HYPER["window"],
                                        neg=HYPER["negative"], t=HYPER["sample"], minCount=HYPER["min_count"],
                                        epoch=args.epochs, thread=args.threads, minn=minn, maxn=maxn,
                                        bucket=DEFAULT_BUCKETS, lr=FASTTEXT_LR, verbose=0)
    seconds = time.perf_counter() - t
    words = model.get_words()
    matrix = model.get_input_matrix()
    if args.subwords:  # the vocabulary's vectors are fastText's own getWordVector
        vectors = np.stack([model.get_word_vector(w) for w in words])
        return {"seconds": seconds, "vectors": SubwordVectors(words, matrix[: len(words)], matrix[len(words):],
                                                              minn, maxn, vectors=vectors)}
    return {"seconds": seconds, "vectors": WordVectors(words, matrix[: len(words)])}


RUNNERS = {"ours": run_ours, "gensim": run_gensim, "fasttext": run_fasttext}


def worker(args) -> int:
    """One run in this process; prints a JSON line."""
    from embeddings.benchmarks import evaluate_all
    from embeddings.similarity import NotCoveredError, evaluate_word_pairs
    r = RUNNERS[args.worker](args.corpus, args.arch, args, parse_settings(args.settings or ""))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scores = evaluate_all(r["vectors"]).summary()
    for path in args.pairs:  # the user's own word-pair files, beside the bundled sets
        try:
            scores[pair_name(path)] = evaluate_word_pairs(r["vectors"], path).spearman
        except NotCoveredError:
            scores[pair_name(path)] = None
    epochs = r.get("epochs", args.epochs)
    print(json.dumps({"seconds": r["seconds"], "epochs": epochs, "peak_mb": peak, **scores}))
    return 0


def pair_name(path: str) -> str:
    """A --pairs file's column: its file name without the extension."""
    return Path(path).stem


def one_run(side: str, corpus: str, arch: str, args, settings: str = "", seed: int = 1) -> dict:
    cmd = [sys.executable, __file__, "--worker", side, "--corpus", corpus, "--arch", arch,
           "--threads", str(args.threads), "--device", args.device, "--epochs", str(args.epochs),
           "--settings", settings, "--seed", str(seed)]
    if args.subwords:
        cmd += ["--subwords", args.subwords]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    for path in args.pairs:
        cmd += ["--pairs", path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0 and "training diverged" in out.stderr:  # a setting too aggressive: say so
        return {"diverged": True}
    if out.returncode != 0:
        raise SystemExit(f"{side} {settings} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


RATIO_PEERS = {"gensim": "x gensim", "fasttext": "x fastText"}  # a words/s ratio column for each peer that ran


def table(rows: list[tuple[str, str, list[dict]]], tokens: int, epochs: int, extra: list[str] = ()) -> str:
    """Markdown: one line per (arch, trainer), medians of its runs; words/s as a ratio to each peer
    that ran (gensim, fastText), on the same architecture; `extra`: the columns of --pairs files,
    after the bundled sets."""
    from embeddings.benchmarks import MORE_ANALOGIES, WORD_PAIR_SETS
    sets, more = list(WORD_PAIR_SETS) + list(extra), list(MORE_ANALOGIES)  # more: the other analogy sets (MSR)
    typos = any(r.get("typos") is not None for _, _, runs in rows for r in runs)
    peers = [p for p in RATIO_PEERS if any(who == p for _, who, _ in rows)]
    head = ["arch", "trainer", "seconds", "words/s", *(RATIO_PEERS[p] for p in peers), "analogies", "semantic",
            "syntactic", *more, *sets, *(["typos"] if typos else []), "peak MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    med = lambda runs, k: statistics.median(r[k] for r in runs if r[k] is not None) \
        if any(r[k] is not None for r in runs) else float("nan")  # noqa: E731
    speed_of = lambda runs: tokens * runs[0].get("epochs", epochs) / med(runs, "seconds")  # noqa: E731
    peer_speed = {(who, arch): speed_of(runs) for arch, who, runs in rows
                  if who in peers and not any(r.get("diverged") for r in runs)}
    for arch, who, runs in rows:
        if any(r.get("diverged") for r in runs):
            lines.append("| " + " | ".join([arch, who, "diverged", *[""] * (len(head) - 3)]) + " |")
            continue
        speed = speed_of(runs)
        ratios = [f"{speed / peer_speed[p, arch]:.2f}" if (p, arch) in peer_speed else "-" for p in peers]
        typo_cell = [f"{med(runs, 'typos'):.1%}" if runs[0].get("typos") is not None else "-"] if typos else []
        cells = [arch, who, f"{med(runs, 'seconds'):.1f}", f"{speed:,.0f}", *ratios, *(f"{med(runs, k):.2%}" for k in
                 ("analogies", "semantic", "syntactic", *more)), *(f"{med(runs, k):.3f}" for k in sets),
                 *typo_cell, f"{max(r['peak_mb'] for r in runs):.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow", "both"], default="both")
    parser.add_argument("--slice", type=float, default=1.0, help="fraction of the bundled corpus (1.0)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    parser.add_argument("--device", default="cpu", help="our device (the peers are CPU only)")
    parser.add_argument("--batch-size", dest="batch_size", type=int, help="our batch size (default: TrainConfig's)")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="comma-separated peers to run: gensim, fasttext, or none (default: both)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="also run ours with these TrainConfig settings (repeatable)")
    parser.add_argument("--scale", action="store_true", help="time ours on 1x, 2x, 4x slices (0.25, 0.5, 1.0)")
    parser.add_argument("--subwords", metavar="MIN-MAX",
                        help="every trainer adds character n-grams (e.g. 3-6): ours, gensim's FastText, fastText")
    parser.add_argument("--vary-seed", dest="vary_seed", action="store_true",
                        help="run r (1, 2, ...) seeds every trainer with r (default: seed 1 for every run)")
    parser.add_argument("--pairs", action="append", default=[], metavar="FILE",
                        help="also score this word-pair file (word, word, score per line; repeatable)")
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    archs = ["skipgram", "cbow"] if args.arch == "both" else [args.arch]
    peers = [p for p in args.peers.split(",") if p in PEERS]
    trainers = [("ours", "ours", "")] + [(v.split(":", 1)[0], "ours", v.split(":", 1)[1]) for v in args.variant] \
        + [(p, p, "") for p in peers]
    with tempfile.TemporaryDirectory() as tmp:
        if args.scale:
            print(f"scaling ({args.repeats} runs each, median), ours, {archs[0]}, {args.threads} threads")
            print(f"{'slice':>6} {'tokens':>12} {'seconds':>9} {'words/s':>11} {'s per M tokens':>15} {'peak MB':>9}")
            for frac in (0.25, 0.5, 1.0):
                corpus = str(Path(tmp) / f"tokens-{frac}.txt")
                n = write_tokens(Path(corpus), frac)
                runs = [one_run("ours", corpus, archs[0], args) for _ in range(args.repeats)]
                sec = statistics.median(r["seconds"] for r in runs)
                peak = max(r["peak_mb"] for r in runs)
                print(f"{frac:>6.2f} {n:>12,} {sec:>9.1f} {n * args.epochs / sec:>11,.0f} "
                      f"{sec / (n / 1e6):>15.2f} {peak:>9.0f}", flush=True)
            return 0
        corpus = str(Path(tmp) / "tokens.txt")
        n = write_tokens(Path(corpus), args.slice)
        print(f"corpus: bundled, slice {args.slice:g} = {n:,} tokens; dim {HYPER['dim']}, window {HYPER['window']}, "
              f"negative {HYPER['negative']}, sample {HYPER['sample']}, min_count {HYPER['min_count']}, "
              f"epochs {args.epochs}; {args.threads} threads; median of {args.repeats} interleaved runs; "
              + (f"seeds 1-{args.repeats}; " if args.vary_seed else "")
              + (f"subwords {args.subwords} (2M buckets); " if args.subwords else "") +
              f"ours on {args.device}" + (f", batch {args.batch_size}" if args.batch_size else ""), flush=True)
        rows = []
        for arch in archs:
            runs: dict[str, list] = {name: [] for name, _, _ in trainers}
            for rep in range(args.repeats):
                for name, side, settings in trainers:
                    r = one_run(side, corpus, arch, args, settings, seed=rep + 1 if args.vary_seed else 1)
                    runs[name].append(r)
                    if r.get("diverged"):
                        print(f"  {arch} {name}: diverged", flush=True)
                        continue
                    typo = f", typos {r['typos']:.1%}" if r.get("typos") is not None else ""
                    print(f"  {arch} {name}: {r['seconds']:.1f} s, analogies {r['analogies']:.2%}, "
                          f"WordSim-353 {r['WordSim-353']:.3f}, SimLex-999 {r['SimLex-999']:.3f}{typo}", flush=True)
            rows += [(arch, name, runs[name]) for name, _, _ in trainers]
        print()
        print(table(rows, n, args.epochs, [pair_name(p) for p in args.pairs]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
