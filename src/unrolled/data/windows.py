"""Cut a sequence into training examples.

Text (a 1-D array of T symbol ids):
- `lm_windows`: every run of `context` ids -> the id that follows (next-word prediction).
- `sequence_chunks`: non-overlapping chunks and the same chunks shifted by one (char models).
- `char_rnn_batches`: char-rnn's layout for truncated BPTT with state carried across chunks.
Series (T, F):
- `sliding_windows`: `lookback` past rows -> the next `horizon` values of one column.
And `train_val_split`: the last fraction is validation (time order kept, nothing shuffled).

Every output is a fresh C-contiguous array (never a view that aliases the input).
"""

import math

import numpy as np

from unrolled.errors import InputError, invalid, positive_int

__all__ = [
    "char_rnn_batches",
    "lm_windows",
    "sequence_chunks",
    "sliding_windows",
    "train_val_split",
]


def _as_ids(ids):
    """ids -> a 1-D int64 array (a list or an integer array of any int dtype)."""
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise invalid(
            "ids",
            "a 1-D sequence of integer ids",
            f"array of shape {arr.shape} and dtype {arr.dtype}",
        )
    return arr.astype(np.int64, copy=False)


def _too_short(T, needed, what):
    return InputError(f"The sequence has {T} ids but {what} need at least {needed}.")


def lm_windows(ids, context):
    """Next-symbol examples: X[w] = ids[w : w + context], y[w] = ids[w + context].

    Args:
        ids: (T,) int symbol ids.
        context: the number of symbols the model sees (3 in the "Belling the Cat" example).
    Returns:
        X: (W, context) int64, y: (W,) int64, with W = T - context.
    """
    ids = _as_ids(ids)
    context = positive_int(context, "context")
    T = ids.shape[0]
    if context >= T:
        raise _too_short(T, context + 1, f"windows of context={context}")
    X = np.lib.stride_tricks.sliding_window_view(ids[:-1], context).copy()  # (W, context)
    y = ids[context:].copy()  # (W,)
    return X, y


def sequence_chunks(ids, seq_len, step=None):
    """Seq2seq chunks: X[k] = ids[s : s + seq_len], Y[k] = ids[s + 1 : s + seq_len + 1], s = k*step.

    Each target is the input shifted one symbol left, so Y[k, t] is what follows X[k, t].
    Args:
        ids: (T,) int symbol ids.
        seq_len: L, the length of each chunk.
        step: distance between chunk starts; None -> seq_len (non-overlapping chunks).
    Returns:
        X, Y: (K, L) int64 with K = (T - 1 - L) // step + 1; the ids left over at the end
        (fewer than a chunk) are dropped.
    """
    ids = _as_ids(ids)
    L = positive_int(seq_len, "seq_len")
    step = L if step is None else positive_int(step, "step")
    T = ids.shape[0]
    if T < L + 1:
        raise _too_short(T, L + 1, f"chunks of seq_len={L}")
    starts = np.arange(0, T - L, step)  # (K,) every start with a full target chunk
    offsets = starts[:, None] + np.arange(L)  # (K, L)
    return ids[offsets], ids[offsets + 1]


def char_rnn_batches(ids, batch_size, seq_len):
    """char-rnn's batches for truncated BPTT: B parallel streams, cut into chunks of L.

    The ids (minus the last, which is only a target) are split into B contiguous streams of
    S = (T - 1) // B ids each: stream b is ids[b*S : (b+1)*S]. Each stream is cut into
    K = S // L chunks, so row b of chunk k continues row b of chunk k-1, and a stateful model
    can carry its final state from one chunk into the next:
        X[k, b, t] = ids[b*S + k*L + t],    Y[k, b, t] = ids[b*S + k*L + t + 1].
    The last S - K*L ids of each stream are dropped.
    Args:
        ids: (T,) int symbol ids.
        batch_size: B, the number of parallel streams.
        seq_len: L, the number of time steps per chunk (the BPTT truncation length).
    Returns:
        X, Y: (K, B, L) int64.
    """
    ids = _as_ids(ids)
    B = positive_int(batch_size, "batch_size")
    L = positive_int(seq_len, "seq_len")
    T = ids.shape[0]
    S = (T - 1) // B  # ids per stream
    K = S // L  # chunks per stream
    if K < 1:
        raise _too_short(T, B * L + 1, f"batch_size={B} streams of seq_len={L}")
    x = ids[: B * S].reshape(B, S)[:, : K * L]  # (B, K*L) inputs per stream
    y = ids[1 : B * S + 1].reshape(B, S)[:, : K * L]  # (B, K*L) targets, shifted by one
    X = x.reshape(B, K, L).transpose(1, 0, 2)  # (K, B, L)
    Y = y.reshape(B, K, L).transpose(1, 0, 2)  # (K, B, L)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def validation_size(n, val_fraction):
    """How many of n examples train_val_split holds out: ceil(n * val_fraction), rounded first
    so that 0.7 * 10 = 7.000000000000001 counts as 7, not 8."""
    return math.ceil(round(n * val_fraction, 9))


