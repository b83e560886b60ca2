"""Character n-grams as fastText defines them, and SubwordVectors: vectors for any word (NumPy only).

fastText (Bojanowski et al. 2017, `src/dictionary.cc`) wraps a word in the boundary markers ``<``
and ``>`` and takes every run of minn..maxn characters (characters, not bytes: a UTF-8 sequence is
never split; the lone markers ``<`` and ``>`` are not n-grams). Each n-gram's UTF-8 bytes are
hashed with 32-bit FNV-1a, every byte sign-extended as C's ``int8_t`` would be, and the hash modulo
the bucket count picks one of `buckets` shared rows. A word's vector is the mean of its own row (if
it has one) and the rows of its n-grams, so a word never seen still has a vector: the mean of its
n-grams'. Training (torch) and the queries use this one definition.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import EmbeddingsError, UnknownWordError
from .vectors import WordVectors, _readonly

BOW, EOW = "<", ">"            # fastText's boundary markers
EOS = "</s>"                   # fastText's end-of-line token: it has no n-grams
FNV_OFFSET = 2166136261        # 32-bit FNV-1a offset basis
FNV_PRIME = 16777619           # 32-bit FNV prime
DEFAULT_BUCKETS = 2_000_000    # fastText's and gensim's default number of n-gram rows


def parse_range(text: str) -> tuple[int, int]:
    """'3-6' -> (3, 6); '4' -> (4, 4). Raises EmbeddingsError on anything else."""
    lo, sep, hi = str(text).partition("-")
    try:
        minn, maxn = int(lo), int(hi if sep else lo)
    except ValueError:
        raise EmbeddingsError(f"--subwords takes MIN-MAX character n-gram lengths like 3-6, not {text!r}") from None
    if not 1 <= minn <= maxn:
        raise EmbeddingsError(f"--subwords {text}: need 1 <= MIN <= MAX")
    return minn, maxn


def fnv1a(data: bytes) -> int:
    """fastText's hash: 32-bit FNV-1a over the bytes, each sign-extended from int8 (as its C++)."""
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ (b | 0xFFFFFF00 if b >= 0x80 else b)) * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngrams(word: str, minn: int, maxn: int) -> list[str]:
    """The character n-grams of word, in fastText's order (by start, then length)."""
    if word == EOS:
        return []
    chars = BOW + word + EOW
    out = []
    for i in range(len(chars)):
        for n in range(minn, maxn + 1):
            if i + n > len(chars):
                break
            if n == 1 and (i == 0 or i + n == len(chars)):
                continue                                  # the lone markers are not n-grams
            out.append(chars[i:i + n])
    return out


def ngram_hashes(words: Sequence[str], minn: int, maxn: int) -> tuple[np.ndarray, np.ndarray]:
    """FNV-1a hashes of every word's n-grams at once: (hashes (T,) uint32, offsets (len(words)+1,)).

    Word i's hashes are hashes[offsets[i]:offsets[i+1]], in fastText's order. Vectorised over words
    of equal UTF-8 length (a pretrained model's two million words hash in seconds, not minutes):
    for each start byte, the hash grows one byte at a time and is recorded wherever a character
    ends, the start begins a character, and the n-gram has minn..maxn characters.
    """
    encoded = [(BOW + w + EOW).encode("utf-8") if w != EOS else b"" for w in words]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    parts_word, parts_pos, parts_hash = [], [], []
    for length in np.unique(lengths[lengths > 0]):
        rows = np.flatnonzero(lengths == length)
        raw = np.frombuffer(b"".join(encoded[i] for i in rows), dtype=np.uint8).reshape(len(rows), length)
        signed = raw.view(np.int8).astype(np.int32).view(np.uint32)       # int8 -> uint32, sign-extended
        starts_char = (raw & 0xC0) != 0x80                                 # (W, L) byte begins a character
        ends_char = np.ones((len(rows), length + 1), dtype=bool)           # boundary after byte e-1
        ends_char[:, 1:length] = starts_char[:, 1:]
        for s in range(length):
            h = np.full(len(rows), FNV_OFFSET, dtype=np.uint32)
            n = np.zeros(len(rows), dtype=np.int64)
            for e in range(s + 1, length + 1):
                n += starts_char[:, e - 1]
                h ^= signed[:, e - 1]
                h *= np.uint32(FNV_PRIME)                                  # wraps modulo 2**32
                ok = starts_char[:, s] & ends_char[:, e] & (n >= minn) & (n <= maxn)
                if n.min() > maxn:
                    break
                if minn == 1:
                    ok &= ~((n == 1) & ((s == 0) | (e == length)))
                hit = np.flatnonzero(ok)
                if hit.size:
                    parts_word.append(rows[hit])
                    parts_pos.append(np.full(hit.size, s * (length + 1) + e, dtype=np.int64))
                    parts_hash.append(h[hit].copy())
    if not parts_word:
        return np.zeros(0, np.uint32), np.zeros(len(words) + 1, np.int64)
    word_of, pos, hashes = np.concatenate(parts_word), np.concatenate(parts_pos), np.concatenate(parts_hash)
    order = np.lexsort((pos, word_of))                                    # by word, then start, then end
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bincount(word_of, minlength=len(words)), out=offsets[1:])
    return hashes[order], offsets


