"""The training loop: fit, evaluate and one-batch gradients, shared by models (a mixin).

One step is: forward (training=True), loss and its gradient, a finiteness check, backward
(layers write their gradients into the model's flat gradient array), one optimizer update
of the flat parameter array. The loop knows layers only through forward/backward.

Truncated BPTT (`fit(..., tbptt=K)`): each batch's sequences are cut into chunks of K steps.
Recurrent layers carry their final state into the next chunk (non-stateful ones start each
batch from zeros), the gradient stops at chunk edges, and every chunk that has a loss makes
its own optimizer update, as char-rnn does. With sequence outputs the targets are cut the
same way; a many-to-one model has a loss only on the last chunk, so earlier chunks just
advance the state. `tbptt >= T` is one chunk: exactly full BPTT.

A loss or gradient that is not finite stops training before it can touch the weights: the
model keeps the last finite weights, a message names the epoch and batch (on stderr and in
`history.stop_reason`), and `fit` returns the History of the completed epochs.
"""

import math
import sys
from contextlib import contextmanager

import numpy as np

from unrolled import config
from unrolled import metrics as metrics_module
from unrolled.callbacks import CallbackList, History
from unrolled.errors import InputError, invalid
from unrolled.layers import Bidirectional, Embedding, Recurrent
from unrolled.progress import Progress


class _DivergedError(Exception):
    """Raised out of an epoch when a step met a non-finite loss or gradient."""


