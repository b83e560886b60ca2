"""Time overview maps: t-SNE and UMAP of the N most frequent words (default 5,000), median of runs.

    python scripts/bench_reduce.py [--model model] [--words 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.formats import find_model  # noqa: E402
from embeddings.formats import load_vectors  # noqa: E402
from embeddings.reduce import make_reducer  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    wv = load_vectors(find_model(args.model))
    X = wv.unit[:args.words]
    print(f"{args.words} words x {wv.dim} dims, median of {args.repeats} runs")
    t = time.perf_counter()
    make_reducer("umap").fit_transform(X)  # numba compiles UMAP's kernels on a process's first call
    print(f"  umap, first call in this process (with numba compilation): {time.perf_counter() - t:.1f} s")
    for method in ("pca", "tsne", "umap"):
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            make_reducer(method).fit_transform(X)
            times.append(time.perf_counter() - t)
        print(f"  {method:<5} {statistics.median(times):7.1f} s   (runs: {', '.join(f'{x:.1f}' for x in times)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
