"""Where quality comes from: ours with one setting changed at a time, against the peers, same run.

    python scripts/ablation.py                      # skip-gram, full bundled corpus, one run each
    python scripts/ablation.py --arch cbow --slice 0.25

Each row is `scripts/bench_train.py --variant` (a fresh process, same tokens, 2 threads); the
first row is the defaults, the last rows are gensim and fastText (word-only). A setting that makes
training diverge shows as "diverged". The factors are the ways this trainer differs from
word2vec's one-pair-at-a-time SGD (shared noise words, batches, the per-row cap) and the
knobs word2vec has too (learning rate and its decay, subsampling, window sampling, what is kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_train  # noqa: E402  (it puts the repository root on the path too)


def factors(arch: str) -> dict[str, str]:
    """Name -> TrainConfig settings changed from the defaults (one factor at a time)."""
    from embeddings.training.config import BATCH_SIZE, TrainConfig
    d = TrainConfig(arch=arch).validate()
    return {
        f"noise words per row, not shared (N=K={d.negative}, group 1)": f"shared_negatives={d.negative},group_size=1",
        "noise group 4x smaller": f"group_size={max(1, d.group_size // 4)}",
        "4x more shared noise words": f"shared_negatives={4 * d.shared_negatives}",
        "row cap 1": "row_cap=1",
        "row cap 2x": f"row_cap={2 * d.row_cap:g}",
        "batch 4x smaller": f"batch_size={BATCH_SIZE // 4}",
        "batch 4x larger": f"batch_size={BATCH_SIZE * 4}",
        "lr x2": f"lr={2 * d.lr:g}",
        "lr x0.5": f"lr={d.lr / 2:g}",
        "lr decays to 0 (word2vec)": "min_lr_ratio=0.0001",
        "lr never decays": "min_lr_ratio=1",
        "subsampling 1e-4 (not 1e-3)": "sample=1e-4",
        ("word2vec's random window" if not d.dynamic_window else "full window, no sampling"):
            f"dynamic_window={str(not d.dynamic_window).lower()}",
        ("sentences in the text's order" if d.shuffle else "sentences shuffled in each chunk"):
            f"shuffle={str(not d.shuffle).lower()}",
        "init 10x wider": f"init={10 * d.init:g}",
        "input + output vectors (W + C)": "output_weight=1",
        ("input vectors only (W)" if d.output_weight else "input + half the output vectors (W + C / 2)"):
            f"output_weight={0 if d.output_weight else 0.5}",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--slice", default="1.0")
    parser.add_argument("--repeats", default="1")
    parser.add_argument("--peers", default="gensim,fasttext")
    args = parser.parse_args(argv)
    variants = [f"{name}:{settings}" for name, settings in factors(args.arch).items()]
    return bench_train.main(["--arch", args.arch, "--slice", args.slice, "--repeats", args.repeats,
                             "--peers", args.peers] + [x for v in variants for x in ("--variant", v)])


if __name__ == "__main__":
    raise SystemExit(main())
