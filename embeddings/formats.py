"""Vector and checkpoint files: word2vec text and binary, GloVe text, and our .npz checkpoint
(fastText's .bin is fasttext_bin.py's; load_vectors reads it too).

Every writer goes through a temporary file renamed into place, so an interrupted write never leaves
a half-written file that looks whole. Every reader validates what it reads (header against body,
finite values, sane sizes) and raises FormatError naming the file; nothing here unpickles, so
loading a file never runs code from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
import bz2
import gzip
import lzma
from pathlib import Path
from typing import IO, Iterator

import numpy as np

from .errors import FormatError
from .subwords import SubwordVectors
from .vectors import WordVectors

DATA_DIR = Path(__file__).resolve().parent.parent / "data"  # bundled corpus and evaluation sets
OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}  # the one table of compressed-file openers
DEFAULT_MODEL_DIR = "model"  # folder `embeddings train` writes and the query commands read by default
CHECKPOINT_FORMAT = "embeddings-checkpoint"
CHECKPOINT_VERSION = 1
MAX_DIM = 1 << 16  # a header claiming more dimensions than this is not a vectors file


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside path; on success rename it over path, on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private; give it the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _open_read(path: Path) -> IO[bytes]:
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder, not a vectors file")
    return OPENERS.get(path.suffix, open)(path, "rb")


def detect_format(path: str | os.PathLike) -> str:
    """'checkpoint' (.npz), 'binary' (.bin) or 'text' (anything else; GloVe is found by content)."""
    name = Path(path).name.lower()
    for suffix in OPENERS:
        name = name.removesuffix(suffix)
    if name.endswith(".npz"):
        return "checkpoint"
    return "binary" if name.endswith(".bin") else "text"


def find_model(arg: str | os.PathLike | None = None) -> Path:
    """The vectors file a command reads: `arg` (a file, or a folder holding checkpoint.npz,
    fasttext.bin, vectors.bin or vectors.txt), else $EMBEDDINGS_MODEL, else the default folder model/."""
    path = Path(arg or os.environ.get("EMBEDDINGS_MODEL", DEFAULT_MODEL_DIR))
    if path.is_dir():
        for name in ("checkpoint.npz", "fasttext.bin", "vectors.bin", "vectors.txt"):
            if (path / name).is_file():
                return path / name
        raise FormatError(f"{path}: no checkpoint.npz or vectors file inside; train first "
                          f"(embeddings train --output {path})")
    if not path.exists():
        if arg is None:
            raise FormatError(f"no trained model at {path}/; run 'embeddings train' first or pass --model")
        raise FormatError(f"{path}: no such model file")
    return path


# --- word2vec / GloVe ----------------------------------------------------------------------------

def save_vectors(wv: WordVectors, path: str | os.PathLike, format: str | None = None) -> None:
    """Write word2vec text ('text'), word2vec binary ('binary') or GloVe text ('glove')."""
    format = format or detect_format(path)
    path = Path(path)
    if format == "checkpoint":
        raise FormatError(f"{path}: checkpoints are written by training, not from vectors alone")
    if format not in ("text", "binary", "glove"):
        raise FormatError(f"unknown vectors format {format!r} (text, binary or glove)")
    for word in wv.index_to_word:
        if not word or any(c.isspace() for c in word):
            raise FormatError(f"{path}: word {word!r} cannot be written (empty or has whitespace)")
    with atomic_write(path, "wb") as raw:
        f = OPENERS[path.suffix](raw, "wb") if path.suffix in OPENERS else raw
        if format != "glove":
            f.write(f"{len(wv)} {wv.dim}\n".encode())
        vectors = wv.vectors.astype("<f4")
        for word, row in zip(wv.index_to_word, vectors):
            if format == "binary":  # word2vec.c layout: word, space, D little-endian floats, newline
                f.write(word.encode() + b" " + row.tobytes() + b"\n")
            else:
                f.write((word + " " + " ".join(["%.9g" % x for x in row.tolist()]) + "\n").encode())
        if f is not raw:
            f.close()


def load_vectors(path: str | os.PathLike, format: str | None = None) -> WordVectors:
    """Load word2vec text (also fastText's .vec) or binary, GloVe text (no header), a fastText .bin
    model (SubwordVectors: vectors for any word) or a checkpoint's vectors."""
    from . import fasttext_bin

    path = Path(path)
    format = format or detect_format(path)
    if format == "checkpoint":
        return load_checkpoint(path).vectors
    if format in ("binary", "fasttext") and fasttext_bin.is_fasttext_bin(path):
        return fasttext_bin.load_fasttext(path)
    if format == "fasttext":
        raise FormatError(f"{path}: not a fastText .bin model (no fastText magic number)")
    if format == "binary":
        return _load_binary(path)
    if format in ("text", "glove"):
        return _load_text(path, glove=format == "glove")
    raise FormatError(f"unknown vectors format {format!r} (text, binary, glove or checkpoint)")


def _header(path: Path, line: bytes) -> tuple[int, int]:
    parts = line.split()
    try:
        count, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2:
            raise ValueError
    except (ValueError, IndexError):
        raise FormatError(f"{path}: first line should be '<words> <dimensions>', got {line[:60]!r}") from None
    if count < 0 or not 0 < dim <= MAX_DIM:
        raise FormatError(f"{path}: header claims {count} words of {dim} dimensions")
    return count, dim


def _check(path: Path, words: list[str], rows: np.ndarray, claimed: int | None) -> WordVectors:
    if claimed is not None and len(words) != claimed:
        raise FormatError(f"{path}: header says {claimed} words but the file holds {len(words)}")
    if not len(words):
        raise FormatError(f"{path}: holds no vectors")
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        raise FormatError(f"{path}: vector of {words[int(np.argmax(bad))]!r} has NaN or infinite values")
    if len(set(words)) != len(words):
        raise FormatError(f"{path}: a word appears twice")
    return WordVectors(words, rows)


def _decode(path: Path, raw: bytes, where: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: entry {where}: word is not valid UTF-8") from None


def _load_text(path: Path, glove: bool = False) -> WordVectors:
    words: list[str] = []
    rows: list[np.ndarray] = []
    claimed = dim = None
    with _open_read(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            if lineno == 1 and not glove and len(line.split()) == 2:
                claimed, dim = _header(path, line)
                continue
            parts = line.rstrip(b"\r\n").split(b" ")
            if parts and parts[-1] == b"":
                parts.pop()
            if dim is None:
                dim = len(parts) - 1
                if not 0 < dim <= MAX_DIM:
                    raise FormatError(f"{path}: line {lineno} is not '<word> <numbers...>'")
            if len(parts) != dim + 1:
                raise FormatError(f"{path}: line {lineno} has {len(parts) - 1} numbers, expected {dim}")
            try:
                rows.append(np.array(parts[1:], dtype=np.float32))
            except ValueError:
                raise FormatError(f"{path}: line {lineno} holds something that is not a number") from None
            words.append(_decode(path, parts[0], lineno))
            if claimed is not None and len(words) > claimed:
                raise FormatError(f"{path}: header says {claimed} words but the file holds more")
    if dim is None:
        raise FormatError(f"{path}: holds no vectors")
    return _check(path, words, np.array(rows, dtype=np.float32).reshape(len(rows), dim), claimed)


def _load_binary(path: Path) -> WordVectors:
    with _open_read(path) as f:
        claimed, dim = _header(path, f.readline())
        size = dim * 4
        words: list[str] = []
        chunks: list[bytes] = []
        while True:
            word = bytearray()
            while True:
                c = f.read(1)
                if not c or c == b" ":
                    break
                if c != b"\n" or word:  # word2vec.c puts a newline after each vector
                    word += c
                if len(word) > 10_000:
                    raise FormatError(f"{path}: entry {len(words) + 1}: no vector after 10,000 bytes of word")
            if not c and not word:
                break
            data = f.read(size)
            if not c or len(data) < size:
                raise FormatError(f"{path}: truncated: entry {len(words) + 1} of {claimed} is incomplete")
            words.append(_decode(path, bytes(word), len(words) + 1))
            chunks.append(data)
            if len(words) > claimed:
                raise FormatError(f"{path}: header says {claimed} words but the file holds more")
    rows = np.frombuffer(b"".join(chunks), dtype="<f4").reshape(len(words), dim).astype(np.float32)
    return _check(path, words, rows, claimed)


# --- checkpoints ---------------------------------------------------------------------------------

def output_weight_of(config: dict) -> float:
    """The weight w of the output vectors C in a saved training config's vectors, W + w x C (also
    for a config written before `output_weight` was a field, which named them in `vectors`)."""
    if config.get("output_weight") is not None:
        return float(config["output_weight"])
    return 1.0 if config.get("vectors") == "input+output" else 0.0


class Checkpoint:
    """What training saves: vocabulary with counts, config, both embedding matrices, loop state."""

    def __init__(self, words, counts, in_vectors, out_vectors, config: dict, state: dict,
                 rng_state: np.ndarray | None = None):
        self.words, self.counts = list(words), np.asarray(counts, dtype=np.int64)
        self.in_vectors = np.asarray(in_vectors, dtype=np.float32)
        self.out_vectors = np.asarray(out_vectors, dtype=np.float32)
        self.config, self.state = dict(config), dict(state)
        self.rng_state = None if rng_state is None else np.asarray(rng_state, dtype=np.uint8)

    @property
    def buckets(self) -> int:
        """n-gram rows after the words' rows (0 for a word-only model)."""
        return int(self.config.get("buckets", 0)) if int(self.config.get("maxn", 0)) > 0 else 0

    @property
    def vectors(self) -> WordVectors:
        """The vectors training handed back and wrote: the input vectors W, plus the output vectors C
        times the config's output_weight (word-only models' default: W + C / 2); with subwords a
        SubwordVectors (words' and n-grams' rows)."""
        if self.buckets:
            n = len(self.words)
            return SubwordVectors(self.words, self.in_vectors[:n], self.in_vectors[n:], self.config["minn"],
                                  self.config["maxn"], self.counts)
        weight = output_weight_of(self.config)
        vectors = self.in_vectors + np.float32(weight) * self.out_vectors if weight else self.in_vectors
        return WordVectors(self.words, vectors, self.counts)


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def save_checkpoint(ck: Checkpoint, path: str | os.PathLike) -> None:
    arrays = {
        "format": _text_array(CHECKPOINT_FORMAT),
        "version": np.array(CHECKPOINT_VERSION, dtype=np.int64),
        "words": _text_array("\n".join(ck.words)),
        "counts": ck.counts, "in_vectors": ck.in_vectors, "out_vectors": ck.out_vectors,
        "config": _text_array(json.dumps(ck.config)), "state": _text_array(json.dumps(ck.state)),
    }
    if ck.rng_state is not None:
        arrays["rng_state"] = ck.rng_state
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load a checkpoint with allow_pickle=False: a file holding pickled objects is refused."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:1] == b"\x80":                             # pickle protocol 2 and later
        raise FormatError(f"{path}: refused: the file holds pickled data, which could run code")
    if not magic.startswith((b"PK", b"\x93NUMPY")):      # neither a .npz (zip) nor a .npy
        raise FormatError(f"{path}: not a checkpoint (a checkpoint is a .npz NumPy archive written by training)")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise FormatError(f"{path}: not a checkpoint (a bare .npy array)")
            data = {k: z[k] for k in z.files}
    except FormatError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise FormatError(f"{path}: refused: the file holds pickled data, which could run code") from None
        raise FormatError(f"{path}: not a checkpoint ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise FormatError(f"{path}: not a readable checkpoint ({e})") from None
    try:
        fmt = bytes(data["format"]).decode()
        version = int(data["version"])
    except (KeyError, UnicodeDecodeError, TypeError, ValueError):
        raise FormatError(f"{path}: not an embeddings checkpoint") from None
    if fmt != CHECKPOINT_FORMAT:
        raise FormatError(f"{path}: not an embeddings checkpoint")
    if version != CHECKPOINT_VERSION:
        raise FormatError(f"{path}: checkpoint version {version}, this program reads version "
                          f"{CHECKPOINT_VERSION}; retrain or use a matching version of embeddings")
    try:
        words = bytes(data["words"]).decode("utf-8").split("\n")
        ck = Checkpoint(words, data["counts"], data["in_vectors"], data["out_vectors"],
                        json.loads(bytes(data["config"]).decode()), json.loads(bytes(data["state"]).decode()),
                        data.get("rng_state"))
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: damaged checkpoint ({e})") from None
    n = len(ck.words)
    if (ck.counts.shape != (n,) or ck.in_vectors.shape[0] != n + ck.buckets or ck.out_vectors.shape[0] != n
            or ck.out_vectors.shape[1:] != ck.in_vectors.shape[1:]):
        raise FormatError(f"{path}: damaged checkpoint (array sizes disagree)")
    if not np.isfinite(ck.in_vectors).all():
        raise FormatError(f"{path}: damaged checkpoint (vectors hold NaN or infinite values)")
    return ck


# --- TensorFlow Embedding Projector ---------------------------------------------------------------

def _projector_cell(word: str) -> str:
    """The Projector splits rows on tabs and lines on newlines: such characters are escaped."""
    return word.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def projector_vectors_lines(wv: WordVectors, chunk: int = 2048) -> Iterator[str]:
    """vectors.tsv: one row of tab-separated values per word, no header, in chunks of text."""
    for start in range(0, len(wv), chunk):
        rows = wv.vectors[start: start + chunk]
        yield "".join("\t".join(["%.6g" % x for x in row]) + "\n" for row in rows.tolist())


def projector_metadata_lines(wv: WordVectors, chunk: int = 8192) -> Iterator[str]:
    """metadata.tsv: a 'word<TAB>count' header (the Projector wants one with two columns), then a row a word."""
    yield "word\tcount\n"
    counts = wv.counts.tolist() if wv.counts is not None else [""] * len(wv)
    for start in range(0, len(wv), chunk):
        yield "".join(f"{_projector_cell(w)}\t{c}\n" for w, c in
                      zip(wv.index_to_word[start: start + chunk], counts[start: start + chunk]))


def projector_config(wv: WordVectors, name: str = "embeddings") -> dict:
    """projector_config.json: the tensor and its metadata, by paths relative to the config."""
    return {"embeddings": [{"tensorName": name, "tensorShape": [len(wv), wv.dim],
                            "tensorPath": "vectors.tsv", "metadataPath": "metadata.tsv"}]}


def save_projector(wv: WordVectors, folder: str | os.PathLike, name: str = "embeddings") -> dict[str, Path]:
    """Write vectors.tsv, metadata.tsv and projector_config.json for the TensorFlow Embedding
    Projector (projector.tensorflow.org: 'Load' the two TSVs, or serve the folder and point it
    at the config)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FormatError(f"{folder}: exists and is not a folder")
    files = {"vectors": folder / "vectors.tsv", "metadata": folder / "metadata.tsv",
             "config": folder / "projector_config.json"}
    for key, lines in (("vectors", projector_vectors_lines(wv)), ("metadata", projector_metadata_lines(wv))):
        with atomic_write(files[key], "w") as f:
            for text in lines:
                f.write(text)
    with atomic_write(files["config"], "w") as f:
        json.dump(projector_config(wv, name), f, indent=2)
        f.write("\n")
    return files
