"""The project's own exceptions: each carries a one-line message fit to show a user."""

from __future__ import annotations


class EmbeddingsError(Exception):
    """Base class: an expected problem the CLI reports as one line and exit status 1."""


class UnknownWordError(EmbeddingsError, KeyError):
    """A word is not in the vocabulary; the message names it and suggests close words."""

    def __init__(self, word: str, suggestions: list[str] | None = None):
        self.word, self.suggestions = word, suggestions or []
        hint = f"; did you mean {', '.join(map(repr, self.suggestions))}?" if self.suggestions else ""
        super().__init__(f"word {word!r} is not in the vocabulary{hint}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class FormatError(EmbeddingsError, ValueError):
    """A vectors or checkpoint file is malformed; the message names the file and the problem."""


class NotCoveredError(EmbeddingsError):
    """An evaluation set has too few items inside the vocabulary to score."""
