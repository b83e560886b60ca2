"""A/B speed of two training settings (TrainConfig fields) in one process, steps taken in turn.

    python scripts/bench_settings.py --subwords 3-6 --a group_size=32,ns_exponent=0.5 --b ''
    python scripts/bench_settings.py --arch cbow --a group_size=128 --b group_size=64 --chunks 4

Like bench_ab.py (which compares two revisions of the code on the same batches), but the two
arms may draw different batches (another noise group size, noise exponent, window ...), so each
has its own batch maker over the same corpus chunks, and the time of making its batches counts.
Both arms train in one process, one batch each in turn (the order alternating), so both see this
shared machine's noise; the ratio of their words/s is the comparison.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch


def parse_settings(text: str) -> dict:
    """'group_size=32,ns_exponent=0.5' -> {'group_size': 32, 'ns_exponent': 0.5}."""
    out = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=", 1)
        try:
            out[key] = int(value)
        except ValueError:
            out[key] = float(value)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--subwords", default=None, metavar="MIN-MAX", help="character n-grams, e.g. 3-6")
    parser.add_argument("--a", default="", help="arm A's settings, KEY=VALUE,... (empty: the defaults)")
    parser.add_argument("--b", default="", help="arm B's settings")
    parser.add_argument("--chunks", type=int, default=6, help="corpus chunks to train on (512K tokens each)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from embeddings.subwords import parse_range, subword_rows
    from embeddings.training import train as T
    from embeddings.training.config import TrainConfig
    from embeddings.training.model import build_model
    from embeddings.training.optim import RowCappedSGD
    minn, maxn = parse_range(args.subwords) if args.subwords else (0, 0)
    base = TrainConfig(arch=args.arch, minn=minn, maxn=maxn, device="cpu").validate()
    T.reuse_freed_memory()
    with T.prepare(base, None) as encoded:
        vocab = encoded.vocab
        sub = subword_rows(vocab.words, minn, maxn, base.buckets, len(vocab)) if base.subwords else None
        arms = {}
        for name, text in (("A", args.a), ("B", args.b)):
            c = TrainConfig(arch=args.arch, minn=minn, maxn=maxn, device="cpu", **parse_settings(text)).validate()
            c.for_corpus(T.kept_positions(vocab, c.sample))
            torch.manual_seed(c.seed)
            model = build_model(c.arch, len(vocab), c.dim, c.window, c.negative, c.init, sub,
                                c.buckets if c.subwords else 0, c.row_cap, c.ngram_dropout,
                                c.lone_ngram_rate, c.steady_ngrams)
            optimizer = RowCappedSGD(model.parameters(), lr=c.lr, cap=c.row_cap, lookups=model.lookup_weights,
                                     steady=model.steady_rows)
            maker = T.batch_maker(c, vocab, torch.device("cpu"), torch.Generator().manual_seed(c.seed),
                                  model.noise_rows)
            arms[f"{name} ({text or 'defaults'})"] = (model, optimizer, maker)
        seconds, words = dict.fromkeys(arms, 0.0), dict.fromkeys(arms, 0.0)
        for i, chunk in enumerate(encoded.chunks(base.chunk_tokens)):
            if i >= args.chunks:
                break
            streams = {name: iter(arms[name][2].batches(chunk)) for name in arms}
            step = 0
            while streams:
                for name in (list(arms) if step % 2 else list(reversed(arms))):
                    if name not in streams:
                        continue
                    model, optimizer, _ = arms[name]
                    start = time.perf_counter()
                    batch = next(streams[name], None)
                    if batch is None:
                        del streams[name]
                        continue
                    loss = model(**batch.as_kwargs())
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    seconds[name] += time.perf_counter() - start
                    words[name] += batch.words
                step += 1
    rates = {name: words[name] / seconds[name] for name in arms}
    for name, rate in rates.items():
        print(f"{name:>40}: {rate:>11,.0f} words/s (batches made and stepped)")
    a, b = rates.values()
    print(f"B is {b / a:.3f}x A's speed over {args.chunks} chunks ({args.arch}"
          f"{', subwords ' + args.subwords if args.subwords else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
