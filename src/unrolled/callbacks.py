"""The callbacks to pass to `fit`, with Keras's names (the hooks they override: hooks.py).

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau watch a logged quantity and live in
monitoring.py; they are re-exported here, so every callback imports from `unrolled.callbacks`.
"""

import csv
import math
import os
from numbers import Real

from unrolled.errors import invalid
from unrolled.hooks import BATCH_HOOKS, Callback, CallbackList
from unrolled.monitoring import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


class History(Callback):
    """Per-epoch logs: `history["loss"][i]` is epoch `epoch[i]`'s mean training loss.

    `params` holds fit's verbose, epochs and steps; `stop_reason` says why fit stopped early
    on a non-finite loss (None otherwise).
    """

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.params = {}
        self.stop_reason = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to `schedule(epoch, current_lr)`."""

    def __init__(self, schedule, verbose=0):
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.schedule(epoch, self.model.optimizer.learning_rate)
        if isinstance(lr, bool) or not isinstance(lr, Real) or not lr > 0:
            raise invalid("schedule", "a function returning a positive float", lr)
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = self.model.optimizer.learning_rate


class TerminateOnNaN(Callback):
    """Stop when a batch's logged loss is NaN or infinite (Keras's callback).

    `fit` already refuses a non-finite loss before the update it would cause, so in `fit`
    this never fires; it is here for code written against Keras and for custom loops.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Append one CSV row per epoch: "epoch" (from 0) then the logged values, sorted by name."""

    def __init__(self, filename, separator=",", append=False):
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self.keys = None
        self._file = None

    def on_train_begin(self, logs=None):
        exists = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (self.append and exists)
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._write_header:
            self._writer.writerow(["epoch", *self.keys])
            self._write_header = False
        self._writer.writerow([epoch, *(logs.get(key, "NA") for key in self.keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        self._file.close()
        self._file = None


class LambdaCallback(Callback):
    """A callback from plain functions: LambdaCallback(on_epoch_end=lambda epoch, logs: ...)."""

    HOOKS = (
        "on_train_begin",
        "on_train_end",
        "on_epoch_begin",
        "on_epoch_end",
        *BATCH_HOOKS,
    )

    def __init__(self, **hooks):
        for name, function in hooks.items():
            if name not in self.HOOKS:
                raise invalid("LambdaCallback hook", f"one of {list(self.HOOKS)}", name)
            if function is not None:
                setattr(self, name, function)
