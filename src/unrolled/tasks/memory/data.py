"""The two sequence tasks of `unrolled memory`, as arrays (the module docstring of task.py
explains them). Each call draws fresh sequences from `rng`, so a seeded generator gives the
same data every time."""

import numpy as np


def recall_data(n, T, K, rng, dtype=np.float32):
    """x (n, T, K + 1): one-hot symbols plus the flag channel; y (n,) the first symbol's id."""
    ids = rng.integers(0, K, (n, T))  # ids[:, 0] is the answer, the rest are distractors
    x = np.zeros((n, T, K + 1), dtype=dtype)
    np.put_along_axis(x[:, :, :K], ids[:, :, None], 1.0, axis=-1)
    x[:, 0, K] = 1.0  # "remember this"
    return x, ids[:, 0]


def adding_data(n, T, rng, dtype=np.float32):
    """x (n, T, 2): values U(0, 1) and the marker; y (n, 1) the sum of the two marked values."""
    values = rng.random((n, T))
    half = max(1, T // 2)
    first = rng.integers(0, half, n)  # one marker in each half
    second = rng.integers(half, T, n) if T > 1 else first
    marker = np.zeros((n, T))
    marker[np.arange(n), first] = 1.0
    marker[np.arange(n), second] = 1.0
    y = (values * marker).sum(axis=1, keepdims=True)
    return np.stack([values, marker], axis=-1).astype(dtype), y.astype(dtype)