class Training:
    """fit / evaluate / compute_gradients over `_forward`, `_backward` and the flat arrays."""

    def fit(
        self, x, y, batch_size=32, epochs=1, verbose="auto", validation_split=0.0,
        validation_data=None, shuffle=True, callbacks=None, initial_epoch=0, tbptt=None,
    ):  # fmt: skip
        """Train on (x, y) for `epochs` epochs; returns a History (`.history`, `.epoch`, `.params`).

        x (N, T, D) or (N, T) ids; y (N, M), (N, T, M), or ids for sparse losses.
        validation_split takes the *last* fraction of x and y, before any shuffling.
        tbptt: chunk length K for truncated BPTT (module docstring), None for full BPTT.
        """
        self._require_compiled("fit")
        x, y = self._data(x, y)
        x, y, validation = _split(x, y, validation_split, validation_data, self._data)
        self._check_tbptt(tbptt, x)
        batch_size, verbose = positive_int(batch_size, "batch_size"), check_verbose(verbose)
        epochs, initial_epoch = (
            positive_int(epochs, "epochs"),
            _count(initial_epoch, "initial_epoch"),
        )
        steps = math.ceil(len(x) / batch_size)
        if not self.optimizer.built or self.optimizer._size != self._params.size:
            self.optimizer.build(self._params, self._sizes)
        history = History()
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        callbacks = CallbackList([*(callbacks or []), history], self, params)
        progress = Progress(verbose, steps, epochs)
        self.stop_training = False
        callbacks.call("on_train_begin", None)
        try:
            for epoch in range(initial_epoch, epochs):
                callbacks.call("on_epoch_begin", epoch, {})
                progress.epoch_begin(epoch)
                epoch_x, epoch_y = x, y
                if shuffle:  # one shuffled copy per epoch: its batches are then views
                    order = config.default_rng().permutation(len(x))
                    epoch_x, epoch_y = x[order], y[order]
                logs = self._train_epoch(
                    epoch, epoch_x, epoch_y, batch_size, tbptt, callbacks, progress
                )
                if validation is not None:
                    logs.update(self._evaluate_logs(*validation, batch_size, prefix="val_"))
                progress.epoch_end(logs)
                callbacks.call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
        except _DivergedError as stop:
            history.stop_reason = str(stop)
            print(stop, file=sys.stderr)
        callbacks.call("on_train_end", None)
        self.history = history
        return history

    def _train_epoch(self, epoch, x, y, batch_size, tbptt, callbacks, progress):
        """One pass over the batches, in order; returns the epoch's mean logs."""
        totals = _Totals(self._metric_fns)
        steps = progress.steps
        for step in range(steps):
            rows = slice(step * batch_size, (step + 1) * batch_size)
            if callbacks.wants_batch_hooks:
                callbacks.call("on_train_batch_begin", step, totals.means())
            problem = self._train_batch(x[rows], y[rows], tbptt, totals)
            if problem:
                raise _DivergedError(
                    f"Training stopped at epoch {epoch + 1}, batch {step + 1}/{steps}: {problem}. "
                    "The model keeps the weights of the last finite step; try a lower "
                    "learning rate or gradient clipping (clipnorm)."
                )
            progress.batch_end(step + 1, totals.means)
            if callbacks.wants_batch_hooks:
                callbacks.call("on_train_batch_end", step, totals.means())
            if self.stop_training:
                break
        return totals.means()

    def _train_batch(self, x, y, tbptt, totals):
        """Full BPTT on the batch, or truncated BPTT in chunks of `tbptt` steps."""
        N, T = x.shape[:2]
        if tbptt is None or tbptt >= T:
            return self._train_step(x, y, totals, N)
        sequence_targets = len(self.output_shape) == 3
        with self._carry_states():
            for start in range(0, T, tbptt):
                chunk = slice(start, start + tbptt)
                steps = min(start + tbptt, T) - start
                if sequence_targets:
                    problem = self._train_step(x[:, chunk], y[:, chunk], totals, N * steps / T)
                elif start + tbptt >= T:
                    problem = self._train_step(x[:, chunk], y, totals, N)
                else:
                    problem = None
                    self._forward(x[:, chunk], training=True)  # only advances the state
                if problem:
                    return problem
        return None

    def _train_step(self, x, y, totals, weight):
        """Forward, loss, backward, update. Returns None, or what was not finite (no update)."""
        pred, mask = self._forward(x, training=True)
        loss, dpred = self.loss.compute(y, pred, mask)
        if not math.isfinite(loss):
            return f"the loss is {loss}"
        self._backward(dpred)
        if not _all_finite(self._grads):
            return "the gradient has non-finite values"
        self.optimizer.apply(self._params, self._grads)
        totals.add(loss, weight, y, pred, mask)
        return None

    @contextmanager
    def _carry_states(self):
        """Make every recurrent layer carry its state across chunks for one batch."""
        layers = [layer for layer in self.layers if isinstance(layer, Recurrent)]
        carried = [layer for layer in layers if not layer.stateful]
        for layer in carried:
            layer.reset_states()
            layer.stateful = True
        try:
            yield
        finally:
            for layer in carried:
                layer.stateful = False
                layer.reset_states()

    def evaluate(self, x, y, batch_size=32, verbose="auto", return_dict=False):
        """Mean loss on (x, y) in inference mode; [loss, *metrics] when compiled with metrics.

        return_dict=True gives {"loss": ..., metric: ...} instead, as Keras does.
        """
        self._require_compiled("evaluate")
        batch_size, verbose = positive_int(batch_size, "batch_size"), check_verbose(verbose)
        x, y = self._data(x, y)
        progress = Progress(verbose, math.ceil(len(x) / batch_size))
        logs = self._evaluate_logs(x, y, batch_size)
        progress.epoch_end(logs)
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def _evaluate_logs(self, x, y, batch_size, prefix=""):
        totals = _Totals(self._metric_fns)
        for start in range(0, len(x), batch_size):
            pred, mask = self._forward(x[start : start + batch_size], training=False)
            target = y[start : start + batch_size]
            totals.add(self.loss(target, pred, mask), len(pred), target, pred, mask)
        return {prefix + key: value for key, value in totals.means().items()}

    def compute_gradients(self, x, y):
        """(loss, gradients) of one batch without updating; gradients ordered like get_weights()."""
        self._require_compiled("compute_gradients")
        x, y = self._data(x, y)
        pred, mask = self._forward(x, training=True)
        loss, dpred = self.loss.compute(y, pred, mask)
        self._backward(dpred)
        return loss, [g.copy() for *_, g in self._views]

    # -- checking data at the boundary ----------------------------------------------------
    def _require_compiled(self, what):
        if not self.compiled:
            raise InputError(f"call compile(optimizer, loss) before {what}()")

    def _inputs(self, x):
        """x as an array for the first layer: ids for an Embedding, else finite floats."""
        x = _array(x, "x")
        if x.ndim < 2:
            raise InputError(f"x needs a batch axis and at least one more, got shape {x.shape}")
        self._ensure_built(x)
        if isinstance(self.layers[0], Embedding):
            return x
        if x.dtype.kind not in "biuf":
            raise invalid("x", "an array of numbers", f"an array of {x.dtype}")
        x = x.astype(self.dtype, copy=False)
        if not np.isfinite(x).all():
            raise InputError("x contains non-finite values (nan or inf)")
        return x

    def _data(self, x, y):
        """(x, y) checked against each other and the model's output; resolves metrics."""
        x = self._inputs(x)
        y = _array(y, "y")
        if len(x) == 0:
            raise InputError("x has no samples: its first (batch) axis has length 0")
        if y.ndim == 0:
            raise invalid("y", "an array with one target per sample", y.item())
        if len(y) != len(x):
            raise InputError(f"x and y need the same number of samples, got {len(x)} and {len(y)}")
        out = self.output_shape
        if self.loss.sparse:
            if y.ndim == len(out) and y.shape[-1] == 1:
                y = y[..., 0]  # (N, 1) class ids -> (N,)
            expected, V = out[:-1], out[-1]
            whole = y.dtype.kind in "biu" or (
                y.dtype.kind == "f" and np.isfinite(y).all() and np.array_equal(np.round(y), y)
            )
            if not whole:
                raise invalid("y", "integer class ids for a sparse loss", f"an array of {y.dtype}")
            y = y.astype(np.intp)
            if y.size and (y.min() < 0 or y.max() >= V):
                raise InputError(f"y holds class ids outside [0, {V}) (the model has {V} outputs)")
        else:
            if y.ndim == len(out) - 1:
                y = y[..., None]  # (N,) targets for (N, 1) outputs
            expected = out
            if y.dtype.kind not in "biuf":
                raise invalid("y", "an array of numbers", f"an array of {y.dtype}")
            y = y.astype(self.dtype, copy=False)
            if not np.isfinite(y).all():
                raise InputError("y contains non-finite values (nan or inf)")
        if not _fits(y.shape, expected, x.shape[1] if len(out) == 3 else None):
            raise InputError(f"y has shape {y.shape}, but the model outputs {format_shape(out)}")
        self._metric_fns = [metrics_module.get(m, y.ndim, out) for m in self.metrics]
        return x, y

    def _check_tbptt(self, tbptt, x):
        if tbptt is None:
            return
        positive_int(tbptt, "tbptt")
        for layer in self.layers:
            if isinstance(layer, Bidirectional) or getattr(layer, "go_backwards", False):
                raise InputError(
                    f"tbptt carries state forward in time; layer '{layer.name}' reads "
                    "sequences backwards, so it cannot be trained in chunks"
                )


