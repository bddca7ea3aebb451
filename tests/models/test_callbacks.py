"""Callbacks: each one's Keras behaviour, first on scripted logs (so every rule is pinned),
then inside a real fit."""

import csv
import math

import numpy as np
import pytest

from unrolled import callbacks as cb
from unrolled.errors import InputError
from unrolled.models import load_model


class FakeModel:
    """What callbacks touch: weights, stop_training, optimizer.learning_rate, save."""

    def __init__(self, lr=0.1):
        self.weights = 0
        self.stop_training = False
        self.optimizer = type("Optimizer", (), {"learning_rate": lr})()
        self.saved = []

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = weights

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def drive(callback, values, key="loss", model=None, weights_follow_epoch=True):
    """Run `callback` over epochs whose logs[key] are `values`; returns (model, epochs run)."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        if weights_follow_epoch:
            model.weights = epoch
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, {key: value})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return model, ran


def test_early_stopping_waits_patience_epochs_without_improvement():
    stopper = cb.EarlyStopping(monitor="loss", patience=2)
    model, ran = drive(stopper, [1.0, 0.5, 0.6, 0.7, 0.8, 0.1])
    assert ran == 4 and stopper.stopped_epoch == 3 and stopper.best == 0.5
    assert model.weights == 3  # without restore_best_weights the last weights stay


def test_early_stopping_restores_the_best_weights_and_honours_min_delta():
    stopper = cb.EarlyStopping(monitor="loss", patience=1, min_delta=0.1, restore_best_weights=True)
    model, ran = drive(stopper, [1.0, 0.5, 0.45, 0.44])  # 0.45 is not better by more than 0.1
    assert ran == 3 and stopper.best_epoch == 1 and model.weights == 1


def test_early_stopping_max_mode_and_auto_for_accuracy():
    _, ran = drive(
        cb.EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.55], "val_accuracy"
    )
    assert ran == 3
    _, ran = drive(
        cb.EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.7, 0.8], "val_accuracy"
    )
    assert ran == 4
    _, ran = drive(cb.EarlyStopping(monitor="score", mode="max", patience=0), [1, 2, 1], "score")
    assert ran == 3


def test_early_stopping_with_a_baseline_that_is_never_beaten():
    # improving epochs never stop training, but unless they beat the baseline the wait goes on
    losses = [0.5, 0.4, 0.45, 0.3]
    _, ran = drive(cb.EarlyStopping(monitor="loss", patience=2, baseline=0.1), losses)
    assert ran == 3
    _, ran = drive(cb.EarlyStopping(monitor="loss", patience=2), losses)
    assert ran == 4


def test_monitoring_a_missing_quantity_is_a_clear_error():
    with pytest.raises(InputError, match="EarlyStopping monitors 'val_loss'.*available: loss"):
        drive(cb.EarlyStopping(), [1.0])
    with pytest.raises(InputError, match="mode"):
        cb.EarlyStopping(mode="up")


def test_early_stopping_in_fit(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.optimizer.learning_rate = 1e-12  # nothing improves by min_delta
    stopper = cb.EarlyStopping(monitor="loss", patience=2, min_delta=1e-3)
    history = model.fit(x, y, epochs=20, callbacks=[stopper], verbose=0)
    assert history.epoch == [0, 1, 2] and model.stop_training


def test_model_checkpoint_every_epoch_with_formatted_names(
    tmp_path, rng, tutorial_model, regression_data
):
    x, y = regression_data(rng)
    model = tutorial_model()
    path = str(tmp_path / "model-{epoch:02d}-{loss:.3f}.npz")
    history = model.fit(
        x, y, epochs=3, callbacks=[cb.ModelCheckpoint(path, monitor="loss")], verbose=0
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        f"model-{e:02d}-{loss:.3f}.npz"
        for e, loss in zip((1, 2, 3), history.history["loss"], strict=True)
    ]
    np.testing.assert_array_equal(load_model(tmp_path / names[-1]).predict(x), model.predict(x))


def test_model_checkpoint_save_best_only():
    model = FakeModel()
    checkpoint = cb.ModelCheckpoint("best.npz", monitor="val_loss", save_best_only=True)
    drive(checkpoint, [0.5, 0.6, 0.4, 0.4, 0.7], "val_loss", model=model)
    assert model.saved == [("model", "best.npz"), ("model", "best.npz")]  # epochs 1 and 3
    model = FakeModel()
    checkpoint = cb.ModelCheckpoint(
        "w.npz", monitor="acc", save_best_only=True, save_weights_only=True
    )
    drive(checkpoint, [0.5, 0.6, 0.4], "acc", model=model)
    assert model.saved == [("weights", "w.npz")] * 2


def test_reduce_lr_on_plateau_with_cooldown_and_min_lr():
    model = FakeModel(lr=1.0)
    reducer = cb.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    reducer.set_model(model)
    reducer.on_train_begin()
    rates = []
    for epoch in range(9):
        logs = {"loss": 1.0}  # a plateau from the start
        before = model.optimizer.learning_rate
        reducer.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == before  # logged as it was during the epoch
        rates.append(model.optimizer.learning_rate)
    # epoch 0 sets the best; waits at 1, 2 -> halve; the cooldown epoch 3 resets the wait but
    # (as in Keras) counts once it ends: 3, 4 -> halve; 5, 6 -> 0.125, floored at min_lr 0.2
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    with pytest.raises(InputError, match="factor"):
        cb.ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_on_plateau_min_delta():
    model = FakeModel(lr=1.0)
    reducer = cb.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, min_delta=0.1)
    drive(reducer, [1.0, 0.95, 0.5], model=model)  # 0.95 is no improvement at min_delta 0.1
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_learning_rate_scheduler_in_fit(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: 0.01 / (epoch + 1))
    history = model.fit(x, y, epochs=3, callbacks=[scheduler], verbose=0)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.01 / 3])
    assert model.optimizer.learning_rate == pytest.approx(0.01 / 3)
    with pytest.raises(InputError, match="schedule"):
        model.fit(x, y, callbacks=[cb.LearningRateScheduler(lambda epoch, lr: None)], verbose=0)


def test_terminate_on_nan(capsys):
    model = FakeModel()
    terminate = cb.TerminateOnNaN()
    terminate.set_model(model)
    terminate.on_train_batch_end(3, {"loss": 0.5})
    assert not model.stop_training
    terminate.on_train_batch_end(4, {"loss": math.nan})
    assert model.stop_training and "Batch 4: Invalid loss" in capsys.readouterr().out


def test_csv_logger_writes_one_row_per_epoch_and_appends(
    tmp_path, rng, tutorial_model, regression_data
):
    x, y = regression_data(rng)
    model = tutorial_model()
    path = tmp_path / "log.csv"
    history = model.fit(
        x, y, epochs=2, validation_split=0.2, callbacks=[cb.CSVLogger(path)], verbose=0
    )
    model.fit(x, y, epochs=1, callbacks=[cb.CSVLogger(path, append=True)], verbose=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert float(rows[2][2]) == history.history["val_loss"][1]
    assert len(rows[3]) == 2  # a new logger takes its columns from its own first epoch (Keras)


def test_lambda_callback_hooks_and_batch_logs(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)  # 40 samples: 2 batches of 32 and 8
    calls = []
    callback = cb.LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch, sorted(logs))),
        on_train_end=lambda logs: calls.append("end"),
    )
    tutorial_model().fit(x, y, epochs=2, callbacks=[callback], verbose=0)
    batch = [("batch", 0, ["loss"]), ("batch", 1, ["loss"])]
    assert calls == ["begin", *batch, ("epoch", 0, ["loss"]), *batch, ("epoch", 1, ["loss"]), "end"]
    with pytest.raises(InputError, match="LambdaCallback hook"):
        cb.LambdaCallback(on_epoch_finish=print)


def test_batch_hooks_are_only_dispatched_when_wanted():
    assert not cb.EarlyStopping().wants_batch_hooks
    assert not cb.CSVLogger("x.csv").wants_batch_hooks
    assert cb.TerminateOnNaN().wants_batch_hooks
    assert cb.LambdaCallback(on_batch_end=print).wants_batch_hooks
    assert not cb.LambdaCallback(on_epoch_end=print).wants_batch_hooks

    class OldStyle(cb.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    assert OldStyle().wants_batch_hooks


def test_callbacks_must_be_callback_instances(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    with pytest.raises(InputError, match="callbacks"):
        tutorial_model().fit(x, y, callbacks=[print], verbose=0)