def train_val_split(n, val_fraction):
    """Split n examples in time order: the first ones train, the last `val_fraction` validate.

    Args:
        n: the number of examples.
        val_fraction: in [0, 1); the validation size is ceil(n * val_fraction) (at least one
            example is left to train on).
    Returns:
        (train, val): two `slice` objects, usable on arrays and lists: X[train], X[val].
    """
    n = positive_int(n, "n")
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, (int, float))
        or not (0 <= val_fraction < 1)
    ):
        raise invalid("val_fraction", "a number in [0, 1)", val_fraction)
    n_val = validation_size(n, val_fraction)
    if n_val >= n:
        raise InputError(
            f"val_fraction={val_fraction} of n={n} examples leaves nothing to train on."
        )
    return slice(0, n - n_val), slice(n - n_val, n)


def sliding_windows(series, lookback, horizon=1, target_col=0):
    """Forecasting windows over a series: `lookback` rows in, the next `horizon` values out.

    For window w (0 <= w < W):
        X[w] = series[w : w + lookback]                              (all F columns)
        y[w] = series[w + lookback : w + lookback + horizon, target_col]
    so every target lies strictly after every input of its window (no leakage): y[w, 0] is
    the value at time w + lookback, the first step the window has not seen. The Google course
    model (60-day lookback over 1258 days) gets W = 1198 windows, targets at t = 60 .. 1257.
    Scale with a scaler fitted on the training part only, or the scale itself leaks.
    Args:
        series: (T,) or (T, F) numbers; a 1-D series is treated as one column.
        lookback: the number of past rows each window sees.
        horizon: the number of future steps to predict.
        target_col: the column the targets come from.
    Returns:
        X: (W, lookback, F) float, y: (W, horizon) float, with W = T - lookback - horizon + 1.
        Float input keeps its dtype; anything else becomes float64.
    """
    arr = np.asarray(series)
    if arr.ndim == 1:
        arr = arr[:, None]  # (T, 1)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise invalid(
            "series",
            "a numeric (T,) or (T, F) array",
            f"array of shape {arr.shape} and dtype {arr.dtype}",
        )
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    T, F = arr.shape
    lookback = positive_int(lookback, "lookback")
    horizon = positive_int(horizon, "horizon")
    if (
        isinstance(target_col, bool)
        or not isinstance(target_col, (int, np.integer))
        or not (-F <= target_col < F)
    ):
        raise invalid("target_col", f"a column index in [0, {F - 1}]", target_col)
    W = T - lookback - horizon + 1
    if W < 1:
        raise InputError(
            f"The series has {T} rows but lookback={lookback} and horizon={horizon} need at "
            f"least {lookback + horizon}."
        )
    # sliding_window_view over time puts the window axis last: (W, F, lookback) -> (W, lookback, F)
    X = np.lib.stride_tricks.sliding_window_view(arr[: T - horizon], lookback, axis=0)
    X = np.ascontiguousarray(X.transpose(0, 2, 1))  # (W, lookback, F)
    target = arr[lookback:, target_col]  # (T - lookback,) the values windows can predict
    y = np.lib.stride_tricks.sliding_window_view(target, horizon).copy()  # (W, horizon)
    return X, y
