"""Read text corpora as a stream of tokenized sentences, with the one tokenizer used everywhere.

Tokenizer: lowercase, then every maximal run of Unicode letters and digits is a token
(the regex ``[^\\W_]+``): "Don't stop-words 2x!" -> ["don", "t", "stop", "words", "2x"].
A line of the file is a sentence: training windows never cross a line break.

Undecodable bytes: files are read as UTF-8 with ``errors="replace"``; a bad byte becomes
U+FFFD, which is not a letter, so it splits tokens and never becomes part of one.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..formats import DATA_DIR, OPENERS

TOKEN_RE = re.compile(r"[^\W_]+")
BUNDLED_CORPUS = DATA_DIR / "corpus"
TEXT_SUFFIXES = (".txt", ".gz", ".bz2", ".xz", ".text", ".tok")
MAX_LINE_CHARS = 1 << 20  # a "line" longer than this is cut at a space, so memory stays bounded


def tokenize(text: str) -> list[str]:
    """Split text into lowercase word tokens (runs of letters and digits)."""
    return TOKEN_RE.findall(text.lower())


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Open a plain, .gz, .bz2 or .xz file as UTF-8 text, replacing undecodable bytes."""
    path = str(path)
    return OPENERS.get(Path(path).suffix, open)(path, "rt", encoding="utf-8", errors="replace")


def corpus_files(paths: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """Expand files and folders (recursively, sorted) into the list of files to read."""
    if paths is None:
        paths = [BUNDLED_CORPUS]
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        else:
            files.append(p)
    return files


def iter_lines(path: str | os.PathLike) -> Iterator[str]:
    """Yield the lines of one file, cutting over-long lines at a space to bound memory."""
    with open_text(path) as f:
        while True:
            line = f.readline(MAX_LINE_CHARS)
            if not line:
                return
            while not line.endswith("\n") and len(line) >= MAX_LINE_CHARS:
                cut = line.rfind(" ")
                if cut <= 0:  # no space at all: keep going until there is one
                    more = f.readline(MAX_LINE_CHARS)
                    if not more:
                        break
                    line += more
                    continue
                yield line[:cut]
                line = line[cut + 1:] + f.readline(MAX_LINE_CHARS)
            yield line


def iter_sentences(paths: Iterable[str | os.PathLike] | None = None) -> Iterator[list[str]]:
    """Yield each non-empty line of every file as a list of tokens."""
    for path in corpus_files(paths):
        for line in iter_lines(path):
            tokens = tokenize(line)
            if tokens:
                yield tokens
