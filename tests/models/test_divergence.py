"""Diverged training: fit stops with one message and the model holds the weights and the
optimizer state of the last finite step, so it can be saved and loaded again."""

import math

import numpy as np
import pytest

import unrolled
from unrolled import optimizers
from unrolled.callbacks import LambdaCallback
from unrolled.errors import InputError
from unrolled.layers import Dense, SimpleRNN
from unrolled.models import Sequential, load_model


def _model(optimizer, dtype=None):
    unrolled.set_seed(0)
    model = Sequential([SimpleRNN(4, input_shape=(None, 1), dtype=dtype), Dense(1, dtype=dtype)])
    model.compile(optimizer, "mse")
    return model


def _data(scale):
    x = np.random.default_rng(0).normal(size=(64, 5, 1))
    return x, np.full((64, 1), scale)


class _Steps:
    """A callback that copies the weights and the optimizer state after every finished step."""

    def __init__(self, model):
        self.model, self.kept = model, None

    def __call__(self, batch, logs):
        optimizer = self.model.optimizer
        self.kept = (
            self.model.get_weights(),
            {name: slot.copy() for name, slot in optimizer.slots.items()},
            optimizer.iterations,
        )


def _assert_holds(model, kept):
    weights, slots, iterations = kept
    for now, then in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(now, then)
    assert set(model.optimizer.slots) == set(slots)
    for name, slot in model.optimizer.slots.items():
        np.testing.assert_array_equal(slot, slots[name])
    assert model.optimizer.iterations == iterations


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: optimizers.SGD(learning_rate=1e30),
        lambda: optimizers.SGD(learning_rate=1e30, momentum=0.9),
        lambda: optimizers.Adam(learning_rate=1e300),
    ],
)
def test_a_huge_learning_rate_stops_with_the_last_finite_step(tmp_path, capsys, optimizer, dtype):
    model = _model(optimizer(), dtype)
    x, y = _data(1e15)
    steps = _Steps(model)
    huge, model.optimizer.learning_rate = model.optimizer.learning_rate, 1e-6
    model.fit(x[:16], y[:16], epochs=1, batch_size=16, verbose=0)  # one finite step first
    model.optimizer.learning_rate = huge
    steps(None, None)
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=16,
        verbose=0,
        callbacks=[LambdaCallback(on_train_batch_end=steps)],
    )
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and message.startswith("Training stopped at epoch ")
    assert history.stop_reason == message.strip()
    stopped = int(message.split()[4].rstrip(","))  # "Training stopped at epoch E, batch ..."
    assert history.epoch == list(range(stopped - 1))  # the epochs finished before it
    assert all(np.isfinite(w).all() for w in model.get_weights())
    _assert_holds(model, steps.kept)
    model.save(tmp_path / "m.npz")  # what fit kept can be saved and read back
    loaded = load_model(tmp_path / "m.npz")
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_history_keeps_the_epochs_finished_before_the_divergence(capsys):
    model = _model(optimizers.SGD(learning_rate=0.01, momentum=0.5))
    x, y = _data(1.0)
    steps = _Steps(model)

    def blow_up(epoch, logs):
        if epoch == 2:
            model.optimizer.learning_rate = 1e30
            y[:] = 1e15  # the targets the fit loop reads (a view of y)

    callbacks = [LambdaCallback(on_epoch_begin=blow_up, on_train_batch_end=steps)]
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=callbacks)
    assert "Training stopped at epoch 3, batch " in capsys.readouterr().err
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
    assert all(math.isfinite(loss) for loss in history.history["loss"])
    _assert_holds(model, steps.kept)


def test_train_on_batch_leaves_the_weights_after_a_non_finite_update():
    model = _model(optimizers.Adam(learning_rate=1e30))
    before = model.get_weights()
    x, y = _data(1e15)
    with pytest.warns(UserWarning, match="the weights were not updated"):
        loss = model.train_on_batch(x, y)
    assert math.isnan(loss) and model.optimizer.iterations == 0
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 0, -1])
@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.RMSprop, optimizers.Adam])
def test_a_learning_rate_that_is_not_a_positive_finite_number_is_refused(cls, value):
    with pytest.raises(InputError, match="argument `learning_rate`, expected a positive"):
        cls(learning_rate=value)


def test_an_infinite_clipnorm_is_refused_like_a_negative_one():
    with pytest.raises(InputError, match="argument `clipnorm`, expected a positive"):
        optimizers.Adam(clipnorm=math.inf)


def test_a_schedule_that_returns_an_infinite_learning_rate_is_refused():
    from unrolled.callbacks import LearningRateScheduler

    model = _model(optimizers.SGD())
    x, y = _data(1.0)
    schedule = LearningRateScheduler(lambda epoch, lr: math.inf)
    with pytest.raises(InputError, match="a function returning a positive finite float, got inf"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[schedule])
