"""The training loop behind Sequential's fit, evaluate and train_on_batch, as plain functions.

The loop knows a model only through `_forward`, `_backward`, its loss and optimizer and its
two flat arrays (every parameter in `_params`, every gradient in `_grads`), and takes arrays
already checked at fit's boundary (checks.py). One step is: forward (training=True), the
loss and its gradient, backward (layers write their gradients into the flat gradient array),
zeros on the frozen weights' entries (trainable=False; train_state.py), a finiteness check,
one optimizer update of the flat parameter array (clipping first).

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
from dataclasses import dataclass

import numpy as np

from unrolled import config
from unrolled import metrics as metrics_module
from unrolled.callbacks import CallbackList, History
from unrolled.layers import Recurrent
from unrolled.models import train_state
from unrolled.models.progress import Progress


@dataclass(frozen=True)
class FitArguments:
    """What one fit call trains on, checked and resolved at fit's boundary (checks.py)."""

    x: np.ndarray  # (N, T, D) features in the model's dtype, or (N, T) ids
    y: np.ndarray  # targets shaped like the outputs, or class ids for a sparse loss
    validation: tuple | None  # (x_val, y_val) checked like x and y, or None
    batch_size: int  # samples per batch; the last batch of an epoch may be smaller
    epochs: int  # the epoch to stop before: initial_epoch counts towards it (Keras)
    initial_epoch: int  # where a resumed run starts counting
    shuffle: bool  # a new order of the samples every epoch
    tbptt: int | None  # chunk length for truncated BPTT; None: full BPTT
    callbacks: list  # Callback instances; train adds the History last
    verbose: int  # 0 silent, 1 a progress bar, 2 one line per epoch


def train(model, args):
    """fit's loop; returns the History (also after a non-finite step)."""
    x, y, batch_size, tbptt = args.x, args.y, args.batch_size, args.tbptt
    steps = math.ceil(len(x) / batch_size)
    train_state.ensure(model)  # the optimizer's state for the weights that train
    history = History()
    params = {"verbose": args.verbose, "epochs": args.epochs, "steps": steps}
    callbacks = CallbackList([*args.callbacks, history], model, params)
    progress = Progress(args.verbose, steps, args.epochs)
    metric_fns = _metric_fns(model, y)
    model.stop_training = False  # a callback sets it to end training after this batch
    callbacks.call("on_train_begin", None)
    for epoch in range(args.initial_epoch, args.epochs):
        callbacks.call("on_epoch_begin", epoch, {})
        progress.epoch_begin(epoch)
        # 1) the batches: one shuffled copy of the data per epoch, so each batch is a view
        epoch_x, epoch_y = x, y
        if args.shuffle:
            order = config.default_rng().permutation(len(x))
            epoch_x, epoch_y = x[order], y[order]
        totals = _Totals(metric_fns)
        for step in range(steps):
            rows = slice(step * batch_size, (step + 1) * batch_size)
            if callbacks.wants_batch_hooks:  # batch logs cost a call: only when read
                callbacks.call("on_train_batch_begin", step, totals.means())
            # 2) forward, loss, backward, clip and optimizer step (once per chunk with tbptt)
            problem = _train_batch(model, epoch_x[rows], epoch_y[rows], tbptt, totals)
            if problem:
                history.stop_reason = (
                    f"Training stopped at epoch {epoch + 1}, batch {step + 1}/{steps}: "
                    f"{problem}. The model keeps the weights of the last finite step; try a "
                    "lower learning rate or gradient clipping (clipnorm)."
                )
                print(history.stop_reason, file=sys.stderr)
                break
            if progress.live:  # saves a call per batch when nothing is drawn
                progress.batch_end(step + 1, totals.means)
            if callbacks.wants_batch_hooks:
                callbacks.call("on_train_batch_end", step, totals.means())
            if model.stop_training:
                break
        if history.stop_reason:  # the epoch never ends: no validation, no epoch logs
            break
        # 3) the epoch's logs, validation included, to the progress bar and the callbacks
        logs = totals.means()
        if args.validation is not None:
            logs.update(evaluate_logs(model, *args.validation, batch_size, prefix="val_"))
        progress.epoch_end(logs)
        callbacks.call("on_epoch_end", epoch, logs)
        if model.stop_training:
            break
    callbacks.call("on_train_end", None)
    return history


