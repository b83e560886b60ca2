"""embeddings: train Word2Vec in PyTorch and explore the vectors (similarity, analogies, plots).

Importing this package does not import torch: querying saved vectors needs only NumPy.
Training lives in embeddings.train (``from embeddings.train import train``), which does.
"""

from .config import TrainConfig
from .corpus import iter_sentences, tokenize
from .errors import EmbeddingsError, FormatError, UnknownWordError
from .formats import load_checkpoint, load_vectors, save_vectors
from .similarity import (analogy, cosine, doesnt_match, dot, euclidean, evaluate_analogies,
                         evaluate_word_pairs, most_similar, most_similar_cosmul, most_similar_many)
from .vectors import WordVectors
from .vocab import Vocab

__all__ = [
    "TrainConfig", "iter_sentences", "tokenize", "EmbeddingsError", "FormatError", "UnknownWordError",
    "load_checkpoint", "load_vectors", "save_vectors", "analogy", "cosine", "doesnt_match", "dot",
    "euclidean", "evaluate_analogies", "evaluate_word_pairs", "most_similar", "most_similar_cosmul",
    "most_similar_many", "WordVectors", "Vocab",
]
__version__ = "0.1.0"