class _Totals:
    """Running sums over an epoch: loss weighted by batch size, metrics by positions."""

    def __init__(self, metric_fns):
        self.metric_fns = metric_fns
        self.loss = self.weight = 0.0
        self.sums = [[0.0, 0] for _ in metric_fns]

    def add(self, loss, weight, y, pred, mask):
        self.loss += loss * weight
        self.weight += weight
        for metric, sums in zip(self.metric_fns, self.sums, strict=True):
            total, count = metric(y, pred, mask)
            sums[0] += total
            sums[1] += count

    def means(self):
        logs = {"loss": self.loss / self.weight if self.weight else 0.0}
        for metric, (total, count) in zip(self.metric_fns, self.sums, strict=True):
            logs[metric.name] = total / count if count else 0.0
        return logs


def _split(x, y, validation_split, validation_data, prepare):
    """Training arrays and validation (x, y) or None. A split takes the last fraction (Keras)."""
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise invalid("validation_data", "a tuple (x_val, y_val)", type(validation_data))
        return x, y, prepare(*validation_data)
    if not validation_split:
        return x, y, None
    if not 0 < validation_split < 1:
        raise invalid("validation_split", "a float in [0, 1)", validation_split)
    split_at = math.floor(len(x) * (1 - validation_split))
    if split_at in (0, len(x)):
        raise InputError(
            f"validation_split={validation_split} leaves no training or no validation "
            f"samples out of {len(x)}"
        )
    return x[:split_at], y[:split_at], (x[split_at:], y[split_at:])


def _all_finite(a):
    """True if every entry of the flat array `a` is finite.

    One dot product does it on the usual path: a nan or inf entry makes the squared norm
    a . a non-finite. Finite entries can overflow it too, so only a non-finite norm is
    checked entry by entry.
    """
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())


def _array(a, name):
    if a is None:
        raise invalid(name, "an array", None)
    try:
        return np.asarray(a)
    except ValueError as error:  # ragged nested lists
        raise InputError(f"{name} could not be read as an array: {error}") from None


def _fits(shape, expected, T):
    """y's shape matches the output's (None matches anything); sequence targets have x's T."""
    if len(shape) != len(expected):
        return False
    if T is not None and shape[1] != T:
        return False
    return all(e is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True))


def format_shape(shape):
    """(None, 4) as Keras prints it."""
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise invalid(name, "a positive integer", value)
    return int(value)


def _count(value, name):
    """A non-negative integer (an epoch index)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise invalid(name, "a non-negative integer", value)
    return int(value)


def check_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise invalid("verbose", "'auto', 0, 1 or 2", verbose)
    return verbose
