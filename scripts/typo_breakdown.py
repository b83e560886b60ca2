"""Where typos are found and missed: the misspellings score split by typo kind and by the word's count.

    python scripts/typo_breakdown.py                          # ours and gensim's FastText, skip-gram 3-6
    python scripts/typo_breakdown.py --trainers ours,fasttext --slice 0.1

Each trainer trains on `bench_train.py`'s tokens with its settings (seed 1), then every typo of
data/misspellings.tsv is scored as `embeddings evaluate` scores it (its n-grams' mean against the
vocabulary, cosine), and the hits are split by the kind of typo (a letter dropped, doubled,
replaced, or two swapped), by how often the word meant occurs in the corpus, and the misses by
how often the word that won instead occurs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_train  # noqa: E402  (its runners and tokens: the same trainings as the benchmark)

BANDS = ((100, "20-99"), (1000, "100-999"), (float("inf"), "1000+"))  # the word meant: corpus count


def typo_kind(typo: str, word: str) -> str:
    """Which of make_misspellings.py's four edits turned `word` into `typo`."""
    if len(typo) == len(word) - 1:
        return "dropped"
    if len(typo) == len(word) + 1:
        return "doubled"
    return "swapped" if sum(a != b for a, b in zip(typo, word)) == 2 else "replaced"


def breakdown(wv, counts: Counter) -> dict:
    """Hit rates overall, by kind and by band, and what the misses' winners are like."""
    from embeddings.benchmarks import misspelling_answers
    answers = misspelling_answers(wv, restrict_vocab=len(wv.index_to_word))  # as evaluate scores them, all words
    scored = [(t, w) for t, w, _ in answers]
    best = [b for _, _, b in answers]
    hits = np.array([wv.index_to_word[b] == w for _, w, b in answers])
    kinds, bands = defaultdict(list), defaultdict(list)
    for (typo, word), hit in zip(scored, hits):
        kinds[typo_kind(typo, word)].append(hit)
        bands[next(name for top, name in BANDS if counts[word] < top)].append(hit)
    winners = np.array([counts[wv.index_to_word[b]] for b, hit in zip(best, hits) if not hit])
    return {"typos": hits.mean(), "n": len(hits),
            **{f"{k} ({len(v)})": np.mean(v) for k, v in sorted(kinds.items())},
            **{f"count {name} ({len(bands[name])})": np.mean(bands[name]) for _, name in BANDS if bands[name]},
            "misses won by a word seen < 50 times": np.mean(winners < 50) if len(winners) else 0.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainers", default="ours,gensim", help="comma-separated: ours, gensim, fasttext")
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--subwords", default="3-6")
    parser.add_argument("--slice", type=float, default=1.0, help="fraction of the bundled corpus")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    run = argparse.Namespace(threads=args.threads, batch_size=None, subwords=args.subwords, device="cpu",
                             seed=1, epochs=bench_train.HYPER["epochs"])
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "tokens.txt"
        bench_train.write_tokens(corpus, args.slice)
        counts = Counter(corpus.read_text(encoding="utf-8").split())
        for name in args.trainers.split(","):
            result = bench_train.RUNNERS[name](str(corpus), args.arch, run, {})
            rows[name] = breakdown(result["vectors"], counts)
            print(f"{name}: trained in {result['seconds']:.1f} s", file=sys.stderr)
    columns = list(next(iter(rows.values())))
    print("| trainer | " + " | ".join(c for c in columns if c != "n") + " |")
    print("|---" * len(columns) + "|")
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{100 * row[c]:.1f}%" for c in columns if c != "n") + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
