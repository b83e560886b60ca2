"""Facebook fastText's binary model file (.bin): read it into SubwordVectors and write one back.

The layout is fastText's (`src/fasttext.cc` saveModel, `args.cc`, `dictionary.cc`,
`densematrix.cc`), little-endian, version 12:

    int32 magic 793712314, int32 version 12
    args: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
          lrUpdateRate; float64 t
    dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size (-1: not pruned);
          per entry: UTF-8 word, NUL, int64 count, int8 type (0 word, 1 label)
    bool quantized input; int64 rows (nwords + bucket), int64 dim; rows x dim float32
    bool quantized output; int64 rows, int64 dim; rows x dim float32 (the output vectors)

Only unsupervised, unquantized models hold word vectors: supervised (.bin with labels) and
quantized (.ftz) models are refused with a clear error. Input rows are memory-mapped, not copied:
the vocabulary's vectors are composed from them in blocks of words, and the output rows (another
2.4 GB in a pretrained cc.en.300.bin) are skipped unless asked for.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from .errors import FormatError
from .subwords import SubwordVectors

MAGIC = 793712314
VERSION = 12
LOSS_NS, MODEL_CBOW, MODEL_SKIPGRAM = 2, 1, 2           # fastText's enums: loss_name::ns, model_name::cbow/sg
_ARGS = struct.Struct("<12id")                          # the 12 int32 arguments, then t as a double
_ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn",
              "maxn", "lrUpdateRate", "t")
DEFAULT_ARGS = {"ws": 5, "epoch": 5, "minCount": 5, "neg": 5, "wordNgrams": 1, "loss": LOSS_NS,
                "model": MODEL_SKIPGRAM, "lrUpdateRate": 100, "t": 1e-4}


def is_fasttext_bin(path: str | os.PathLike) -> bool:
    """True if the file starts with fastText's magic number (a word2vec .bin starts with text)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


def save_fasttext(wv: SubwordVectors, path: str | os.PathLike, output_rows: np.ndarray | None = None) -> None:
    """Write wv as a fastText .bin that the `fasttext` package and gensim's load_facebook_model read.

    output_rows: the output ("context") vectors, (len(wv), dim); zeros if not given (the file is
    then good for word vectors, not for further training).
    """
    from .formats import atomic_write

    path = Path(path)
    dim = wv.dim
    for word in wv.index_to_word:
        if not word or "\0" in word or any(c.isspace() for c in word):
            raise FormatError(f"{path}: word {word!r} cannot be written (empty, NUL or whitespace)")
    args = dict(DEFAULT_ARGS, **{k: v for k, v in wv.meta.items() if k in _ARG_NAMES})
    args.update(dim=dim, bucket=wv.buckets, minn=wv.minn, maxn=wv.maxn)
    counts = wv.counts if wv.counts is not None else np.ones(len(wv), dtype=np.int64)
    if output_rows is None:
        output_rows = np.zeros((len(wv), dim), dtype=np.float32)
    output_rows = np.asarray(output_rows, dtype="<f4")
    if output_rows.shape != (len(wv), dim):
        raise FormatError(f"{path}: output rows {output_rows.shape} do not match {len(wv)} words x {dim}")
    with atomic_write(path, "wb") as f:
        f.write(struct.pack("<2i", MAGIC, VERSION))
        f.write(_ARGS.pack(*[int(args[k]) for k in _ARG_NAMES[:-1]], float(args["t"])))
        f.write(struct.pack("<3i2q", len(wv), len(wv), 0, int(counts.sum()), -1))
        entry = struct.Struct("<qb")
        f.write(b"".join(w.encode("utf-8") + b"\0" + entry.pack(int(c), 0)
                         for w, c in zip(wv.index_to_word, counts)))
        f.write(struct.pack("<?2q", False, len(wv) + wv.buckets, dim))
        f.write(np.ascontiguousarray(wv.word_rows, dtype="<f4").tobytes())
        for start in range(0, wv.buckets, 1 << 18):                      # bounded memory
            f.write(np.ascontiguousarray(wv.ngram_rows[start: start + (1 << 18)], dtype="<f4").tobytes())
        f.write(struct.pack("<?2q", False, len(wv), dim))
        f.write(output_rows.tobytes())


