"""Draw the pictures that retell "scaling dot products is all you need" with a trained model.

    python scripts/make_figures.py [--model model] [--out figures] [--overview 3000]

Writes into --out: one_hot_vs_embedding.png, dot_vs_cosine.png, dog_cat_democracy.png,
analogy_arrows.png, matmul_similarity.png, custom_axes.png and (unless --overview 0)
overview_tsne.png and overview_umap.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings import plot  # noqa: E402
from embeddings.formats import find_model  # noqa: E402
from embeddings.formats import load_vectors  # noqa: E402
from embeddings.lessons import matmul, one_hot, similarity_matrix  # noqa: E402

SEED_WORDS = ["dog", "cat", "puppy", "democracy", "election", "king", "queen"]
MATRIX_WORDS = ["dog", "cat", "horse", "cow", "democracy", "election", "senate", "vote",
                "computer", "software", "king", "queen"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="vectors file or folder (default: model/)")
    parser.add_argument("--out", default="figures")
    parser.add_argument("--overview", type=int, default=3000, help="words in the overview maps (0: skip)")
    args = parser.parse_args(argv)
    wv = load_vectors(find_model(args.model))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def done(ax_or_fig, name):
        written.append(plot.save(ax_or_fig, out / name))
        plt.close("all")

    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 5.6), layout="constrained")
    oh = one_hot(SEED_WORDS)
    plot.plot_similarity_matrix(matmul(oh, oh.T), SEED_WORDS, ax=a,
                                title=f"one-hot ({len(SEED_WORDS)} dims): every pair scores 0")
    plot.plot_similarity_matrix(similarity_matrix(wv, SEED_WORDS), SEED_WORDS, ax=b,
                                title=f"embeddings ({wv.dim} dims): cosine similarity")
    done(fig, "one_hot_vs_embedding.png")

    done(plot.plot_dot_vs_cosine(wv, "dog", "cat"), "dot_vs_cosine.png")
    done(plot.plot_groups(wv, {"animals": ["dog", "cat", "puppy", "horse"],
                               "politics": ["democracy", "election", "senate", "vote"]},
                          title="dog and cat close, democracy far (PCA)"), "dog_cat_democracy.png")
    done(plot.plot_analogy(wv, [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("uncle", "aunt")],
                           title="king − man + woman ≈ queen: parallel offsets"), "analogy_arrows.png")
    fig, ax = plt.subplots(figsize=(9, 7.5))
    plot.plot_similarity_matrix(similarity_matrix(wv, MATRIX_WORDS), MATRIX_WORDS, ax=ax,
                                title=f"X @ X.T: ({len(MATRIX_WORDS)}, {wv.dim}) @ ({wv.dim}, {len(MATRIX_WORDS)}) "
                                      f"= {len(MATRIX_WORDS) ** 2} dot products in one matmul")
    done(fig, "matmul_similarity.png")
    done(plot.plot_custom_axes(wv, [], ("man", "woman"), ("poor", "rich"),
                               groups={"royalty": ["king", "queen", "prince", "princess"],
                                       "family": ["father", "mother", "son", "daughter"],
                                       "work": ["servant", "maid", "beggar", "merchant"]}),
         "custom_axes.png")
    if args.overview:
        for method in ("tsne", "umap"):
            t = time.perf_counter()
            ax = plot.plot_overview(wv, args.overview, method, labels=120, skip=100)
            print(f"overview of {args.overview} words with {method}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
            done(ax, f"overview_{method}.png")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
