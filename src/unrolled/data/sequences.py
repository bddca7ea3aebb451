"""Keras's two sequence helpers, with its defaults: pad to one length, ids to one-hot rows.

    pad_sequences([[3, 1], [4, 1, 5, 9]])        -> [[0, 0, 3, 1], [4, 1, 5, 9]]   (N, T)
    pad_sequences(seqs, maxlen=3, padding="post", truncating="post")
    to_categorical([2, 0, 1])                    -> [[0, 0, 1], [1, 0, 0], [0, 1, 0]]

`padding` puts the filler before ("pre", Keras's default) or after ("post") each sequence;
`truncating` drops the extra steps from the start ("pre") or the end ("post"). Sequences of
vectors pad to (N, T, D). Pad with 0 and an Embedding(mask_zero=True) or a Masking layer
then skips the filler.
"""

import numpy as np

from unrolled import config
from unrolled.errors import InputError, invalid, positive_int, whole_numbers

SIDES = ("pre", "post")


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """A list of N sequences (ids, or (T_n, D) vectors) -> one array (N, maxlen[, D]).

    maxlen: the length of every row (None: the longest sequence's). Float sequences need a
    float dtype: values that an integer dtype would cut (0.5 -> 0) are refused, not cut.
    """
    if padding not in SIDES:
        raise invalid("padding", "'pre' or 'post'", padding)
    if truncating not in SIDES:
        raise invalid("truncating", "'pre' or 'post'", truncating)
    dtype = _dtype(dtype)
    if isinstance(sequences, str | bytes) or not hasattr(sequences, "__len__"):
        raise invalid("sequences", "a list of sequences", sequences)
    rows = [_sequence(s, n) for n, s in enumerate(sequences)]
    steps = {r.shape[1:] for r in rows if len(r)}  # () for ids, (D,) for vectors
    if len(steps) > 1:
        raise InputError(f"pad_sequences needs steps of one shape, got {sorted(steps)}")
    if dtype.kind in "iu":
        _check_fits(rows, value, dtype)
    if maxlen is None:
        maxlen = max((len(r) for r in rows), default=0)
    else:
        maxlen = positive_int(maxlen, "maxlen")
    try:
        out = np.full((len(rows), maxlen, *(steps.pop() if steps else ())), value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise invalid("value", f"a number that fits dtype {dtype.name}", value) from None
    for n, r in enumerate(rows):
        r = r[len(r) - maxlen :] if truncating == "pre" and len(r) > maxlen else r[:maxlen]
        if len(r) == 0:
            continue  # all filler
        if padding == "pre":
            out[n, maxlen - len(r) :] = r
        else:
            out[n, : len(r)] = r
    return out


def _check_fits(rows, value, dtype):
    """One line unless every value and the filler are whole numbers within the int dtype."""
    info = np.iinfo(dtype)

    def fits(a):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf" or not a.size:
            return a.dtype.kind in "biuf"
        return whole_numbers(a) and info.min <= a.min() and a.max() <= info.max

    if not all(fits(r) for r in rows):
        expected = (
            f"whole numbers that fit {dtype.name} (pass a wider int dtype, or "
            "dtype='float32' for float values)"
        )
        raise invalid("dtype", expected, dtype.name)
    if not fits(value):
        raise invalid("value", f"a whole number within {dtype.name}", value)


def _dtype(dtype):
    try:
        return np.dtype(dtype)
    except TypeError:
        raise invalid("dtype", "a NumPy dtype name such as 'int32' or 'float32'", dtype) from None


def _sequence(s, n):
    """Sequence n as an array of its steps, or one line saying what is wrong with it."""
    try:
        r = np.asarray(s)
    except ValueError:  # NumPy refuses ragged nesting
        raise InputError(f"pad_sequences: sequence {n} has steps of different lengths") from None
    if r.ndim == 0:
        raise invalid("sequences", "a list of sequences", f"{r.item()!r} at position {n}")
    if r.dtype.kind not in "biuf" and len(r):
        raise invalid("sequences", "numbers", f"an array of {r.dtype} at position {n}")
    return r


def to_categorical(y, num_classes=None):
    """Class ids y (...) -> one-hot rows (..., num_classes) in `floatx()` (a trailing axis of
    size 1 is read as the ids' own, as Keras does). num_classes: None for max(y) + 1."""
    ids = np.asarray(y)
    if not whole_numbers(ids) or (
        ids.dtype.kind == "f" and ids.size and np.abs(ids).max() >= 2**53
    ):
        raise invalid("y", "integer class ids", f"an array of {ids.dtype}")
    ids = ids.astype(np.int64)
    if ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids[..., 0]
    if num_classes is None:
        num_classes = int(ids.max()) + 1 if ids.size else 0
    else:
        num_classes = positive_int(num_classes, "num_classes")
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise InputError(
            f"to_categorical got class ids from {ids.min()} to {ids.max()}, outside "
            f"[0, {num_classes}) for num_classes={num_classes}"
        )
    onehot = np.zeros((ids.size, num_classes), dtype=config.floatx())
    onehot[np.arange(ids.size), ids.reshape(-1)] = 1
    return onehot.reshape(*ids.shape, num_classes)
