"""Vocabulary: symbols (characters or words) <-> integer ids, ordered by frequency.

The most frequent symbol gets index 0, ties are broken by first appearance, so the same text
always gives the same indices (unlike min-char-rnn's `list(set(data))`, whose order changes
between runs). This is the dictionary of the "Belling the Cat" LSTM example: 112 symbols,
`,` -> 0, `the` -> 1, `.` -> 2, `and` -> 3.

Word level: words and punctuation marks are separate symbols (`"cat."` -> `cat`, `.`); any
run of whitespace separates tokens; a word may contain inner apostrophes or hyphens
(`don't`, `well-known`). Character level: every character is a symbol, newline included.
"""

import difflib
import re
from collections import Counter

import numpy as np

from unrolled.errors import InputError, NotFittedError, boolean, invalid

__all__ = ["Vocabulary"]

# a word (letters/digits, inner ' ’ or - allowed) or any single other non-space character
_WORD_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")
# decode() writes these right after the previous word, with no space before them
_NO_SPACE_BEFORE = frozenset(",.?!;:")


class Vocabulary:
    """Map text to ids and back.

    Args:
        level: "char" or "word".
        lower: lower-case the text before tokenizing.
        unk: None (an unknown symbol is an error) or a symbol such as "<unk>" that unknown
            symbols map to; it gets its own index, the last one.

    Learned by fit: `symbols_` (list, index -> symbol), `index_` (dict, symbol -> index),
    `counts_` (list, the frequency of each symbol in the fitted text; 0 for `unk`).
    """

    def __init__(self, level="char", lower=False, unk=None):
        self.level = level
        self.lower = lower
        self.unk = unk

    def _check_params(self):
        if not isinstance(self.level, str) or self.level not in ("char", "word"):
            raise invalid("level", "'char' or 'word'", self.level)
        boolean(self.lower, "lower")
        if self.unk is not None and not (isinstance(self.unk, str) and self.unk):
            raise invalid("unk", "None or a non-empty string", self.unk)

    def tokenize(self, text):
        """str -> list of symbols (characters or words/punctuation), lower-cased if asked."""
        self._check_params()
        if not isinstance(text, str):
            raise invalid("text", "a string", type(text).__name__)
        if self.lower:
            text = text.lower()
        return list(text) if self.level == "char" else _WORD_TOKEN.findall(text)

    def _tokens(self, text, argument="text"):
        """A string is tokenized; a list/tuple of symbols is taken as already tokenized."""
        if isinstance(text, str):
            return self.tokenize(text)
        if isinstance(text, (list, tuple)) and all(isinstance(t, str) for t in text):
            return [t.lower() for t in text] if self.lower else list(text)
        raise invalid(argument, "a string or a list of string tokens", type(text).__name__)

    def fit(self, text):
        """Learn the symbols of `text` (a string, or a list of tokens); returns self."""
        self._check_params()
        tokens = self._tokens(text)
        if not tokens:
            raise InputError("Argument `text` has no symbols to learn a vocabulary from.")
        counts = Counter(tokens)  # insertion order = first appearance
        # sorted() is stable, so equal counts keep their first-appearance order
        symbols = sorted(counts, key=lambda s: -counts[s])
        if self.unk is not None and self.unk not in counts:
            symbols.append(self.unk)
        self.symbols_ = symbols
        self.counts_ = [counts.get(s, 0) for s in symbols]
        self.index_ = {s: i for i, s in enumerate(symbols)}
        return self

    def _check_is_fitted(self):
        if not hasattr(self, "symbols_"):
            raise NotFittedError(
                "This Vocabulary instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    def __len__(self):
        """V, the number of symbols (unk included)."""
        self._check_is_fitted()
        return len(self.symbols_)

    def __contains__(self, symbol):
        return hasattr(self, "index_") and symbol in self.index_

    def encode(self, text):
        """A string or list of tokens -> ids of shape (T,), dtype int64."""
        self._check_is_fitted()
        tokens = self._tokens(text)
        index = self.index_
        if self.unk is not None:
            unk_id = index[self.unk]
            return np.array([index.get(t, unk_id) for t in tokens], dtype=np.int64)
        unknown = next((t for t in tokens if t not in index), None)
        if unknown is not None:
            close = difflib.get_close_matches(unknown, self.symbols_, n=3)
            hint = f"; closest known: {', '.join(map(repr, close))}" if close else ""
            raise InputError(
                f"Unknown symbol {unknown!r}: not in the vocabulary of {len(index)} symbols"
                f"{hint}. Use Vocabulary(unk='<unk>') to map unknown symbols to one id."
            )
        return np.array([index[t] for t in tokens], dtype=np.int64)

    def decode(self, ids):
        """Ids (T,) -> text: characters joined with "", words with " " (none before , . ? ! ; :)."""
        self._check_is_fitted()
        flat = np.asarray(ids).reshape(-1)
        if flat.size and (flat.dtype.kind not in "iu" or flat.min() < 0 or flat.max() >= len(self)):
            bad = flat[(flat < 0) | (flat >= len(self))] if flat.dtype.kind in "iu" else flat
            raise invalid("ids", f"integer ids in [0, {len(self) - 1}]", bad[0].item())
        symbols = [self.symbols_[i] for i in flat.tolist()]
        if self.level == "char":
            return "".join(symbols)
        pieces = []
        for k, s in enumerate(symbols):
            if k and s not in _NO_SPACE_BEFORE:
                pieces.append(" ")
            pieces.append(s)
        return "".join(pieces)

    def to_state(self):
        """A JSON-able dict: the settings and the symbols in index order."""
        self._check_is_fitted()
        return {
            "class": "Vocabulary",
            "level": self.level,
            "lower": bool(self.lower),
            "unk": self.unk,
            "symbols": list(self.symbols_),
            "counts": list(self.counts_),
        }

    @classmethod
    def from_state(cls, state):
        """Rebuild a fitted Vocabulary from `to_state()`'s dict. A model file's extras come
        through here, so anything else is one InputError naming what is wrong."""
        if not isinstance(state, dict):
            raise invalid("state", "a Vocabulary state dict", type(state).__name__)
        symbols = state.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            raise invalid("state", "a list of 'symbols'", _described(symbols))
        if not all(isinstance(s, str) and s for s in symbols):
            bad = next(s for s in symbols if not (isinstance(s, str) and s))
            raise invalid("state", "symbols that are non-empty strings", _described(bad))
        if len(set(symbols)) != len(symbols):
            raise invalid("state", "distinct symbols", "a list with duplicates")
        counts = state.get("counts", [0] * len(symbols))
        if not (
            isinstance(counts, list)
            and len(counts) == len(symbols)
            and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)
        ):
            raise invalid("state", f"'counts': {len(symbols)} integers >= 0", _described(counts))
        vocab = cls(
            level=state.get("level", "char"), lower=state.get("lower", False), unk=state.get("unk")
        )
        vocab._check_params()
        vocab.symbols_, vocab.counts_ = list(symbols), list(counts)
        vocab.index_ = {s: i for i, s in enumerate(vocab.symbols_)}
        if vocab.unk is not None and vocab.unk not in vocab.index_:
            raise invalid("state", f"symbols that include unk={vocab.unk!r}", "none")
        return vocab

    def __repr__(self):
        size = f", size={len(self.symbols_)}" if hasattr(self, "symbols_") else ""
        return f"Vocabulary(level={self.level!r}, lower={self.lower!r}, unk={self.unk!r}{size})"


def _described(value):
    """A value from a state, short enough for one line: its type, or itself when small."""
    return value if isinstance(value, str | int | float | bool | None) else type(value).__name__
