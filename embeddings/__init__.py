"""embeddings: train Word2Vec in PyTorch and explore the vectors (similarity, analogies, plots).

Two halves. Querying (this package's top level: vectors, formats, similarity, reduce, plot,
explore) needs NumPy only: importing it never imports torch or the training half.
Training (embeddings.training: corpus, vocabulary, batches, model, loop) uses torch;
``from embeddings.training.train import train``. Its light names (TrainConfig, tokenize,
iter_sentences, Vocab) are also reachable from here, loaded only when asked for.
"""

from .errors import EmbeddingsError, FormatError, UnknownWordError
from .formats import load_checkpoint, load_vectors, save_vectors
from .similarity import (analogy, cosine, doesnt_match, dot, euclidean, evaluate_analogies,
                         evaluate_word_pairs, most_similar, most_similar_cosmul, most_similar_many)
from .subwords import SubwordVectors
from .vectors import WordVectors

_FROM_TRAINING = {"TrainConfig": "config", "iter_sentences": "corpus", "tokenize": "corpus", "Vocab": "vocab"}


def __getattr__(name: str):
    """The training half's light names, imported on first use (PEP 562), not with the package."""
    if name in _FROM_TRAINING:
        from importlib import import_module
        return getattr(import_module(f".training.{_FROM_TRAINING[name]}", __name__), name)
    raise AttributeError(f"module 'embeddings' has no attribute {name!r}")


__all__ = [
    "TrainConfig", "iter_sentences", "tokenize", "EmbeddingsError", "FormatError", "UnknownWordError",
    "load_checkpoint", "load_vectors", "save_vectors", "analogy", "cosine", "doesnt_match", "dot",
    "euclidean", "evaluate_analogies", "evaluate_word_pairs", "most_similar", "most_similar_cosmul",
    "most_similar_many", "WordVectors", "SubwordVectors", "Vocab",
]
__version__ = "0.1.0"
