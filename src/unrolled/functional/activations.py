"""Activations and their derivatives, written from the *outputs* so caches stay small.

    sigmoid(x) = 1 / (1 + e^-x) = 0.5 * tanh(0.5 x) + 0.5     sigmoid' = s (1 - s)
    tanh'(x)   = 1 - tanh(x)^2
    relu'(x)   = [relu(x) > 0]
    softmax(x)_i = e^(x_i - max x) / sum_j e^(x_j - max x)     (shifted: never overflows)

The tanh form of the sigmoid is exact, never overflows and runs as one fused pass when
done in place, which is why the recurrent fast paths use `sigmoid_(x)`.
"""

import numpy as np

from unrolled.errors import invalid


def sigmoid(x):
    """Numerically stable logistic function of an array of any shape."""
    return sigmoid_(np.array(x, dtype=np.result_type(x, np.float32), copy=True))


def sigmoid_(x):
    """In-place sigmoid: x <- 0.5 * tanh(0.5 x) + 0.5. Returns x."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def tanh_(x):
    """In-place tanh. Returns x."""
    return np.tanh(x, out=x)


def relu_(x):
    """In-place max(x, 0). Returns x."""
    return np.maximum(x, 0, out=x)


def linear_(x):
    """Identity (Keras's 'linear'). Returns x."""
    return x


def tanh(x):
    return np.tanh(x)


def relu(x):
    return np.maximum(x, 0)


def softmax(x, axis=-1):
    """Softmax along `axis`, shifted by the max so large logits never overflow."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """log(softmax(x)) without forming the softmax: x - max - log(sum e^(x - max))."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def dsigmoid(s):
    """Derivative of the sigmoid from its output s."""
    return s * (1 - s)


def dtanh(y):
    """Derivative of tanh from its output y."""
    return 1 - y * y


def drelu(y):
    """Derivative of relu from its output y (0 at 0, as PyTorch and Keras)."""
    return (y > 0).astype(y.dtype)


def dlinear(y):
    return np.ones_like(y)


# name -> (in-place forward, derivative from the output)
ACTIVATIONS = {
    "tanh": (tanh_, dtanh),
    "sigmoid": (sigmoid_, dsigmoid),
    "relu": (relu_, drelu),
    "linear": (linear_, dlinear),
}


def get(name, argument="activation"):
    """(in-place forward, derivative from output) for `name`; a clear error if unknown."""
    if name is None:
        name = "linear"
    if name not in ACTIVATIONS:
        raise invalid(argument, f"one of {sorted(ACTIVATIONS)}", name)
    return ACTIVATIONS[name]
