"""One run of `unrolled memory`: a fresh Sequential([cell(H), Dense]) trained on one length T
and scored on held-out sequences. Every cell sees the same data, budget and optimizer; the
weights and the shuffling are seeded per (cell, T, repeat) (see task.py's docstring)."""

import math
import time
from dataclasses import dataclass

import numpy as np

from unrolled import config as unrolled_config
from unrolled.tasks._shared.cells import KINDS, LAYERS
from unrolled.tasks.memory.data import adding_data, recall_data
from unrolled.tasks.memory.report import HIT


@dataclass
class Run:
    cell: str
    T: int
    repeat: int
    score: float  # held-out accuracy (recall) or share within 0.04 (adding)
    mse: float | None  # adding only
    epochs: int  # epochs actually trained
    seconds: float
    tokens: int  # sequence steps processed in training (forward + backward)


def build_model(cell, D, outputs, config):
    """Sequential([cell(H), Dense]), the gated cells' keep gates set by config.keep_bias."""
    from unrolled.layers import Dense
    from unrolled.models import Sequential
    from unrolled.optimizers import Adam

    H = config.hidden
    recall = config.task == "recall"
    model = Sequential(
        [
            LAYERS[cell](H, input_shape=(None, D)),
            Dense(outputs, activation="softmax" if recall else None),
        ]
    )
    bias, B = model.layers[0].params.get("bias"), config.keep_bias
    if B != "keras" and cell == "lstm":  # gate order i, f, c, o; written in place (flat buffer)
        bias[:H], bias[H : 2 * H] = -B, B  # write little, forget little
    elif B != "keras" and cell == "gru":
        bias[0, :H] = B  # gate order z, r, h; z = 1 keeps the old state
    model.compile(
        optimizer=Adam(config.learning_rate, global_clipnorm=config.clipnorm),
        loss="sparse_categorical_crossentropy" if recall else "mse",
        metrics=["accuracy"] if recall else None,
    )
    return model


def _solved(config, logs):
    """Stop early once the training set is clearly solved (saves time, changes no budget)."""
    if config.task == "recall":
        return logs.get("accuracy", 0.0) >= 0.995
    return logs.get("loss", math.inf) <= 2e-4  # RMS error 0.014, well inside 0.04


def train_one(cell, T, config, repeat=0, bar=None):
    """Train a fresh model on one length and score it on held-out data; returns a Run."""
    from unrolled.callbacks import Callback

    data_rng = np.random.default_rng([config.seed, 1, T, repeat])  # the same data for every cell
    test_rng = np.random.default_rng([config.seed, 2, T])
    if config.task == "recall":
        x, y = recall_data(config.train, T, config.symbols, data_rng)
        x_test, y_test = recall_data(config.test, T, config.symbols, test_rng)
        D, outputs = config.symbols + 1, config.symbols
    else:
        x, y = adding_data(config.train, T, data_rng)
        x_test, y_test = adding_data(config.test, T, test_rng)
        D, outputs = 2, 1
    unrolled_config.set_seed([config.seed, 3, KINDS.index(cell), T, repeat])  # weights, shuffling
    model = build_model(cell, D, outputs, config)
    steps = math.ceil(config.train / config.batch_size)

    class Watch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if bar is not None:
                bar.update(1)

        def on_epoch_end(self, epoch, logs=None):
            self.epochs = epoch + 1
            if _solved(config, logs):
                self.model.stop_training = True

    watch = Watch()
    started = time.perf_counter()
    model.fit(
        x, y, batch_size=config.batch_size, epochs=config.epochs, verbose=0, callbacks=[watch]
    )
    seconds = time.perf_counter() - started
    if bar is not None:
        bar.update(steps * (config.epochs - watch.epochs))  # the budget a solved run left over
    pred = model.predict(x_test, batch_size=256)
    if config.task == "recall":
        score, mse = float((pred.argmax(axis=-1) == y_test).mean()), None
    else:
        err = pred[:, 0] - y_test[:, 0]
        score, mse = float((np.abs(err) < HIT).mean()), float((err * err).mean())
    return Run(cell, T, repeat, score, mse, watch.epochs, seconds, watch.epochs * config.train * T)