def update_on_batch(model, x, y):
    """One optimizer update on (x, y) as a single batch: (its logs, None), or (logs, what was
    not finite) when the step was refused and the weights left as they were."""
    train_state.ensure(model)
    totals = _Totals(_metric_fns(model, y))
    problem = _train_step(model, x, y, totals, len(x))
    return totals.means(), problem


def evaluate_logs(model, x, y, batch_size, prefix=""):
    """Mean loss and metrics in inference mode; the loss is its value alone, no gradient."""
    totals = _Totals(_metric_fns(model, y))
    for start in range(0, len(x), batch_size):
        pred, mask = model._forward(x[start : start + batch_size], training=False)
        target = y[start : start + batch_size]
        totals.add(model.loss(target, pred, mask), len(pred), target, pred, mask)
    return {prefix + key: value for key, value in totals.means().items()}


def returned(logs, return_dict):
    """What evaluate and the *_on_batch methods return, as Keras: the loss alone, a list
    [loss, *metrics], or the dict itself with return_dict=True."""
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())


def _train_batch(model, x, y, tbptt, totals):
    """Full BPTT on the batch, or truncated BPTT in chunks of `tbptt` steps."""
    N, T = x.shape[:2]
    if tbptt is None or tbptt >= T:
        return _train_step(model, x, y, totals, N)
    sequence_targets = len(model.output_shape) == 3
    with _carried_states(model.layers):
        for start in range(0, T, tbptt):
            chunk = slice(start, start + tbptt)
            steps = min(start + tbptt, T) - start
            if sequence_targets:
                problem = _train_step(model, x[:, chunk], y[:, chunk], totals, N * steps / T)
            elif start + tbptt >= T:
                problem = _train_step(model, x[:, chunk], y, totals, N)
            else:
                problem = None
                model._forward(x[:, chunk], training=True)  # only advances the state
            if problem:
                return problem
    return None


def _train_step(model, x, y, totals, weight):
    """Forward, loss, backward, update. Returns None, or what was not finite (no update)."""
    pred, mask = model._forward(x, training=True)
    loss, dpred = model.loss.compute(y, pred, mask)
    if not math.isfinite(loss):
        return f"the loss is {loss}"
    model._backward(dpred)
    for frozen in model._frozen:  # weights with trainable=False get no gradient
        model._grads[frozen] = 0
    if not _all_finite(model._grads):
        return "the gradient has non-finite values"
    model.optimizer.apply(model._params, model._grads)  # clips the gradient, then steps
    totals.add(loss, weight, y, pred, mask)
    return None


@contextmanager
def _carried_states(layers):
    """Make every recurrent layer carry its state across chunks for one batch."""
    carried = [layer for layer in layers if isinstance(layer, Recurrent) and not layer.stateful]
    for layer in carried:
        layer.reset_states()
        layer.stateful = True
    try:
        yield
    finally:
        for layer in carried:
            layer.stateful = False
            layer.reset_states()


def _metric_fns(model, y):
    """compile's metric names as functions; "accuracy" picks its kind from y and the outputs."""
    return [metrics_module.get(name, y.ndim, model.output_shape) for name in model.metrics]


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


def _all_finite(a):
    """True if every entry of the flat array `a` is finite.

    One dot product does it on the usual path: a nan or inf entry makes the squared norm
    a . a non-finite. Finite entries can overflow it too, so only a non-finite norm is
    checked entry by entry.
    """
    return math.isfinite(np.vdot(a, a)) or bool(np.isfinite(a).all())
