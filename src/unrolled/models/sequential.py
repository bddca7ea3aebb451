"""Sequential: a stack of layers with Keras's surface over a thin training loop.

    model = Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, y, batch_size=32, epochs=200)      # the loop: fit.py
    model.predict(X_test); model.step(x_t)          # inference; step carries state
    model.save("model.npz"); load_model("model.npz")  # the file: saving.py

compile, fit, evaluate and predict check what they receive once, at their top (checks.py).
Once built, every parameter lives in one flat array and every gradient in another: each
layer's `params[k]` / `grads[k]` is rebound to a view into them, so an optimizer step is a
few vectorised ops over all weights, not a Python loop over variables.
"""

import math
import warnings

import numpy as np

from unrolled.errors import InputError, boolean, invalid
from unrolled.keras_compat import (
    EVALUATE_NO_OPS,
    FIT_NO_OPS,
    ON_BATCH_NO_OPS,
    PREDICT_NO_OPS,
    check_call_arguments,
)
from unrolled.layers import Input, Layer, deserialize, serialize
from unrolled.layers.input import plain_shape
from unrolled.models import checks, saving
from unrolled.models.fit import evaluate_logs, returned, train, update_on_batch
from unrolled.models.progress import Progress
from unrolled.models.summary import summary_table


class Sequential:
    """Layers applied in order; each layer's output is the next one's input."""

    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self.layers = []
        self.built = False
        self.input_shape = self.output_shape = None  # with the batch dim as None, once built
        self.optimizer = self.loss = None
        self._frozen = []  # slices of the flat buffer that do not train
        self.metrics = []  # metric names given to compile
        self.compiled = False
        self.stop_training = False  # a callback sets it to end fit after the current batch
        self.history = None
        self._step_states = None  # per layer, the recurrent state carried by `step`
        self._declared_input = None  # an Input's shape, waiting for the first layer
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or, first of all, an Input); builds it when the input shape is known."""
        if isinstance(layer, Input):  # Keras 3's way to give the input shape
            if self.layers or self._declared_input is not None:
                raise InputError("An Input can only come first in a Sequential model, and once.")
            self._declared_input = layer.shape
            return
        if not isinstance(layer, Layer):
            raise invalid("layer", "a Layer instance or an Input", layer)
        if any(other.name == layer.name for other in self.layers):
            raise InputError(
                f"All layers in a Sequential model need unique names; {layer.name!r} is taken."
            )
        if getattr(layer, "return_state", False):
            raise InputError(
                f"layer '{layer.name}' has return_state=True; a Sequential model passes one "
                "array from layer to layer"
            )
        if not self.layers and self._declared_input is not None:
            self._take_declared_input(layer)
        self.layers.append(layer)
        if self.built:
            self._build_from(self.input_shape)
        elif len(self.layers) == 1 and layer.input_shape is not None:
            self._build_from((None, *layer.input_shape))

    def pop(self):
        """Remove the last layer and return it; the model rebuilds around the rest.

        The next training step starts the optimizer over (fresh moments, step count 0): its
        state belonged to the old layers (train_state.py). The same holds after add.
        """
        if not self.layers:
            raise InputError("There are no layers in the model to pop.")
        layer = self.layers.pop()
        self._step_states = None  # per layer: the old list no longer lines up
        if not self.layers:
            self.built, self.input_shape, self.output_shape = False, None, None
        elif self.built:
            self._build_from(self.input_shape)  # new output shape, new flat arrays
        return layer

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or the one at position `index` (give one of the two)."""
        if (name is None) == (index is None):
            raise InputError("get_layer() needs either name= or index=, not both or neither.")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int | np.integer):
                raise invalid("index", "an integer", index)
            n = len(self.layers)
            if not -n <= index < n:
                raise invalid("index", f"a position in [-{n}, {n}) (it has {n} layers)", index)
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        hint = f" (for a position, write get_layer(index={name}))" if isinstance(name, int) else ""
        raise InputError(f"No such layer: {name!r}{hint}. Existing layers are: {names}.")

    def _take_declared_input(self, layer):
        """The first layer gets the Input's shape as its input_shape (one that differs: error)."""
        shape = self._declared_input
        if layer.input_shape is not None and layer.input_shape != shape:
            raise InputError(
                f"layer '{layer.name}' has input_shape={layer.input_shape}, but the model's "
                f"Input has shape={shape}; give the shape once"
            )
        layer.input_shape = shape

    def build(self, input_shape, rng=None):
        """Build every layer for inputs of `input_shape`, e.g. (None, T, D) with batch None.

        rng: the generator for initial weights (default `config.default_rng()`).
        """
        if not self.layers:
            raise InputError("Sequential model has no layers; add some before building it.")
        self._build_from(plain_shape(input_shape), rng)

    def _build_from(self, input_shape, rng=None):
        shape = input_shape
        for layer in self.layers:
            if not layer.built:
                layer.build(shape, rng)
            shape = layer.compute_output_shape(shape)
        self.input_shape, self.output_shape = input_shape, tuple(shape)
        self.built = True
        self._flatten()

    def _ensure_built(self, x):
        """Ready for x (checked by checks.inputs): built for its shape, the flat arrays whole."""
        if not self.built:
            self.build((None, *x.shape[1:]))
        elif not self._flat_intact():
            self._flatten()  # someone rebound a layer's array: take its values back in

    def _flatten(self):
        """Copy all params into one flat array (and grads into another); layers keep views."""
        entries = [(layer, key) for layer in self.layers for key in layer.params]
        dtypes = {layer.params[key].dtype for layer, key in entries}
        if len(dtypes) > 1:
            names = sorted(map(str, dtypes))
            raise InputError(f"all layers of a model need one dtype, got {names}")
        dtype = dtypes.pop() if dtypes else np.float32
        self._sizes = [layer.params[key].size for layer, key in entries]
        self._params = np.empty(sum(self._sizes), dtype=dtype)
        self._grads = np.zeros_like(self._params)
        self._views = []
        offset = 0
        for (layer, key), size in zip(entries, self._sizes, strict=True):
            shape = layer.params[key].shape
            p = self._params[offset : offset + size].reshape(shape)
            g = self._grads[offset : offset + size].reshape(shape)
            p[...] = layer.params[key]
            layer.params[key], layer.grads[key] = p, g
            self._views.append((layer, key, p, g))
            offset += size

    def _flat_intact(self):
        return all(
            layer.params[key] is p and layer.grads[key] is g for layer, key, p, g in self._views
        )

    @property
    def trainable(self):
        """False when every layer is frozen; setting it sets every layer's (Keras)."""
        return not self.layers or any(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value):
        value = boolean(value, "trainable")
        for layer in self.layers:
            layer.trainable = value

    @property
    def dtype(self):
        return self._params.dtype if self.built else None

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Choose the optimizer (name or instance), loss (name or instance) and metric names.

        Compiling again with the same optimizer object keeps its state (train_state.py).
        """
        self.optimizer, self.loss, self.metrics = checks.compile_arguments(optimizer, loss, metrics)
        self.compiled = True

    def fit(
        self,
        x,
        y=None,
        batch_size=32,
        epochs=1,
        verbose="auto",
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        callbacks=None,
        initial_epoch=0,
        tbptt=None,
        **keras_args,
    ):
        """Train on (x, y) for `epochs` epochs; returns a History (`.history`, `.epoch`, `.params`).

        x (N, T, D) or (N, T) ids; y (N, M), (N, T, M), or ids for sparse losses.
        validation_split takes the *last* fraction of x and y, before any shuffling.
        tbptt: chunk length K for truncated BPTT (fit.py), None for full BPTT.
        keras_args: Keras's other fit arguments, accepted only at their no-op values.
        """
        check_call_arguments(self.fit, keras_args, FIT_NO_OPS)
        args = checks.fit_arguments(
            self,
            x,
            y,
            batch_size,
            epochs,
            verbose,
            validation_split,
            validation_data,
            shuffle,
            callbacks,
            initial_epoch,
            tbptt,
        )
        self.history = train(self, args)
        return self.history

    def evaluate(self, x, y=None, batch_size=32, verbose="auto", return_dict=False, **keras_args):
        """Mean loss on (x, y) in inference mode; [loss, *metrics] when compiled with metrics.

        return_dict=True gives {"loss": ..., metric: ...} instead, as Keras does.
        """
        check_call_arguments(self.evaluate, keras_args, EVALUATE_NO_OPS)
        x, y, batch_size, verbose = checks.evaluate_arguments(self, x, y, batch_size, verbose)
        progress = Progress(verbose, math.ceil(len(x) / batch_size))
        logs = evaluate_logs(self, x, y, batch_size)
        progress.epoch_end(logs)
        return returned(logs, return_dict)

    def train_on_batch(self, x, y=None, return_dict=False, **keras_args):
        """One optimizer update on (x, y) taken as a single batch; returns its loss (with
        metrics: [loss, *metrics], or a dict with return_dict=True).

        The numbers are this batch's own, as in Keras 3. A loss or gradient that is not finite
        leaves the weights as they were, with a warning, and the loss comes back as nan.
        """
        check_call_arguments(self.train_on_batch, keras_args, ON_BATCH_NO_OPS)
        x, y = checks.batch_arguments(self, "train_on_batch", x, y)
        logs, problem = update_on_batch(self, x, y)
        if problem:
            warnings.warn(f"train_on_batch: {problem}; the weights were not updated", stacklevel=2)
            logs = dict.fromkeys(logs, math.nan)
        return returned(logs, return_dict)

    def test_on_batch(self, x, y=None, return_dict=False, **keras_args):
        """The loss (and metrics) of (x, y) as a single batch, in inference mode, no update."""
        check_call_arguments(self.test_on_batch, keras_args, ON_BATCH_NO_OPS)
        x, y = checks.batch_arguments(self, "test_on_batch", x, y)
        return returned(evaluate_logs(self, x, y, max(len(x), 1)), return_dict)

    def compute_gradients(self, x, y):
        """(loss, gradients) of one batch without updating; gradients ordered like get_weights(),
        those of frozen layers (trainable=False) included."""
        x, y = checks.batch_arguments(self, "compute_gradients", x, y)
        pred, mask = self._forward(x, training=True)
        loss, dpred = self.loss.compute(y, pred, mask)
        self._backward(dpred)
        return loss, [g.copy() for *_, g in self._views]

    def _forward(self, x, training):
        """Every layer in turn, passing masks on (Embedding(mask_zero) makes one)."""
        mask = None
        for layer in self.layers:
            y = layer.forward(x, training=training, mask=mask)
            mask = layer.compute_mask(x, mask)
            x = y
        return x, mask

    def _backward(self, dy):
        """Every layer's backward, last first; the first layer skips dx, which nobody reads."""
        for k in reversed(range(len(self.layers))):
            dy = self.layers[k].backward(dy, input_gradient=k > 0)

    def predict(self, x, batch_size=None, verbose=0, **keras_args):
        """Outputs for every sample of x, computed in batches (32 by default) in inference mode.

        `verbose` is accepted for Keras code and checked; prediction shows no progress bar.
        """
        check_call_arguments(self.predict, keras_args, PREDICT_NO_OPS)
        x, batch_size = checks.predict_arguments(self, x, batch_size, verbose)
        return self._predict(x, batch_size)

    def predict_on_batch(self, x):
        """The outputs for x as a single batch (predict without splitting it)."""
        x = checks.inputs(self, x)
        return self._predict(x, max(len(x), 1))

    def _predict(self, x, batch_size):
        """predict on a checked x."""
        outputs = [
            self._forward(x[start : start + batch_size], training=False)[0]
            for start in range(0, len(x), batch_size)
        ]
        return np.concatenate(outputs) if outputs else np.empty((0, *self.output_shape[1:]))

    def step(self, x_t):
        """One time step through every layer, carrying recurrent state to the next call.

        x_t (N, D) features, or (N,) integer ids when the first layer is an Embedding.
        Returns the last layer's output for this step, e.g. (N, V). `reset_states()` starts over.
        """
        if not self.built:
            raise InputError(
                "step() needs a built model: give the first layer input_shape=..., or call "
                "build(), fit() or predict() first."
            )
        if self._step_states is None:
            self._step_states = [None] * len(self.layers)
        states = self._step_states
        for i, layer in enumerate(self.layers):
            x_t, states[i] = layer.step(x_t, states[i])
        return x_t

    def reset_states(self):
        """Forget the state carried by `step` and by stateful layers."""
        self._step_states = None
        for layer in self.layers:
            layer.reset_states()

    def get_weights(self):
        """Copies of every weight array, layer by layer in Keras's order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set every weight from a list like `get_weights()`'s (checked by each layer)."""
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise InputError(f"model expects {expected} weight arrays, got {len(weights)}")
        for layer in self.layers:
            count = len(layer.params)
            layer.set_weights(weights[:count])
            weights = weights[count:]

    def save(self, path, extras=None):
        """One .npz file: config, weights, optimizer state and a JSON-able `extras` dict; or,
        for a name ending in .keras, a Keras 3 archive that keras.models.load_model opens
        (architecture and weights; needs pip install 'unrolled[keras]')."""
        if str(path).lower().endswith(".keras"):
            from unrolled.interop.keras import save_keras_model  # interop sits above models

            save_keras_model(self, path, extras)
        else:
            saving.save_model(self, path, extras)

    def save_weights(self, path):
        saving.save_weights(self, path)

    def load_weights(self, path):
        saving.load_weights(self, path)

    def export(self, filepath, format="onnx"):
        """Write the model for another engine: "onnx" (a standard ONNX graph; needs
        pip install 'unrolled[onnx]') or "torch" (a PyTorch file that
        unrolled.interop.torch.load_module reads). See docs/interop.md."""
        from unrolled.interop.export import export  # interop sits above models

        export(self, filepath, format)

    def summary(self, print_fn=print):
        """Keras's table: each layer's name (type), output shape and parameter count."""
        print_fn(summary_table(self))

    def get_config(self):
        return {
            "name": self.name,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "layers": [serialize(layer) for layer in self.layers],
        }


