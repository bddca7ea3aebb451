"""The training loop: fit, evaluate and one-batch gradients, shared by models (a mixin).

One step is: forward (training=True), loss and its gradient, backward (layers write their
gradients into the model's flat gradient array), zeros on the frozen weights' entries
(trainable=False; train_state.py), a finiteness check, one optimizer update of the flat
parameter array. The loop knows layers only through forward/backward.

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
import warnings
from contextlib import contextmanager

import numpy as np

from unrolled import config
from unrolled.callbacks import History
from unrolled.callbacks.base import CallbackList
from unrolled.errors import non_negative_int, positive_int
from unrolled.keras_compat import (
    EVALUATE_NO_OPS,
    FIT_NO_OPS,
    ON_BATCH_NO_OPS,
    check_call_arguments,
)
from unrolled.layers import Recurrent
from unrolled.models import train_state
from unrolled.models.checks import DataChecks, check_verbose, split_validation
from unrolled.models.progress import Progress


class _DivergedError(Exception):
    """Raised out of an epoch when a step met a non-finite loss or gradient."""


class Training(DataChecks):
    """fit / evaluate / compute_gradients over `_forward`, `_backward` and the flat arrays."""

    def fit(
        self, x, y=None, batch_size=32, epochs=1, verbose="auto", validation_split=0.0,
        validation_data=None, shuffle=True, callbacks=None, initial_epoch=0, tbptt=None,
        **keras_args,
    ):  # fmt: skip
        """Train on (x, y) for `epochs` epochs; returns a History (`.history`, `.epoch`, `.params`).

        x (N, T, D) or (N, T) ids; y (N, M), (N, T, M), or ids for sparse losses.
        validation_split takes the *last* fraction of x and y, before any shuffling.
        tbptt: chunk length K for truncated BPTT (module docstring), None for full BPTT.
        keras_args: Keras's other fit arguments, accepted only at their no-op values.
        """
        check_call_arguments(self.fit, keras_args, FIT_NO_OPS)
        self._require_compiled("fit")
        x, y = self._data(x, y)
        x, y, validation = split_validation(x, y, validation_split, validation_data, self._data)
        self._check_tbptt(tbptt)
        batch_size, verbose = positive_int(batch_size, "batch_size"), check_verbose(verbose)
        self._check_stateful(len(x), batch_size)
        if validation is not None:
            self._check_stateful(len(validation[0]), batch_size, "the validation data")
        epochs, initial_epoch = (
            positive_int(epochs, "epochs"),
            non_negative_int(initial_epoch, "initial_epoch"),
        )
        steps = math.ceil(len(x) / batch_size)
        train_state.ensure(self)
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

    def train_on_batch(self, x, y=None, return_dict=False, **keras_args):
        """One optimizer update on (x, y) taken as a single batch; returns its loss (with
        metrics: [loss, *metrics], or a dict with return_dict=True).

        The numbers are this batch's own, as in Keras 3. A loss or gradient that is not finite
        leaves the weights as they were, with a warning, and the loss comes back as nan.
        """
        check_call_arguments(self.train_on_batch, keras_args, ON_BATCH_NO_OPS)
        self._require_compiled("train_on_batch")
        x, y = self._data(x, y)
        train_state.ensure(self)
        totals = _Totals(self._metric_fns)
        problem = self._train_step(x, y, totals, len(x))
        if problem:
            warnings.warn(f"train_on_batch: {problem}; the weights were not updated", stacklevel=2)
            return _returned(dict.fromkeys(totals.means(), math.nan), return_dict)
        return _returned(totals.means(), return_dict)

    def test_on_batch(self, x, y=None, return_dict=False, **keras_args):
        """The loss (and metrics) of (x, y) as a single batch, in inference mode, no update."""
        check_call_arguments(self.test_on_batch, keras_args, ON_BATCH_NO_OPS)
        self._require_compiled("test_on_batch")
        x, y = self._data(x, y)
        return _returned(self._evaluate_logs(x, y, max(len(x), 1)), return_dict)

    def predict_on_batch(self, x):
        """The outputs for x as a single batch (predict without splitting it)."""
        x = self._inputs(x)
        return self._predict(x, max(len(x), 1))

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
            if progress.live:  # saves a call per batch when nothing is drawn
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
        for frozen in self._frozen:  # weights with trainable=False get no gradient
            self._grads[frozen] = 0
        if not _all_finite(self._grads):
            return "the gradient has non-finite values"
        self.optimizer.apply(self._params, self._grads)
        totals.add(loss, weight, y, pred, mask)
        return None

    @contextmanager
    def _carry_states(self):
        """Make every recurrent layer carry its state across chunks for one batch."""
        carried = [
            layer for layer in self.layers if isinstance(layer, Recurrent) and not layer.stateful
        ]
        for layer in carried:
            layer.reset_states()
            layer.stateful = True
        try:
            yield
        finally:
            for layer in carried:
                layer.stateful = False
                layer.reset_states()

    def evaluate(self, x, y=None, batch_size=32, verbose="auto", return_dict=False, **keras_args):
        """Mean loss on (x, y) in inference mode; [loss, *metrics] when compiled with metrics.

        return_dict=True gives {"loss": ..., metric: ...} instead, as Keras does.
        """
        check_call_arguments(self.evaluate, keras_args, EVALUATE_NO_OPS)
        self._require_compiled("evaluate")
        batch_size, verbose = positive_int(batch_size, "batch_size"), check_verbose(verbose)
        x, y = self._data(x, y)
        progress = Progress(verbose, math.ceil(len(x) / batch_size))
        logs = self._evaluate_logs(x, y, batch_size)
        progress.epoch_end(logs)
        return _returned(logs, return_dict)

    def _evaluate_logs(self, x, y, batch_size, prefix=""):
        """Mean loss and metrics in inference mode; the loss is its value alone, no gradient."""
        totals = _Totals(self._metric_fns)
        for start in range(0, len(x), batch_size):
            pred, mask = self._forward(x[start : start + batch_size], training=False)
            target = y[start : start + batch_size]
            totals.add(self.loss(target, pred, mask), len(pred), target, pred, mask)
        return {prefix + key: value for key, value in totals.means().items()}

    def compute_gradients(self, x, y):
        """(loss, gradients) of one batch without updating; gradients ordered like get_weights(),
        those of frozen layers (trainable=False) included."""
        self._require_compiled("compute_gradients")
        x, y = self._data(x, y)
        pred, mask = self._forward(x, training=True)
        loss, dpred = self.loss.compute(y, pred, mask)
        self._backward(dpred)
        return loss, [g.copy() for *_, g in self._views]


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


def _returned(logs, return_dict):
    """What evaluate and the *_on_batch methods return, as Keras: the loss alone, a list
    [loss, *metrics], or the dict itself with return_dict=True."""
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())


def _all_finite(a):
    """True if every entry of the flat array `a` is finite.

    One dot product does it on the usual path: a nan or inf entry makes the squared norm
    a . a non-finite. Finite entries can overflow it too, so only a non-finite norm is
    checked entry by entry.
    """
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())
