"""Time the full Google analogy evaluation: ours (blocked matmuls) against gensim's, same vectors.

    python scripts/bench_similarity.py --model model/vectors.bin [--repeats 3]

Needs gensim (pip install -e '.[bench]'). Both sides run in this process, interleaved; the
table gives the median seconds of each, the ratio, and the accuracy each computed (they agree).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import evaluate_analogies, evaluate_word_pairs, load_vectors  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "model" / "vectors.bin"))
    parser.add_argument("--analogies", default=str(ROOT / "data" / "questions-words.txt"))
    parser.add_argument("--pairs", default=str(ROOT / "data" / "wordsim353.tsv"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from gensim.models import KeyedVectors
    logging.disable(logging.WARNING)

    wv = load_vectors(args.model)
    kv = KeyedVectors.load_word2vec_format(args.model, binary=args.model.endswith(".bin"))
    kv.fill_norms()
    wv.unit  # both sides start with unit vectors cached
    times = {"ours add": [], "ours mul": [], "gensim add": [], "ours pairs": [], "gensim pairs": []}
    acc = {}
    for _ in range(args.repeats):
        t = time.perf_counter()
        acc["ours add"] = evaluate_analogies(wv, args.analogies, "add").accuracy
        times["ours add"].append(time.perf_counter() - t)
        t = time.perf_counter()
        acc["ours mul"] = evaluate_analogies(wv, args.analogies, "mul").accuracy
        times["ours mul"].append(time.perf_counter() - t)
        t = time.perf_counter()
        acc["gensim add"] = kv.evaluate_word_analogies(args.analogies)[0]
        times["gensim add"].append(time.perf_counter() - t)
        t = time.perf_counter()
        acc["ours pairs"] = evaluate_word_pairs(wv, args.pairs).spearman
        times["ours pairs"].append(time.perf_counter() - t)
        t = time.perf_counter()
        acc["gensim pairs"] = kv.evaluate_word_pairs(args.pairs)[1][0]
        times["gensim pairs"].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"vectors: {args.model} ({len(wv)} words x {wv.dim}); median of {args.repeats} runs")
    print(f"{'task':<34} {'seconds':>9} {'score':>8}")
    print(f"{'Google analogies, ours 3CosAdd':<34} {med['ours add']:>9.3f} {acc['ours add']:>8.2%}")
    print(f"{'Google analogies, ours 3CosMul':<34} {med['ours mul']:>9.3f} {acc['ours mul']:>8.2%}")
    print(f"{'Google analogies, gensim 3CosAdd':<34} {med['gensim add']:>9.3f} {acc['gensim add']:>8.2%}")
    print(f"{'WordSim-353, ours':<34} {med['ours pairs']:>9.3f} {acc['ours pairs']:>8.4f}")
    print(f"{'WordSim-353, gensim':<34} {med['gensim pairs']:>9.3f} {acc['gensim pairs']:>8.4f}")
    print(f"speed-up on analogies (3CosAdd): {med['gensim add'] / med['ours add']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
