"""Where training's memory goes: peak RSS of each phase of one run on the bundled corpus (Linux).

    python scripts/bench_memory.py                  # skip-gram, defaults
    python scripts/bench_memory.py --arch cbow

Each phase starts by resetting the kernel's peak-RSS mark (/proc/self/clear_refs), so its line is
the highest the process reached during that phase: imports, reading the corpus into ids and a
vocabulary, building the model, the training loop, handing the vectors back.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--epochs", type=int, default=1, help="epochs (1: the loop's peak is reached in the first)")
    parser.add_argument("corpus", nargs="*", help="default: the bundled corpus")
    args = parser.parse_args(argv)
    rows = []

    def phase(name, fn):
        reset_peak()
        t = time.perf_counter()
        out = fn()
        rows.append((name, rss_mb("VmHWM"), rss_mb("VmRSS"), time.perf_counter() - t))
        return out

    def imports():
        import torch  # noqa: F401
        from embeddings.training import train  # noqa: F401
    phase("import torch + embeddings.training", imports)
    import torch
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import LoopState, build, prepare, run_loop, trained_vectors
    torch.set_num_threads(2)
    config = TrainConfig(arch=args.arch, epochs=args.epochs, device="cpu").validate()
    encoded = phase("read corpus: ids file + vocabulary", lambda: prepare(config, args.corpus or None))
    parts = phase("build model + optimizer", lambda: build(config, encoded.vocab, torch.device("cpu")))
    state = LoopState(config, total_words=config.epochs * encoded.vocab.total_words, model=parts.model,
                      words=tuple(encoded.vocab.words))
    phase(f"training loop ({args.epochs} epoch)", lambda: run_loop(state, encoded, parts))
    phase("vectors handed back", lambda: trained_vectors(parts.model, config, encoded.vocab.words, final=True))
    print(f"{args.arch}, {len(encoded.vocab):,} words x {config.dim} dims; chunk {config.chunk_tokens:,} tokens, "
          f"batch {config.centres_per_batch():,} positions")
    print(f"| phase | peak RSS MB | RSS after MB | seconds |\n|---|---|---|---|")
    for name, peak, now, sec in rows:
        print(f"| {name} | {peak:.0f} | {now:.0f} | {sec:.1f} |")
    encoded.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
