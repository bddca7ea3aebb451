"""Callbacks on scripted logs, one rule at a time, with a stand-in for the model (so they are
tested without unrolled.models, as they are written)."""

import math

import pytest

from unrolled import callbacks as cb
from unrolled.errors import InputError


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


def test_terminate_on_nan(capsys):
    model = FakeModel()
    terminate = cb.TerminateOnNaN()
    terminate.set_model(model)
    terminate.on_train_batch_end(3, {"loss": 0.5})
    assert not model.stop_training
    terminate.on_train_batch_end(4, {"loss": math.nan})
    assert model.stop_training and "Batch 4: Invalid loss" in capsys.readouterr().out


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
