"""A/B speed of one training step: this tree's model and optimizer against another revision's, in one process.

    python scripts/bench_ab.py HEAD~1                       # skip-gram, words only
    python scripts/bench_ab.py HEAD~1 --subwords 3-6 --arch cbow --steps 300
    python scripts/bench_ab.py HEAD~1 --subwords 3-6 --apart 4    # each model in processes of its own

On a shared machine two runs of the same code differ by 10-25% (other tenants, memory bandwidth),
so timing A and B in separate processes cannot see a 10% change. Here both models train on the
same batches, one step each in turn (the order alternating), so both see the same noise; the
ratio of their summed step times is the comparison. Both start from the same seed, so matching
weight norms at the end say the change kept the arithmetic (to rounding). The other revision is
exported with `git archive` into a temporary folder and imported as a second package; it needs
the same `build_model` and `RowCappedSGD` signatures as this tree (settings it predates, such as
n-gram dropout, it trains without, so such an A/B times the setting too).

Taken in turn, the two models share the cache: each step finds it full of the other model's rows.
A change whose gain is that a step's rows stay cached for the next step (a smaller, denser matrix)
reads as no gain that way; `--apart R` measures it: R rounds of one process per arm (A, B, A, B
...), each timing its own model alone over the same batches, and the median of the rounds'
ratios is the comparison.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def import_revision(rev: str, into: Path):
    """This repository's `embeddings` package at `rev`, imported under the name `embeddings_b`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "embeddings"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "embeddings").rename(into / "embeddings_b")
    sys.path.insert(0, str(into))
    return (importlib.import_module("embeddings_b.training.model"),
            importlib.import_module("embeddings_b.training.optim"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help="the other revision (B), e.g. HEAD~1 or a commit")
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--subwords", default=None, metavar="MIN-MAX", help="character n-grams, e.g. 3-6")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per model (after 10 untimed)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--apart", type=int, default=0, metavar="R",
                        help="R rounds of one process per arm instead of steps in turn (see above)")
    parser.add_argument("--only", choices=["A", "B"], help=argparse.SUPPRESS)  # one arm (a process of --apart)
    args = parser.parse_args(argv)
    if args.apart:
        return apart(args)
    torch.set_num_threads(args.threads)

    from embeddings.subwords import parse_range, subword_rows
    from embeddings.training import model as model_a, optim as optim_a
    from embeddings.training import train as T
    from embeddings.training.config import TrainConfig
    minn, maxn = parse_range(args.subwords) if args.subwords else (0, 0)
    config = TrainConfig(arch=args.arch, minn=minn, maxn=maxn, device="cpu").validate()
    T.reuse_freed_memory()
    with tempfile.TemporaryDirectory() as tmp, T.prepare(config, None) as encoded:
        model_b, optim_b = import_revision(args.rev, Path(tmp))
        vocab = encoded.vocab
        config.for_corpus(T.kept_positions(vocab, config.sample))
        sub = subword_rows(vocab.words, minn, maxn, config.buckets, len(vocab)) if config.subwords else None
        buckets = config.buckets if config.subwords else 0

        def build(model_module, optim_module):
            torch.manual_seed(config.seed)
            known = inspect.signature(model_module.build_model).parameters  # a revision from before a setting lacks it
            extra = {k: getattr(config, k) for k in ("ngram_dropout", "lone_ngram_rate", "steady_ngrams") if k in known}
            m = model_module.build_model(args.arch, len(vocab), config.dim, config.window, config.negative,
                                         config.init, sub, buckets, **extra)
            steady = {"steady": m.steady_rows} if hasattr(m, "steady_rows") else {}
            return m, optim_module.RowCappedSGD(m.parameters(), lr=config.lr, cap=config.row_cap,
                                                lookups=m.lookup_weights, **steady)

        modules = {"A (this tree)": (model_a, optim_a), f"B ({args.rev})": (model_b, optim_b)}
        arms = {name: build(*pair) for name, pair in modules.items()   # --only: one arm alone in this process
                if args.only is None or name.startswith(args.only)}
        generator = torch.Generator().manual_seed(config.seed)
        maker = T.batch_maker(config, vocab, torch.device("cpu"), generator, next(iter(arms.values()))[0].noise_rows)
        batches = []
        for chunk in encoded.chunks(config.chunk_tokens):    # one epoch at most: enough for any useful --steps
            batches += list(maker.batches(chunk))
            if len(batches) >= args.steps + 10:
                break
        batches = batches[: args.steps + 10]
        if len(batches) <= 10:
            parser.error(f"the corpus gives only {len(batches)} batches; ask for fewer --steps")
        seconds = dict.fromkeys(arms, 0.0)
        # a revision from before n-gram dropout takes no seed (asked once, outside the timed steps)
        seeded = {name: "seed" in inspect.signature(model.forward).parameters for name, (model, _) in arms.items()}
        for i, batch in enumerate(batches):
            for name in (arms if i % 2 else reversed(arms)):
                model, optimizer = arms[name]
                kwargs = batch.as_kwargs()
                if not seeded[name]:
                    kwargs.pop("seed", None)
                start = time.perf_counter()
                loss = model(**kwargs)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if i >= 10:
                    seconds[name] += time.perf_counter() - start
    words = sum(b.words for b in batches[10:])
    if args.only:
        print(f"seconds {next(iter(seconds.values())):.6f}")
        return 0
    for name, (model, _) in arms.items():
        print(f"{name:>24}: {words / seconds[name]:>11,.0f} words/s   |W_in| {float(model.in_embed.weight.detach().norm()):.6g}"
              f"   |W_out| {float(model.out_embed.weight.detach().norm()):.6g}")
    a, b = seconds.values()
    print(f"A is {b / a:.3f}x B's speed over {len(batches) - 10} alternating steps ({args.arch}"
          f"{', subwords ' + args.subwords if args.subwords else ''})")
    return 0


def apart(args) -> int:
    """--apart: each arm in processes of its own, in turn; the median ratio of their step times."""
    import statistics
    rest = [args.rev, "--arch", args.arch, "--steps", str(args.steps), "--threads", str(args.threads),
            *(["--subwords", args.subwords] if args.subwords else [])]
    times = {"A": [], "B": []}
    for r in range(args.apart):
        for arm in ("A", "B") if r % 2 == 0 else ("B", "A"):
            out = subprocess.run([sys.executable, __file__, *rest, "--only", arm], check=True,
                                 capture_output=True, text=True).stdout
            times[arm].append(float(out.split("seconds")[-1]))
        print(f"round {r + 1}: A {times['A'][-1]:.2f} s, B {times['B'][-1]:.2f} s", flush=True)
    ratios = [b / a for a, b in zip(times["A"], times["B"])]
    print(f"A is {statistics.median(ratios):.3f}x B's speed (median of {len(ratios)} rounds of a process each: "
          + ", ".join(f"{x:.3f}" for x in ratios) + f"; {args.arch}{', subwords ' + args.subwords if args.subwords else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
