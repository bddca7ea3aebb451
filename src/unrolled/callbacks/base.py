"""Callbacks: hooks that `fit` calls around epochs and batches, with Keras's names and rules.

    on_train_begin(logs)            on_train_end(logs)
    on_epoch_begin(epoch, logs)     on_epoch_end(epoch, logs)     # epoch counts from 0
    on_train_batch_begin(batch, logs)  on_train_batch_end(batch, logs)
        (by default these call on_batch_begin / on_batch_end, Keras's older names)

`logs` at an epoch's end holds the epoch means ("loss", metrics, "val_loss", ...); at a
batch's end, the running means so far. `fit` only builds batch logs when some callback
overrides a batch hook, so unused hooks cost nothing per batch. A callback stops training
by setting `self.model.stop_training = True`.
"""

from unrolled.errors import invalid

BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


class Callback:
    """Base class: every hook does nothing. `self.model` and `self.params` are set by fit."""

    model = None
    params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    @property
    def wants_batch_hooks(self):
        """True if this callback overrides (or was given) any batch hook."""
        return any(
            getattr(getattr(self, hook), "__func__", None) is not getattr(Callback, hook)
            for hook in BATCH_HOOKS
        )


class CallbackList:
    """The callbacks of one `fit` call (checked there: models/checks.py), dispatched in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self.wants_batch_hooks = any(c.wants_batch_hooks for c in self.callbacks)

    def call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


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
