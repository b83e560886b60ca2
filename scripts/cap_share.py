"""How much of a step's lookups the row cap sets aside, with a chunk's sentences in the text's order and shuffled.

    python scripts/cap_share.py                 # skip-gram batches of the bundled corpus, first 6 chunks
    python scripts/cap_share.py --skip 1000     # only the words outside the 1,000 most frequent

A row looked up n > cap times in a step moves by cap / n of its summed gradient (optim.py), so
n - cap of its lookups' worth is set aside. This counts, per step, the distinct words of the
span, the rows over the cap and the share of lookups set aside, over the same chunks and seed,
for both orders (docs/performance.md, "Sentences shuffled").
"""

from __future__ import annotations

import argparse
import sys

import torch


def cap_share(shuffle: bool, chunks: int, skip: int, seed: int) -> dict:
    from embeddings.training import train as T
    from embeddings.training.config import TrainConfig
    config = TrainConfig(arch="skipgram", device="cpu", shuffle=shuffle, seed=seed).validate()
    steps = distinct = over = set_aside = lookups = 0
    with T.prepare(config, None) as encoded:
        config.for_corpus(T.kept_positions(encoded.vocab, config.sample))
        maker = T.batch_maker(config, encoded.vocab, torch.device("cpu"), torch.Generator().manual_seed(seed), "span")
        for i, chunk in enumerate(encoded.chunks(config.chunk_tokens)):
            if i >= chunks:
                break
            for batch in maker.batches(chunk):
                counts = torch.bincount(batch.tokens.long())[skip:]   # ids run from the most frequent word
                counts = counts[counts > 0].double()
                steps, distinct = steps + 1, distinct + len(counts)
                over += int((counts > config.row_cap).sum())
                set_aside += float((counts - config.row_cap).clamp(min=0).sum())
                lookups += float(counts.sum())
    return {"distinct": distinct / steps, "over": over / steps, "set_aside": set_aside / lookups}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=6, help="corpus chunks to count (512K tokens each)")
    parser.add_argument("--skip", type=int, default=0, help="leave out this many most frequent words")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for shuffle in (False, True):
        r = cap_share(shuffle, args.chunks, args.skip, args.seed)
        order = "shuffled" if shuffle else "text order"
        print(f"{order:>10}: {r['distinct']:,.0f} distinct words per step, {r['over']:,.0f} rows over the cap, "
              f"{r['set_aside']:.1%} of their lookups set aside")
    return 0


if __name__ == "__main__":
    sys.exit(main())
