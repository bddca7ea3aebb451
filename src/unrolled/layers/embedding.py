"""Embedding: integer ids -> rows of a learned table E (V, D).

With `mask_zero=True`, id 0 is padding: `compute_mask` gives (ids != 0) so the recurrent
layer after it skips those steps (and V must leave room for the padding id, as in Keras).
"""

import warnings

import numpy as np

from unrolled import initializers
from unrolled.errors import boolean, invalid, positive_int
from unrolled.functional.embedding import embedding_backward, embedding_forward
from unrolled.layers.base import Layer


class Embedding(Layer):
    """Lookup table. Weights: embeddings (V, D) with V = input_dim, D = output_dim."""

    _checks = {
        "input_dim": positive_int,
        "output_dim": positive_int,
        "mask_zero": boolean,
        "embeddings_initializer": initializers.get,
    }
    _shaping = ("input_dim", "output_dim")

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        mask_zero=False,
        weights=None,
        input_shape=None,
        name=None,
        dtype=None,
        **keras_args,
    ):
        if keras_args.pop("input_length", None) is not None:  # Keras 3 warns and ignores it
            warnings.warn(
                "Argument `input_length` is deprecated and ignored (as in Keras 3); just remove "
                "it (the ids may have any length).",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(input_shape=input_shape, name=name, dtype=dtype, **keras_args)
        self.input_dim = input_dim  # each setting is checked as it is set (Layer._checks)
        self.output_dim = output_dim
        self.embeddings_initializer = embeddings_initializer
        self.mask_zero = mask_zero
        # Keras's `weights=[E]`: the starting table (V, D), e.g. pretrained word vectors
        self._initial_embeddings = None
        if weights is not None:
            arrays = list(weights) if isinstance(weights, list | tuple) else [weights]
            shape = (self.input_dim, self.output_dim)
            E = np.asarray(arrays[0]) if len(arrays) == 1 else None
            if (
                E is None
                or E.shape != shape
                or E.dtype.kind not in "biuf"
                or not np.isfinite(E).all()
            ):
                got = [np.shape(w) for w in arrays] if E is None else f"{E.dtype} {E.shape}"
                raise invalid("weights", f"[a finite array of shape {shape}]", got)
            self._initial_embeddings = np.array(E)

    def _param_shapes(self, input_shape):
        return {"embeddings": (self.input_dim, self.output_dim)}  # (V, D)

    def _make_params(self, input_shape, rng):
        if self._initial_embeddings is not None:
            E, self._initial_embeddings = self._initial_embeddings, None  # used once: let it go
            return {"embeddings": E.astype(self.dtype)}
        shape = self._param_shapes(input_shape)["embeddings"]
        return {"embeddings": self.embeddings_initializer(shape, rng, self.dtype)}

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def compute_mask(self, x, mask=None):
        """(ids != 0) with mask_zero, else the incoming mask (usually None)."""
        return np.asarray(x) != 0 if self.mask_zero else mask

    def _ids(self, x):
        """x as integer ids in [0, V), or a clear error."""
        ids = np.asarray(x)
        if not self.built:
            self.build((None, *ids.shape[1:]))
        if not np.issubdtype(ids.dtype, np.integer):
            as_int = ids.astype(np.int64) if ids.dtype.kind == "f" else None  # never a string
            if as_int is None or not np.array_equal(as_int, ids):
                raise self._error(f"expects integer ids, got an array of {ids.dtype}")
            ids = as_int
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise self._error(
                f"expects ids in [0, {self.input_dim}), got values from {ids.min()} to {ids.max()}"
            )
        return ids

    def forward(self, x, training=False, mask=None):
        """ids (N, T) or any shape of ints -> (..., D)."""
        out, cache = embedding_forward(self._ids(x), self.params["embeddings"])
        self._cache = cache if training else None
        return out

    def backward(self, dy, input_gradient=True):
        """dy (..., D) -> None (ids have no gradient); dE accumulates repeated ids."""
        self.grads["embeddings"][...] = embedding_backward(np.asarray(dy), self._last_cache())

    def step(self, x_t, state=None):
        """ids (N,) -> (rows (N, D), state unchanged); no checks, nothing cached."""
        if not self.built:
            self.build((None,))
        return self.params["embeddings"][x_t], state

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        }
