"""Keras-named losses for `compile(loss=...)`: a name ("mse") or an instance.

    loss = losses.get("sparse_categorical_crossentropy")
    value = loss(y_true, y_pred)                      # the mean loss, a float (no gradient)
    value, dy_pred = loss.compute(y_true, y_pred)     # and its gradient, for training

The math is in `unrolled.functional.losses`; these objects only pick the function from
`from_logits` and carry a name and a config for model files.
"""

from unrolled.errors import invalid
from unrolled.functional import losses as pure


class Loss:
    """Base: `compute(y_true, y_pred, mask=None) -> (loss, dy_pred)`; calling it, the loss alone.

    A subclass names its pure function, and the one for logits if it takes them.
    """

    name = "loss"
    sparse = False  # targets are integer class ids, not arrays of y_pred's shape
    logits_function = None  # `function` on logits, used with from_logits; None: `function`

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    @staticmethod
    def function(y_true, y_pred, mask=None, gradient=True):
        """The pure loss: (y_true, y_pred, mask, gradient) -> (loss, dy_pred or None)."""
        raise NotImplementedError

    def __call__(self, y_true, y_pred, mask=None):
        """The mean loss, a float, without computing its gradient (evaluation, validation)."""
        return self.compute(y_true, y_pred, mask, gradient=False)[0]

    def compute(self, y_true, y_pred, mask=None, gradient=True):
        """(loss, dy_pred) for training; gradient=False gives (loss, None) and skips that work."""
        if self.from_logits and self.logits_function is not None:
            return self.logits_function(y_true, y_pred, mask, gradient)
        return self.function(y_true, y_pred, mask, gradient)

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class MeanSquaredError(Loss):
    name = "mean_squared_error"
    function = staticmethod(pure.mean_squared_error)


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"
    function = staticmethod(pure.mean_absolute_error)


class CategoricalCrossentropy(Loss):
    """Targets one-hot (..., V); predictions probabilities, or logits with from_logits."""

    name = "categorical_crossentropy"
    function = staticmethod(pure.categorical_cross_entropy)
    logits_function = staticmethod(pure.softmax_cross_entropy)


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Targets integer class ids (...); predictions (..., V)."""

    name = "sparse_categorical_crossentropy"
    sparse = True


class BinaryCrossentropy(Loss):
    """Targets 0/1 (..., K); predictions probabilities, or logits with from_logits."""

    name = "binary_crossentropy"
    function = staticmethod(pure.binary_cross_entropy)
    logits_function = staticmethod(pure.binary_cross_entropy_with_logits)


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