def load_model(path, with_extras=False):
    """The model saved at `path`, compiled and with its optimizer state when it had one.

    with_extras=True returns (model, extras) with the `extras` dict given to `save`.
    A Keras 3 .keras archive (told by its contents) loads too, uncompiled. Every way an .npz
    file can be wrong is one InputError naming it, found before any layer is built (saving.py).
    """
    from unrolled.interop import keras  # interop sits above models; h5py loads only for one

    path = saving.file_path(path)
    if keras.is_keras_archive(path):
        model, extras = keras.load_keras_model(path)
        return (model, extras) if with_extras else model
    document, arrays = saving.read_model(path, weight_shapes)
    try:
        model = model_from_config(document["model"])
    except (ValueError, KeyError, TypeError) as error:  # what weight_shapes does not read
        raise saving.corrupt(path, f"bad model config ({error})") from None
    saving.restore(model, document, arrays, path)
    return (model, document.get("extras")) if with_extras else model


def weight_shapes(config):
    """[(layer name, {key: shape}), ...] of the model `config` describes, from its layers'
    configs alone: nothing built, nothing allocated. InputError, KeyError or TypeError for a
    damaged config."""
    shape, shapes = tuple(config["input_shape"]), []
    for layer in (deserialize(c) for c in config["layers"]):
        shapes.append((layer.name, layer.param_shapes(shape)))
        shape = layer.compute_output_shape(shape)
    return shapes


def model_from_config(config):
    """A built Sequential from `Sequential.get_config()`'s output, weights not yet set.

    Builds with a throwaway generator (the weights are overwritten next): loading must not
    move the global random stream. KeyError or TypeError for a damaged config.
    """
    layers = [deserialize(c) for c in config["layers"]]
    shape, rng = tuple(config["input_shape"]), np.random.default_rng(0)
    for layer in layers:
        layer.build(shape, rng)
        shape = layer.compute_output_shape(shape)
    model = Sequential(layers, name=config["name"])  # built if a layer declared its input
    if not model.built:
        model.build(config["input_shape"])
    return model
