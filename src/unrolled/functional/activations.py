"""Activations and their derivatives, written from the *outputs* so caches stay small.

    sigmoid(x) = 1 / (1 + e^-x) = 0.5 * tanh(0.5 x) + 0.5     sigmoid' = s (1 - s)
    tanh'(x)   = 1 - tanh(x)^2
    relu'(x)   = [relu(x) > 0]
    softmax(x)_i = e^(x_i - max x) / sum_j e^(x_j - max x)     (shifted: never overflows)

The tanh form of the sigmoid is exact, never overflows and runs as one fused pass when
done in place, which is why the recurrent fast paths use `sigmoid_(x)`.
"""

import numpy as np


def sigmoid(x):
    """Numerically stable logistic function of an array of any shape."""
    return sigmoid_(np.array(x, dtype=np.result_type(x, np.float32), copy=True))


def sigmoid_(x, out=None):
    """In-place sigmoid: out <- 0.5 * tanh(0.5 x) + 0.5 (out: x itself by default). Returns out."""
    out = np.multiply(x, 0.5, out=x if out is None else out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def tanh_(x, out=None):
    """In-place tanh: out <- tanh(x) (out: x itself by default). Returns out."""
    return np.tanh(x, out=x if out is None else out)


def relu_(x, out=None):
    """In-place max(x, 0) (out: x itself by default). Returns out."""
    return np.maximum(x, 0, out=x if out is None else out)


def linear_(x, out=None):
    """Identity (Keras's 'linear'): x, or x copied into out. Returns that."""
    if out is None:
        return x
    np.copyto(out, x)
    return out


def softmax(x, axis=-1):
    """Softmax along `axis`, shifted by the max so large logits never overflow."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """log(softmax(x)) without forming the softmax: x - max - log(sum e^(x - max))."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def dsigmoid(s):
    """Derivative of the sigmoid from its output s: s (1 - s), one fresh array."""
    d = np.subtract(1, s)
    d *= s
    return d


def dtanh(y):
    """Derivative of tanh from its output y."""
    return 1 - y * y


def drelu(y):
    """Derivative of relu from its output y (0 at 0, as PyTorch and Keras)."""
    return (y > 0).astype(y.dtype)


def dlinear(y):
    return np.ones_like(y)


# name -> (in-place forward act_(x, out=None), derivative from the output); the layers
# check the names their users give
ACTIVATIONS = {
    "tanh": (tanh_, dtanh),
    "sigmoid": (sigmoid_, dsigmoid),
    "relu": (relu_, drelu),
    "linear": (linear_, dlinear),
}
