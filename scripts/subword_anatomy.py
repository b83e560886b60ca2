"""Where a subword model keeps a word's meaning: its own row, its short or its long n-grams.

    python scripts/subword_anatomy.py                    # train ours, gensim's FastText, fastText (skip-gram, 3-6)
    python scripts/subword_anatomy.py --load ours=run/fasttext.bin --load fasttext=ft.bin

A typo keeps mostly its word's short n-grams (`abddomen` shares `<ab`, `abd`, `dom`, `ome`,
`men`, `en>` with `abdomen`, but one of its four 6-grams), so whether a misspelt word finds its
word depends on how much of the word's vector those carry. For each model this prints, over the
bundled misspellings' correct words: the typo share that finds its word; cos(typo, word);
cos(sum of the n-grams typo and word share, word); cos(sum of the word's n-grams of length n,
word) for each n; and how much the 3-gram rows share one direction (the mean cosine of each row
with the mean of its frequency band, and that mean's cosine with the vocabulary's mean vector).

Trained models use bench_train.py's tokens and settings (dim 100, window 5, negative 5, sample
1e-3, min_count 5, 5 epochs, 2M buckets, 2 threads); --load reads any fastText .bin instead
(ours writes one with `embeddings train --subwords 3-6`). Needs the peers: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from argparse import Namespace
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_train  # noqa: E402  (it puts the repository root on the path too)

BANDS = [(0, 100), (100, 1000), (1000, 5000), (5000, 20000)]  # 3-grams ranked by corpus occurrences


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def anatomy(wv, pairs: list[tuple[str, str]]) -> dict[str, float]:
    """The figures above for one SubwordVectors and (typo, word) pairs."""
    from embeddings.subwords import fnv1a, ngrams

    def rows(grams) -> np.ndarray:
        return wv.ngram_rows[[fnv1a(g.encode("utf-8")) % wv.buckets for g in grams]]

    index = wv.word_to_index
    scored = [(t, w) for t, w in pairs if w in index and wv.composed(t)]
    typos = _unit(np.stack([wv.oov_vector(t) for t, _ in scored]))                  # (Q, D)
    targets = np.array([index[w] for _, w in scored])
    found = (typos @ wv.unit.T).argmax(1) == targets
    out = {"typos found": float(found.mean()),
           "cos(typo, word)": float((typos * wv.unit[targets]).sum(1).mean())}
    shared, by_n = [], {n: [] for n in range(wv.minn, wv.maxn + 1)}
    for t, w in scored:
        word = _unit(wv.vectors[index[w]])
        common = sorted(set(ngrams(t, wv.minn, wv.maxn)) & set(ngrams(w, wv.minn, wv.maxn)))
        if common:
            shared.append(_unit(rows(common).sum(0)) @ word)
        for n in by_n:
            grams = [g for g in ngrams(w, wv.minn, wv.maxn) if len(g) == n]
            if grams:
                by_n[n].append(_unit(rows(grams).sum(0)) @ word)
    out["cos(shared n-grams, word)"] = float(np.mean(shared))
    for n, values in by_n.items():
        out[f"cos({n}-grams, word)"] = float(np.mean(values))
    uses = Counter()                                           # 3-grams by how often the corpus uses them
    for w, c in zip(wv.index_to_word, wv.counts if wv.counts is not None else np.ones(len(wv))):
        for g in set(ngrams(w, 3, 3)):
            uses[g] += int(c)
    ranked = [g for g, _ in uses.most_common()]
    vocab_mean = _unit(wv.vectors.mean(0))
    for lo, hi in BANDS:
        if lo >= len(ranked):                                  # a small corpus has fewer 3-grams
            break
        band = rows(ranked[lo:hi])
        mean = _unit(band.mean(0))
        out[f"3-grams {lo}-{hi}: coherence"] = float((_unit(band) @ mean).mean())
        out[f"3-grams {lo}-{hi}: along vocab mean"] = float(mean @ vocab_mean)
        out[f"3-grams {lo}-{hi}: median length"] = float(np.median(np.linalg.norm(band, axis=1)))
    out["vocab mean's length / median length"] = float(np.linalg.norm(wv.vectors.mean(0))
                                                   / np.median(np.linalg.norm(wv.vectors, axis=1)))
    return out


def trained(name: str, corpus: str, arch: str) -> object:
    """Train one of ours, gensim, fasttext with bench_train.py's settings; its SubwordVectors."""
    args = Namespace(threads=2, subwords="3-6", epochs=bench_train.HYPER["epochs"], device="cpu", seed=1,
                     batch_size=None)
    return bench_train.RUNNERS[name](corpus, arch, args, {})["vectors"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--slice", type=float, default=1.0, help="fraction of the bundled corpus to train on (1.0)")
    parser.add_argument("--trainers", default="ours,gensim,fasttext", help="which to train (default: all three)")
    parser.add_argument("--load", action="append", default=[], metavar="NAME=PATH",
                        help="analyse this fastText .bin instead of training (repeatable)")
    args = parser.parse_args(argv)
    from embeddings.benchmarks import DATA_DIR, MISSPELLINGS, read_misspellings
    from embeddings.fasttext_bin import load_fasttext

    pairs = read_misspellings(DATA_DIR / MISSPELLINGS)
    results = {}
    for item in args.load:
        name, _, path = item.partition("=")
        results[name] = anatomy(load_fasttext(path), pairs)
    if not args.load:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "tokens.txt"
            bench_train.write_tokens(corpus, args.slice)
            for name in filter(None, args.trainers.split(",")):
                print(f"training {name} ...", file=sys.stderr, flush=True)
                results[name] = anatomy(trained(name, str(corpus), args.arch), pairs)
    names = list(results)
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key in dict.fromkeys(k for n in names for k in results[n]):
        print(f"| {key} | " + " | ".join(f"{results[n].get(key, float('nan')):.3f}" for n in names) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
