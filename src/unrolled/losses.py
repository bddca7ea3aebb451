"""Keras-named losses for `compile(loss=...)`: a name ("mse") or an instance.

    loss = losses.get("sparse_categorical_crossentropy")
    value = loss(y_true, y_pred)                      # the mean loss, a float
    value, dy_pred = loss.compute(y_true, y_pred)     # and its gradient, for training

The math is in `unrolled.functional.losses`; these objects only pick the function from
`from_logits` and carry a name and a config for model files.
"""

from unrolled.errors import invalid
from unrolled.functional import losses as pure


class Loss:
    """Base: `compute(y_true, y_pred, mask=None) -> (loss, dy_pred)`."""

    name = "loss"
    sparse = False  # targets are integer class ids, not arrays of y_pred's shape

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def __call__(self, y_true, y_pred, mask=None):
        return self.compute(y_true, y_pred, mask)[0]

    def compute(self, y_true, y_pred, mask=None):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def compute(self, y_true, y_pred, mask=None):
        return pure.mean_squared_error(y_true, y_pred, mask)


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def compute(self, y_true, y_pred, mask=None):
        return pure.mean_absolute_error(y_true, y_pred, mask)


class CategoricalCrossentropy(Loss):
    """Targets one-hot (..., V); predictions probabilities, or logits with from_logits."""

    name = "categorical_crossentropy"

    def compute(self, y_true, y_pred, mask=None):
        if self.from_logits:
            return pure.softmax_cross_entropy(y_true, y_pred, mask)
        return pure.categorical_cross_entropy(y_true, y_pred, mask)


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Targets integer class ids (...); predictions (..., V)."""

    name = "sparse_categorical_crossentropy"
    sparse = True


class BinaryCrossentropy(Loss):
    """Targets 0/1 (..., K); predictions probabilities, or logits with from_logits."""

    name = "binary_crossentropy"

    def compute(self, y_true, y_pred, mask=None):
        if self.from_logits:
            return pure.binary_cross_entropy_with_logits(y_true, y_pred, mask)
        return pure.binary_cross_entropy(y_true, y_pred, mask)


LOSSES = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
}


def get(identifier, from_logits=False):
    """A Loss from a Keras name or an instance (returned as is)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in LOSSES:
        return LOSSES[identifier.lower()](from_logits=from_logits)
    raise invalid("loss", f"a Loss or one of {sorted(LOSSES)}", identifier)


def from_config(config):
    """Rebuild a Loss from `get_config()`."""
    return get(config["name"], from_logits=config.get("from_logits", False))
