"""Training speed and accuracy: ours against gensim, same corpus, same hyperparameters, same threads.

    python scripts/bench_train.py                       # both archs, full bundled corpus, 3 runs each
    python scripts/bench_train.py --slice 0.1 --repeats 1 --arch skipgram   # a quick look
    python scripts/bench_train.py --scale               # 1x, 2x, 4x slices: time and memory vs size

Every run is a fresh subprocess (so peak memory is its own), ours and gensim interleaved. Both get
the corpus as the same tokens: gensim reads a pre-tokenized file in its fastest mode (corpus_file),
we read the same file. Speed is counted the same way for both: corpus tokens x epochs / seconds of
training (vocabulary building excluded for both). Accuracy: Google analogies (3CosAdd, gensim's
rules, restrict_vocab 300000) and WordSim-353 Spearman, computed by the same code for both.
Needs gensim: pip install -e '.[bench]'.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HYPER = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5)


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


def run_ours(corpus: str, arch: str, threads: int, device: str, epochs: int, batch_size: int | None = None) -> dict:
    import torch
    torch.set_num_threads(threads)
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train
    extra = {"batch_size": batch_size} if batch_size else {}
    if device.startswith("cuda"):
        extra["chunk_tokens"] = 1 << 24  # fewer, larger chunks: one host-to-device copy each
    config = TrainConfig(arch=arch, device=device, **{**HYPER, "epochs": epochs}, **extra)
    r = train(config, [corpus], progress=False)
    return {"seconds": r.seconds, "vectors": r.vectors}


def run_gensim(corpus: str, arch: str, threads: int, device: str, epochs: int, batch_size: int | None = None) -> dict:
    from gensim.models import Word2Vec
    from embeddings.vectors import WordVectors
    model = Word2Vec(vector_size=HYPER["dim"], window=HYPER["window"], negative=HYPER["negative"],
                     sample=HYPER["sample"], min_count=HYPER["min_count"], sg=int(arch == "skipgram"),
                     workers=threads, seed=1)
    model.build_vocab(corpus_file=corpus)
    t = time.perf_counter()
    model.train(corpus_file=corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=epochs)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "vectors": WordVectors(model.wv.index_to_key, model.wv.vectors)}


def worker(args) -> int:
    """One run in this process; prints a JSON line."""
    from embeddings.similarity import evaluate_analogies, evaluate_word_pairs
    run = run_ours if args.worker == "ours" else run_gensim
    r = run(args.corpus, args.arch, args.threads, args.device, args.epochs, args.batch_size)
    wv = r["vectors"]
    analogies = evaluate_analogies(wv, ROOT / "data" / "questions-words.txt")
    pairs = evaluate_word_pairs(wv, ROOT / "data" / "wordsim353.tsv")
    print(json.dumps({"seconds": r["seconds"], "accuracy": analogies.accuracy, "spearman": pairs.spearman,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


def one_run(side: str, corpus: str, arch: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", side, "--corpus", corpus, "--arch", arch,
           "--threads", str(args.threads), "--device", args.device, "--epochs", str(args.epochs)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{side} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow", "both"], default="both")
    parser.add_argument("--slice", type=float, default=1.0, help="fraction of the bundled corpus (1.0)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--epochs", type=int, default=HYPER["epochs"])
    parser.add_argument("--device", default="cpu", help="our device (gensim is CPU only)")
    parser.add_argument("--batch-size", dest="batch_size", type=int, help="our batch size (default: TrainConfig's)")
    parser.add_argument("--scale", action="store_true", help="time ours on 1x, 2x, 4x slices (0.25, 0.5, 1.0)")
    parser.add_argument("--no-gensim", action="store_true", help="time ours only (e.g. on a GPU machine)")
    parser.add_argument("--worker", choices=["ours", "gensim"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    archs = ["skipgram", "cbow"] if args.arch == "both" else [args.arch]
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
              f"ours on {args.device}" + (f", batch {args.batch_size}" if args.batch_size else ""))
        rows = []
        for arch in archs:
            ours, theirs = [], []
            for _ in range(args.repeats):
                ours.append(one_run("ours", corpus, arch, args))
                if not args.no_gensim:
                    theirs.append(one_run("gensim", corpus, arch, args))
            rows.append((arch, ours, theirs))
        print("\n| arch | ours words/s | gensim words/s | ratio | ours acc | gensim acc | ours WS353 | gensim WS353 "
              "| ours peak MB | gensim peak MB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for arch, ours, theirs in rows:
            med = lambda runs, k: statistics.median(r[k] for r in runs) if runs else float("nan")  # noqa: E731
            ow, gw = n * args.epochs / med(ours, "seconds"), n * args.epochs / med(theirs, "seconds") if theirs else float("nan")
            print(f"| {arch} | {ow:,.0f} | {gw:,.0f} | {ow / gw:.2f} | {med(ours, 'accuracy'):.2%} | "
                  f"{med(theirs, 'accuracy'):.2%} | {med(ours, 'spearman'):.3f} | {med(theirs, 'spearman'):.3f} | "
                  f"{max(r['peak_mb'] for r in ours):.0f} | "
                  f"{max(r['peak_mb'] for r in theirs) if theirs else float('nan'):.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