def subword_rows(words: Sequence[str], minn: int, maxn: int, buckets: int,
                 first_bucket_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows each word's n-grams use in an input matrix whose bucket rows start at first_bucket_row:
    (rows (T,) int64, offsets (len(words)+1,)); no n-grams at all when buckets is 0."""
    if buckets == 0 or maxn == 0:
        return np.zeros(0, np.int64), np.zeros(len(words) + 1, np.int64)
    hashes, offsets = ngram_hashes(words, minn, maxn)
    return first_bucket_row + (hashes % np.uint32(buckets)).astype(np.int64), offsets


def compose(words: Sequence[str], ngram_rows: np.ndarray, minn: int, maxn: int,
            word_rows: np.ndarray | None = None, block: int = 65536) -> np.ndarray:
    """Each word's vector: the mean of its n-grams' rows (of the (buckets, D) ngram_rows) and, if
    word_rows (len(words), D) is given, its own row: fastText's getWordVector for a whole list."""
    from scipy import sparse

    buckets = ngram_rows.shape[0]
    out = np.zeros((len(words), ngram_rows.shape[1]), dtype=np.float32)
    for start in range(0, len(words), block):                 # bounded memory for millions of words
        part = list(words[start: start + block])
        rows, offsets = subword_rows(part, minn, maxn, buckets, 0)
        counts = np.diff(offsets).astype(np.float32)
        ones = np.ones(len(rows), dtype=np.float32)
        total = sparse.csr_matrix((ones, rows, offsets), shape=(len(part), max(buckets, 1))) @ ngram_rows  # (W, D)
        if word_rows is not None:
            total += word_rows[start: start + len(part)]
            counts += 1
        out[start: start + len(part)] = total / np.maximum(counts, 1)[:, None]
    return out


class SubwordVectors(WordVectors):
    """WordVectors that also hold fastText's n-gram rows, so any word has a vector.

    ``vectors`` are the vocabulary's full vectors (own row and n-grams averaged, as fastText's
    getWordVector), so every query over the vocabulary is the plain matrix product; a word outside
    the vocabulary gets the mean of its n-grams' rows (``oov_vector``), and ``composed(word)`` says
    when that happened. ``word_rows`` (the words' own rows) are kept to write a fastText .bin again.
    """

    def __init__(self, words: Sequence[str], word_rows: np.ndarray, ngram_rows: np.ndarray, minn: int,
                 maxn: int, counts=None, vectors: np.ndarray | None = None, meta: dict | None = None):
        word_rows = np.asarray(word_rows, dtype=np.float32)
        ngram_rows = np.asarray(ngram_rows, dtype=np.float32)
        if word_rows.ndim != 2 or ngram_rows.ndim != 2 or word_rows.shape[1] != ngram_rows.shape[1]:
            raise EmbeddingsError(f"word rows {word_rows.shape} and n-gram rows {ngram_rows.shape} disagree")
        self.minn, self.maxn, self.buckets = int(minn), int(maxn), int(ngram_rows.shape[0])
        self.meta = dict(meta or {})                  # the training settings a .bin records (epoch, ws, ...)
        if vectors is None:
            vectors = compose(words, ngram_rows, self.minn, self.maxn, word_rows)
        super().__init__(words, vectors, counts)
        self.word_rows = _readonly(word_rows)
        self.ngram_rows = _readonly(ngram_rows)

    def __repr__(self) -> str:
        return f"SubwordVectors({len(self)} words, {self.buckets} n-gram buckets, n={self.minn}-{self.maxn}, dim={self.dim})"

    def composed(self, word: str) -> bool:
        """True if word is outside the vocabulary and its vector comes from its n-grams alone."""
        return isinstance(word, str) and word not in self.word_to_index and self.ngram_count(word) > 0

    def ngram_count(self, word: str) -> int:
        return len(ngrams(word, self.minn, self.maxn)) if self.buckets and self.maxn else 0

    def oov_vector(self, word: str) -> np.ndarray:
        """The mean of word's n-gram rows (fastText's vector for a word it never saw)."""
        rows, offsets = subword_rows([word], self.minn, self.maxn, self.buckets, 0)
        if rows.size == 0:  # fastText would answer a zero vector; a clear error serves a user better
            raise UnknownWordError(word, self.suggest(word))
        return _readonly(self.ngram_rows[rows].mean(0).astype(np.float32))

    def __getitem__(self, word: str) -> np.ndarray:
        return self.get_vector(word)

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        if word in self.word_to_index:
            return super().get_vector(word, norm)
        v = self.oov_vector(str(word))
        return v / max(float(np.linalg.norm(v)), 1e-12) if norm else v
