"""Tokenize a corpus once into a flat on-disk array of word ids, so epochs never re-tokenize.

One pass over the text counts words and writes every token's provisional id (in order of first
appearance) to a temporary int32 file, with SENTENCE_END after each line. The vocabulary is then
built from the counts, and each epoch streams the file back in fixed-size chunks, mapping
provisional ids to vocabulary ids (or dropping them). Memory is bounded by the vocabulary and the
chunk size, never by the corpus.
"""

from __future__ import annotations

import lzma
import zlib
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .corpus import TOKEN_RE, corpus_files, open_text
from ..errors import EmbeddingsError
from .vocab import Vocab

SENTENCE_END = -1  # marks a line break in the id stream
DROPPED = -2       # a word below min_count (removed before windows are drawn, as in word2vec)
_TOKEN_OR_NEWLINE = re.compile(TOKEN_RE.pattern + r"|\n")  # the one tokenizer, plus line breaks
_READ_CHARS = 1 << 18  # 256K characters: the block's token strings peak at ~15 MB (4M: ~70 MB more)


class CorpusError(EmbeddingsError, ValueError):
    """The corpus cannot be trained on (missing, empty, no word frequent enough...)."""


def _check_not_binary(path: Path) -> None:
    """Refuse files whose first bytes (after decompression) hold NUL bytes: not text."""
    try:
        with open_text(path) as f:
            head = f.read(8192)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise CorpusError(f"cannot read corpus file {path}: {e}") from None
    if "\x00" in head:
        raise CorpusError(f"corpus file {path} looks binary (it holds NUL bytes), not text")


class EncodedCorpus:
    """A corpus read once: vocabulary plus a temporary file of token ids."""

    def __init__(self, paths: Iterable[str | os.PathLike] | None = None, min_count: int = 5,
                 max_vocab: int | None = None, tmpdir: str | None = None):
        self.files = corpus_files(paths)
        if not self.files:
            raise CorpusError("no corpus files given (an empty folder?)")
        for f in self.files:
            if not f.exists():
                raise CorpusError(f"corpus file not found: {f}")
        fd, name = tempfile.mkstemp(prefix="embeddings-ids-", suffix=".i32", dir=tmpdir)
        self._path = Path(name)
        with os.fdopen(fd, "wb") as out:
            index = self._scan(out)
        self.n_ids = self._path.stat().st_size // 4
        counts = self._count(len(index))[1:]
        words = list(index)[1:]
        self.raw_tokens = int(counts.sum())
        if self.raw_tokens == 0:
            self.close()
            raise CorpusError(f"corpus has no words: {', '.join(map(str, self.files)) or '(no files)'}")
        self.vocab = Vocab.from_counts(words, counts, min_count, max_vocab)
        if len(self.vocab) == 0:
            self.close()
            raise CorpusError(f"no word occurs at least min_count={min_count} times "
                              f"(the corpus has {self.raw_tokens} tokens, {len(words)} distinct)")
        remap = np.full(len(words) + 1, DROPPED, dtype=np.int32)  # ids fit: torch indexes with int32 too
        remap[[index[w] for w in self.vocab.words]] = np.arange(len(self.vocab))
        remap[0] = SENTENCE_END
        self._remap = remap
        # The vocabulary's strings were made among millions of short-lived token strings, so the
        # 75K that live on would pin most of the memory pages the scan used (~25 MB here). Made
        # again from one joined string, after every other one is gone, they fill a few pages.
        kept, counts = "\n".join(self.vocab.words), self.vocab.counts    # no token holds a line break
        del index, words, self.vocab
        self.vocab = Vocab(tuple(kept.split("\n")), counts)

    def _scan(self, out) -> dict[str, int]:
        """Write every token's provisional id to `out`; return {word: provisional id} ("\\n" is 0)."""
        index: defaultdict[str, int] = defaultdict()
        index.default_factory = index.__len__  # a new word gets the next id
        index["\n"] = 0
        for path in self.files:
            _check_not_binary(path)
            with open_text(path) as f:
                tail = ""
                while True:
                    try:
                        block = f.read(_READ_CHARS)
                    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:  # a damaged .gz/.bz2/.xz
                        raise CorpusError(f"cannot read corpus file {path}: {e}") from None
                    text = tail + block
                    if block:  # keep a partial last token for the next block
                        cut = max(text.rfind("\n"), text.rfind(" "))
                        text, tail = (text[:cut + 1], text[cut + 1:]) if cut >= 0 else ("", text)
                    ids = np.fromiter(map(index.__getitem__, _TOKEN_OR_NEWLINE.findall(text.lower())),
                                      dtype=np.int32)
                    if not block:
                        ids = np.append(ids, 0)  # every file ends a sentence
                    ids.tofile(out)
                    if not block:
                        break
        index.default_factory = None  # the factory is index's own method: a cycle only the GC would free
        return index

    def _read(self, start: int, stop: int) -> np.ndarray:
        """Provisional ids start..stop of the ids file (read, not mapped: mapped pages would stay
        in the process's memory for the whole epoch)."""
        with open(self._path, "rb") as f:
            return np.fromfile(f, dtype=np.int32, count=stop - start, offset=4 * start)

    def _count(self, distinct: int) -> np.ndarray:
        """Occurrences of each provisional id, from the ids file in 1M-id parts (bincount makes an int64 copy)."""
        counts = np.zeros(distinct, dtype=np.int64)
        for start in range(0, self.n_ids, 1 << 20):
            counts += np.bincount(self._read(start, min(self.n_ids, start + (1 << 20))), minlength=distinct)
        return counts

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """Yield int32 arrays of vocabulary ids and SENTENCE_END, cut at sentence ends."""
        start = 0
        while start < self.n_ids:
            stop = min(start + size, self.n_ids)
            ids = self._remap[self._read(start, stop)]
            if stop < self.n_ids:  # end the chunk at its last sentence end, if it has one
                ends = np.flatnonzero(ids == SENTENCE_END)
                if len(ends) and ends[-1] > 0:
                    ids = ids[:ends[-1] + 1]
                    stop = start + ends[-1] + 1
            held = [ids[ids != DROPPED]]
            del ids
            start = stop
            yield held.pop()  # a suspended generator keeps its locals: this one keeps no 2 MB array

    def close(self) -> None:
        path = getattr(self, "_path", None)
        if path is not None:
            path.unlink(missing_ok=True)

    def __enter__(self) -> "EncodedCorpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()
