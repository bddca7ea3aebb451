"""Metrics for `compile(metrics=[...])`, reported in History under the name they were given.

Each metric scores every *position* (a sample, or a sample and a time step) and a batch
returns `(total, count)`, so an epoch's value is the exact mean over all its positions (and,
with a mask, over the unmasked ones only), whatever the batch sizes.

"accuracy" (or "acc") resolves as Keras does, from the shapes: one output unit -> binary
accuracy (threshold 0.5), integer targets -> sparse categorical, one-hot targets ->
categorical (argmax of the prediction equals argmax of the target).
"""

import numpy as np

from unrolled.errors import invalid


def mean_absolute_error(y_true, y_pred):
    return np.abs(y_pred - y_true).mean(axis=-1)


def mean_squared_error(y_true, y_pred):
    diff = y_pred - y_true
    return (diff * diff).mean(axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    return ((y_pred > threshold) == (y_true > 0.5)).mean(axis=-1)


def categorical_accuracy(y_true, y_pred):
    return y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)


def sparse_categorical_accuracy(y_true, y_pred):
    return y_pred.argmax(axis=-1) == y_true


FUNCTIONS = {
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}
ACCURACY = ("accuracy", "acc")


class Metric:
    """A named per-position score; `metric(y_true, y_pred, mask)` -> (total, count)."""

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def __call__(self, y_true, y_pred, mask=None):
        scores = self.fn(y_true, y_pred)
        if mask is None:
            return float(scores.sum()), scores.size
        return float(scores[mask].sum()), int(mask.sum())

    def __repr__(self):
        return f"Metric({self.name!r}, {self.fn.__name__})"


def check(identifier):
    """Validate a metric name at compile time (before the shapes are known)."""
    if not isinstance(identifier, str) or identifier.lower() not in (*FUNCTIONS, *ACCURACY):
        raise invalid("metrics", f"names from {sorted((*FUNCTIONS, *ACCURACY))}", identifier)
    return identifier


def get(identifier, y_true_ndim, y_pred_shape):
    """A Metric for a checked name; "accuracy" picks its kind from the target and output shapes."""
    key = check(identifier).lower()
    if key in ACCURACY:
        if y_pred_shape[-1] == 1:
            key = "binary_accuracy"
        elif y_true_ndim < len(y_pred_shape):
            key = "sparse_categorical_accuracy"
        else:
            key = "categorical_accuracy"
    return Metric(identifier, FUNCTIONS[key])
