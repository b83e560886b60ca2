"""Write data/misspellings.tsv: one typo of each of 1,000 evaluation words, for OOV queries.

    python scripts/make_misspellings.py

The words are the bundled evaluation sets' (Google analogies and the six word-pair sets), five
letters or longer, and seen at least 20 times in the bundled corpus (so every trainer has a
vector for the correct word). Each gets one typo of the four common kinds (Damerau 1964): a
letter dropped, two neighbouring letters swapped, a letter doubled, or a letter replaced by a
neighbour on a QWERTY keyboard. A typo that is itself a corpus word (any count) is drawn again,
so the list is of words no model trained here has seen. Seeded: the same file every time.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 13
WORDS = 1000
MIN_LENGTH = 5
MIN_COUNT = 20
QWERTY = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def keyboard_neighbours(letter: str) -> str:
    for r, row in enumerate(QWERTY):
        c = row.find(letter)
        if c >= 0:
            near = [row[c - 1] if c > 0 else "", row[c + 1] if c + 1 < len(row) else ""]
            for other in (r - 1, r + 1):
                if 0 <= other < len(QWERTY):
                    near += [QWERTY[other][k] for k in (c - 1, c, c + 1) if 0 <= k < len(QWERTY[other])]
            return "".join(near)
    return ""


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)              # keep the first and last letters, as typos mostly do
    kind = rng.choice(["drop", "swap", "double", "neighbour"])
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    near = keyboard_neighbours(word[i]) or word[i]
    return word[:i] + rng.choice(near) + word[i + 1:]


def main() -> int:
    from embeddings.benchmarks import ANALOGIES, WORD_PAIR_SETS
    from embeddings.formats import DATA_DIR
    from embeddings.similarity import read_analogies, read_word_pairs
    from embeddings.training.corpus import corpus_files, iter_lines, tokenize

    counts: Counter = Counter()
    for path in corpus_files():
        for line in iter_lines(path):
            counts.update(tokenize(line))
    words = {w for _, qs in read_analogies(DATA_DIR / ANALOGIES) for q in qs for w in q}
    for file in WORD_PAIR_SETS.values():
        words |= {w for a, b, _ in read_word_pairs(DATA_DIR / file) for w in (a, b)}
    pool = sorted(w for w in words if len(w) >= MIN_LENGTH and w.isalpha() and counts[w] >= MIN_COUNT)
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(pool, min(WORDS, len(pool))))
    lines = []
    for word in chosen:
        for _ in range(20):
            bad = typo(word, rng)
            if bad != word and counts[bad] == 0:
                lines.append(f"{bad}\t{word}")
                break
    out = DATA_DIR / "misspellings.tsv"
    out.write_text("# one typo per evaluation word (scripts/make_misspellings.py, seed "
                   f"{SEED}): misspelled<TAB>correct\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} typos of {len(pool)} candidate words to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
