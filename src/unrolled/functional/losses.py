"""Losses as pure functions: each returns `(loss, dy_pred)`, the mean loss and its gradient.
With `gradient=False` (evaluation) it returns `(loss, None)` and skips the gradient's work.

Argument order is Keras's, `(y_true, y_pred)`. A loss is computed per *position* (every
index but the last axis: a sample, or a sample and a time step), averaged over the last
axis like Keras, then averaged over the positions. With a boolean `mask` of the positions'
shape ((N,) or (N, T)), only unmasked positions count, so padding never adds to the loss:

    loss = sum_p mask_p * loss_p / sum_p mask_p

    mean squared error      l = mean_k (p - y)^2              dl/dp = 2 (p - y) / K
    mean absolute error     l = mean_k |p - y|                dl/dp = sign(p - y) / K
    softmax cross-entropy   l = -sum_k y_k log softmax(z)_k   dl/dz = softmax(z) sum_k y_k - y
    categorical CE, from probabilities as Keras: q = clip(p / sum p, eps, 1 - eps),
                            l = -sum_k y_k log q_k
    binary CE (probabilities): q = clip(p, eps, 1 - eps),
                            l = -mean_k [y log q + (1 - y) log(1 - q)]
    binary CE (logits)      l = mean_k [max(z, 0) - z y + log(1 + e^-|z|)]
                            dl/dz = (sigmoid(z) - y) / K

Clipping at eps = 1e-7 (Keras's `epsilon()`) keeps log finite; where a probability was
clipped its gradient is 0, exactly the derivative of the clipped formula. The logits forms
never clip: they are exact and stable for any z. Class targets are integer ids of the
positions' shape or one-hot rows of y_pred's shape.
"""

import numpy as np

from unrolled.functional.activations import log_softmax, sigmoid

EPSILON = 1e-7


def mean_squared_error(y_true, y_pred, mask=None, gradient=True):
    """Mean of (y_pred - y_true)^2. y_true, y_pred (..., K) -> loss, dy_pred (..., K)."""
    diff = y_pred - y_true
    if mask is None:
        size = max(diff.size, 1)
        loss = float(np.vdot(diff, diff)) / size
        if not gradient:
            return loss, None
        diff *= 2.0 / size
        return loss, diff
    losses = (diff * diff).mean(axis=-1)
    if not gradient:
        return _masked_mean(losses, None, mask)
    K = diff.shape[-1]
    return _masked_mean(losses, diff * (2.0 / K), mask)


def mean_absolute_error(y_true, y_pred, mask=None, gradient=True):
    """Mean of |y_pred - y_true|. y_true, y_pred (..., K) -> loss, dy_pred (..., K)."""
    diff = y_pred - y_true
    losses = np.abs(diff).mean(axis=-1)
    if not gradient:
        return _masked_mean(losses, None, mask)
    K = diff.shape[-1] if diff.ndim else 1
    return _masked_mean(losses, np.sign(diff) / K, mask)


def softmax_cross_entropy(y_true, logits, mask=None, gradient=True):
    """Cross-entropy of softmax(logits), computed from log_softmax (never overflows).

    y_true: int ids (...) or one-hot (..., V); logits (..., V) -> loss, dlogits (..., V).
    """
    V = logits.shape[-1]
    onehot = y_true.shape == logits.shape
    log_probs = log_softmax(logits)  # (..., V)
    if onehot:
        losses = -(y_true * log_probs).sum(axis=-1)
    else:
        rows, ids = np.arange(y_true.size), y_true.reshape(-1)
        losses = -log_probs.reshape(-1, V)[rows, ids].reshape(y_true.shape)
    if not gradient:
        return _masked_mean(losses, None, mask)
    dlogits = np.exp(log_probs)  # softmax(z)
    if onehot:
        dlogits *= y_true.sum(axis=-1, keepdims=True)
        dlogits -= y_true
    else:
        dlogits.reshape(-1, V)[rows, ids] -= 1  # softmax - onehot
    return _masked_mean(losses, dlogits, mask)


def categorical_cross_entropy(y_true, probs, mask=None, gradient=True):
    """Keras's cross-entropy from probabilities: normalise, clip to [eps, 1 - eps], log.

    y_true: int ids (...) or one-hot (..., V); probs (..., V) -> loss, dprobs (..., V).
    """
    if y_true.shape != probs.shape:
        y_true = _one_hot(y_true, probs.shape[-1], probs.dtype)
    total = probs.sum(axis=-1, keepdims=True)  # 1 for a softmax output
    q = probs / total
    q_clipped = np.clip(q, EPSILON, 1 - EPSILON)
    losses = -(y_true * np.log(q_clipped)).sum(axis=-1)
    if not gradient:
        return _masked_mean(losses, None, mask)
    dq = -y_true / q_clipped
    dq *= q == q_clipped  # clipped entries get no gradient
    # through q = p / sum p: dp_j = (dq_j - sum_k dq_k q_k) / sum p
    dprobs = (dq - (dq * q).sum(axis=-1, keepdims=True)) / total
    return _masked_mean(losses, dprobs, mask)


def binary_cross_entropy(y_true, probs, mask=None, gradient=True):
    """Keras's binary cross-entropy from probabilities, clipped to [eps, 1 - eps].

    y_true, probs (..., K) -> loss, dprobs (..., K).
    """
    q = np.clip(probs, EPSILON, 1 - EPSILON)
    losses = -(y_true * np.log(q) + (1 - y_true) * np.log1p(-q)).mean(axis=-1)
    if not gradient:
        return _masked_mean(losses, None, mask)
    K = probs.shape[-1] if probs.ndim else 1
    dprobs = ((1 - y_true) / (1 - q) - y_true / q) / K
    dprobs *= probs == q  # clipped entries get no gradient
    return _masked_mean(losses, dprobs, mask)


def binary_cross_entropy_with_logits(y_true, logits, mask=None, gradient=True):
    """Binary cross-entropy of sigmoid(logits), stable for any logit.

    y_true, logits (..., K) -> loss, dlogits (..., K).
    """
    elementwise = np.maximum(logits, 0) - logits * y_true + np.log1p(np.exp(-np.abs(logits)))
    losses = elementwise.mean(axis=-1)
    if not gradient:
        return _masked_mean(losses, None, mask)
    K = logits.shape[-1] if logits.ndim else 1
    dlogits = (sigmoid(logits) - y_true) / K
    return _masked_mean(losses, dlogits, mask)


def _masked_mean(losses, dy_pred, mask):
    """Mean of per-position `losses` over all positions, or the unmasked ones only.

    losses (...) per position; dy_pred (..., K) the gradient of their *sum*, or None for the
    loss alone; mask (...) bool. Returns (mean loss as a float, gradient of the mean or None).
    """
    if mask is None:
        count = max(losses.size, 1)
        loss = float(losses.sum()) / count
        return loss, None if dy_pred is None else dy_pred * (1.0 / count)
    weight = mask.astype(losses.dtype if dy_pred is None else dy_pred.dtype)
    count = max(float(weight.sum()), 1.0)  # an all-padding batch has loss 0, gradient 0
    loss = float((losses * weight).sum()) / count
    return loss, None if dy_pred is None else dy_pred * (weight[..., None] / count)


def _one_hot(ids, V, dtype):
    """Integer ids (...) -> one-hot rows (..., V)."""
    onehot = np.zeros(ids.shape + (V,), dtype=dtype)
    onehot.reshape(-1, V)[np.arange(ids.size), ids.reshape(-1)] = 1
    return onehot
