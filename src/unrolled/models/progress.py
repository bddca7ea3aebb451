"""Keras-style progress output for fit and evaluate, in a few lines of plain Python.

    verbose=1:  Epoch 3/200
                40/40 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - loss: 2.4715e-04
    verbose=2:  Epoch 3/200
                40/40 - 0s - 1ms/step - loss: 2.4715e-04
    verbose=0:  nothing

On a terminal the verbose=1 line is redrawn in place (at most every 50 ms, so drawing costs
nothing per batch) with the finished part of the bar in green; written to a file or a pipe
only the final line of each epoch appears. Values print as Keras does: 4 decimals, or
scientific notation below 1e-3.
"""

import sys
import time

BAR_WIDTH = 20
INTERVAL = 0.05  # seconds between redraws of a live bar


class Progress:
    """Progress of `steps` batches per epoch for `epochs` epochs."""

    def __init__(self, verbose, steps, epochs=1, stream=None):
        self.verbose = verbose
        self.steps = steps
        self.epochs = epochs
        self.stream = stream or sys.stdout
        self.live = verbose == 1 and getattr(self.stream, "isatty", lambda: False)()
        self.start = self.last_draw = time.perf_counter()
        self.width = 0  # length of the last drawn line, to blank leftovers

    def epoch_begin(self, epoch):
        self.start = self.last_draw = time.perf_counter()
        if self.verbose and self.epochs > 1:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def batch_end(self, step, running_logs):
        """After batch `step` (from 1); `running_logs()` gives the running means when drawn."""
        if not self.live:
            return
        now = time.perf_counter()
        if now - self.last_draw >= INTERVAL:
            self.last_draw = now
            self._draw(step, running_logs(), now, final=False)

    def epoch_end(self, logs):
        """The epoch's final line with every logged value (validation included)."""
        if self.verbose == 1:
            self._draw(self.steps, logs, time.perf_counter(), final=True)
        elif self.verbose == 2:
            elapsed = time.perf_counter() - self.start
            per_step = _per_step(elapsed / max(self.steps, 1))
            self._write(f"{self._count(self.steps)} - {elapsed:.0f}s - {per_step}{_values(logs)}\n")

    def _draw(self, step, logs, now, final):
        elapsed = now - self.start
        done = BAR_WIDTH * step // max(self.steps, 1)
        if self.live:
            bar = f"\x1b[32m{'━' * done}\x1b[0m\x1b[2m{'━' * (BAR_WIDTH - done)}\x1b[0m"
        else:
            bar = "━" * BAR_WIDTH
        per_step = elapsed / max(step, 1)
        timing = f"{elapsed:.0f}s" if final else _eta(per_step * (self.steps - step))
        text = f"{self._count(step)} {bar} {timing} {_per_step(per_step)}{_values(logs)}"
        width = len(text) - (len(bar) - BAR_WIDTH)  # what shows on screen
        pad = " " * max(self.width - width, 0)
        self.width = width
        self._write(("\r" if self.live else "") + text + pad + ("\n" if final else ""))

    def _count(self, step):
        digits = len(str(self.steps))
        return f"{step:>{digits}}/{self.steps}"

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()


def _values(logs):
    return "".join(f" - {key}: {format_value(value)}" for key, value in logs.items())


def format_value(value):
    """Keras's number format: 0.0741, 2.4715e-04."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _per_step(seconds):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _eta(seconds):
    s = int(seconds)
    if s > 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    if s > 60:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s}s"
