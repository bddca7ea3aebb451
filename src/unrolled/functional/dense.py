"""Fully connected map on the last axis: y = x @ W + b.

x (..., D) works for a batch (N, D) and for every time step at once (N, T, D): the leading
axes are flattened into one GEMM. The activation lives in the layer, not here. For 2-D
operands the GEMMs are `np.dot`: the same BLAS call as `@`, with about half its overhead on
the small matrices of a small model.
"""

from typing import NamedTuple

import numpy as np


class DenseCache(NamedTuple):
    x: np.ndarray  # (..., D) the input
    W: np.ndarray  # (D, M)
    has_bias: bool


def dense_forward(x, W, b):
    """y = x @ W + b on the last axis.

    x (..., D), W (D, M), b (M,) or None -> y (..., M), cache.
    """
    y = np.dot(x, W) if x.ndim == 2 else x @ W
    if b is not None:
        y += b
    return y, DenseCache(x, W, b is not None)


def dense_backward(dy, cache, input_gradient=True, out=(None, None)):
    """Gradients of y = x @ W + b.

    dy (..., M) -> dx (..., D) (None when input_gradient is False), dW (D, M), db (M,) or
    None (no bias). out: (dW, db) arrays to write them into (a layer's grads), or None each
    for fresh ones.
    """
    x, W, has_bias = cache
    D, M = W.shape
    dy2 = dy.reshape(-1, M)  # (N*T, M): every position is one more row of the GEMM
    dx = None
    if input_gradient:
        dx = np.dot(dy, W.T) if dy.ndim == 2 else dy @ W.T
    dW = np.dot(x.reshape(-1, D).T, dy2, out=out[0])  # (D, N*T) @ (N*T, M)
    db = dy2.sum(axis=0, out=out[1]) if has_bias else None
    return dx, dW, db