class _Reader:
    """Reads the header and dictionary of a .bin, a buffer at a time."""

    def __init__(self, path: Path):
        self.path, self.f = path, open(path, "rb")
        self.buf, self.pos, self.offset = b"", 0, 0        # offset: file position of buf[0]

    def read(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n:
            more = self.f.read(1 << 22)
            if not more:
                raise FormatError(f"{self.path}: the file ends early; it is truncated")
            self.offset += self.pos
            self.buf, self.pos = self.buf[self.pos:] + more, 0
        out = self.buf[self.pos: self.pos + n]
        self.pos += n
        return out

    def word(self) -> bytes:
        while True:
            end = self.buf.find(b"\0", self.pos)
            if end >= 0:
                out, self.pos = self.buf[self.pos: end], end + 1
                return out
            if len(self.buf) - self.pos > 1 << 16:
                raise FormatError(f"{self.path}: a dictionary word is longer than 64 KB; the file is damaged")
            more = self.f.read(1 << 22)
            if not more:
                raise FormatError(f"{self.path}: the file ends inside the dictionary; it is truncated")
            self.offset += self.pos
            self.buf, self.pos = self.buf[self.pos:] + more, 0

    def tell(self) -> int:
        return self.offset + self.pos


def load_fasttext(path: str | os.PathLike, output: bool = False) -> SubwordVectors:
    """Read a fastText .bin into SubwordVectors (output=True also reads the output vectors into
    .meta['output_rows'])."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    if not is_fasttext_bin(path):
        raise FormatError(f"{path}: not a fastText .bin model (no fastText magic number)")
    r = _Reader(path)
    try:
        magic, version = struct.unpack("<2i", r.read(8))
        if magic != MAGIC:
            raise FormatError(f"{path}: not a fastText .bin model (no fastText magic number)")
        if version not in (11, 12):
            raise FormatError(f"{path}: fastText format version {version}; this program reads 11 and 12")
        args = dict(zip(_ARG_NAMES, _ARGS.unpack(r.read(_ARGS.size))))
        size, nwords, nlabels = struct.unpack("<3i", r.read(12))
        (ntokens,) = struct.unpack("<q", r.read(8))
        pruned = struct.unpack("<q", r.read(8))[0] if version == 12 else -1
        if nlabels > 0 or size != nwords:
            raise FormatError(f"{path}: a supervised fastText model (it has {nlabels} labels); "
                              f"only unsupervised models hold word vectors")
        if not 0 < args["dim"] <= 1 << 16 or args["bucket"] < 0 or not 0 <= nwords < 1 << 31:
            raise FormatError(f"{path}: implausible header (dim {args['dim']}, bucket {args['bucket']}); damaged file")
        words, counts = [], np.empty(nwords, dtype=np.int64)
        entry = struct.Struct("<qb")
        for i in range(nwords):
            raw = r.word()
            counts[i], _ = entry.unpack(r.read(9))
            words.append(raw.decode("utf-8", errors="backslashreplace"))
        if pruned > 0:
            raise FormatError(f"{path}: a pruned (quantized) fastText model; export it unquantized")
        if r.read(1) != b"\0":
            raise FormatError(f"{path}: a quantized fastText model (.ftz); only full .bin models are read")
        rows, dim = struct.unpack("<2q", r.read(16))
        start = r.tell()
    finally:
        r.f.close()
    if rows != nwords + args["bucket"] or dim != args["dim"]:
        raise FormatError(f"{path}: input matrix {rows} x {dim}, expected {nwords + args['bucket']} x {args['dim']}")
    end = start + rows * dim * 4
    if os.path.getsize(path) < end:
        raise FormatError(f"{path}: the file ends inside the input vectors; it is truncated")
    matrix = np.memmap(path, dtype="<f4", mode="r", offset=start, shape=(rows, dim))
    meta = {k: args[k] for k in _ARG_NAMES}
    meta["ntokens"] = ntokens
    if output:
        with open(path, "rb") as f:
            f.seek(end)
            quant, orows, odim = struct.unpack("<?2q", f.read(17))
            if quant or orows != nwords or odim != dim:
                raise FormatError(f"{path}: output matrix {orows} x {odim} (quantized: {quant}) unexpected")
            meta["output_rows"] = np.fromfile(f, dtype="<f4", count=orows * odim).reshape(orows, odim)
    if not np.isfinite(matrix[:nwords]).all():
        raise FormatError(f"{path}: the word vectors hold NaN or infinite values")
    return SubwordVectors(words, matrix[:nwords], matrix[nwords:], args["minn"], args["maxn"], counts, meta=meta)
