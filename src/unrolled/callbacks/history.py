"""History: the per-epoch record that `fit` returns (Keras's `keras.callbacks.History`)."""

from unrolled.callbacks.base import Callback


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
