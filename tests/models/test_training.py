"""fit, evaluate and friends: learning real tasks, Keras's bookkeeping (History, validation
split, progress lines), determinism, the non-finite stop, stateful layers and truncated BPTT."""

import math

import numpy as np
import pytest

import unrolled
from unrolled import losses as loss_objects
from unrolled import metrics, optimizers
from unrolled.callbacks import LambdaCallback
from unrolled.errors import InputError
from unrolled.layers import LSTM, Bidirectional, Dense, Embedding
from unrolled.models import Sequential
from unrolled.models.fit import _all_finite


def sine_windows(rng, N=256, T=10):
    """Windows of sin(phase + 0.3 t); the target is the next value."""
    phase = rng.uniform(0, 2 * np.pi, N)
    wave = np.sin(phase[:, None] + 0.3 * np.arange(T + 1))  # (N, T + 1)
    return wave[:, :T, None], wave[:, T:]


def test_learns_a_sine_wave(rng):
    x, y = sine_windows(rng)
    unrolled.set_seed(0)
    model = Sequential([LSTM(16, input_shape=(None, 1)), Dense(1)])
    model.compile(optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][0] > 0.05  # it starts knowing nothing
    assert history.history["loss"][-1] < 1e-4
    x_new, y_new = sine_windows(np.random.default_rng(1), N=64)
    assert model.evaluate(x_new, y_new, verbose=0) < 1e-4


def test_learns_to_copy_with_a_delay(rng):
    """Output at step t the symbol seen at t - 2: it must hold two symbols in memory."""
    ids = rng.integers(1, 5, (512, 8))
    target = np.zeros_like(ids)
    target[:, 2:] = ids[:, :-2]
    unrolled.set_seed(0)
    model = Sequential(
        [Embedding(5, 8, input_shape=(None,)), LSTM(32, return_sequences=True), Dense(5, "softmax")]
    )
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(ids, target, epochs=15, verbose=0)
    assert history.history["loss"][0] > 0.5
    assert history.history["loss"][-1] < 0.02 and history.history["accuracy"][-1] == 1.0


def test_history_keys_params_and_epochs(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.compile("adam", "mse", metrics=["mae", "mse"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}  # 30 training samples
    assert model.history is history and history.stop_reason is None
    # with mse as loss and as metric, the two agree (both are means over all samples)
    assert history.history["loss"] == pytest.approx(history.history["mse"], rel=1e-6)


def test_initial_epoch_numbers_the_epochs(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    history = tutorial_model().fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]


def test_validation_split_takes_the_last_fraction_before_shuffling(
    rng, tutorial_model, regression_data
):
    x, y = regression_data(rng, N=50)
    y[40:] = 100.0  # only the last 10 samples are far off: training must never see them
    model = tutorial_model()
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0)
    assert history.params["steps"] == 5  # floor(50 * 0.8) = 40 samples in 5 batches
    assert max(history.history["loss"]) < 2.0
    # the validation loss is exactly the loss on the last 10 samples after the epoch
    assert history.history["val_loss"][-1] == model.evaluate(
        x[40:], y[40:], batch_size=8, verbose=0
    )


def test_validation_data_is_used_as_given(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    xv, yv = regression_data(np.random.default_rng(5), N=7)
    model = tutorial_model()
    history = model.fit(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    assert history.history["val_loss"][0] == model.evaluate(xv, yv, verbose=0)


def test_loss_is_the_running_mean_weighted_by_batch_size(float64, rng, regression_data):
    """An epoch's loss is sum(batch loss * batch size) / N, as in Keras (not a mean of batches)."""
    x, y = regression_data(rng, N=10)
    model = Sequential([LSTM(2, input_shape=(5, 1)), Dense(1)])
    model.compile(optimizers.SGD(1e-9), "mse")  # so small that the weights barely move
    weights = model.get_weights()
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.set_weights(weights)
    batches = [model.evaluate(x[s : s + 4], y[s : s + 4], verbose=0) for s in (0, 4, 8)]
    expected = (4 * batches[0] + 4 * batches[1] + 2 * batches[2]) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-7)


def test_same_seed_is_bit_identical_and_another_seed_is_not(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)

    def train(seed):
        model = tutorial_model(seed)
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights(), history.history["loss"], model.predict(x)

    (w1, l1, p1), (w2, l2, p2), (w3, _, _) = train(7), train(7), train(8)
    assert l1 == l2
    np.testing.assert_array_equal(p1, p2)
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(w1[0], w3[0])


def test_shuffle_uses_the_seeded_generator(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    start = model.get_weights()
    unrolled.set_seed(11)
    a = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history["loss"]
    model.set_weights(start)
    model.optimizer = optimizers.Adam()
    unrolled.set_seed(11)
    b = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history["loss"]
    model.set_weights(start)
    model.optimizer = optimizers.Adam()
    c = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    assert a == b and a != c


def test_a_non_finite_loss_stops_training_and_keeps_finite_weights(
    rng, capsys, tutorial_model, regression_data
):
    x, y = regression_data(rng, N=64)
    model = tutorial_model()
    snapshot = {}

    def poison(batch, logs):
        if len(snapshot) == 0 and model_epoch[0] == 1 and batch == 2:
            dense = model.layers[1]
            dense.params["kernel"][...] = 1e30  # the next forward overflows float32
            snapshot["weights"] = model.get_weights()

    model_epoch = [0]
    callbacks = [
        LambdaCallback(
            on_epoch_begin=lambda epoch, logs: model_epoch.__setitem__(0, epoch),
            on_train_batch_end=poison,
        )
    ]
    history = model.fit(x, y, epochs=5, batch_size=16, callbacks=callbacks, verbose=0)
    message = capsys.readouterr().err
    assert "Training stopped at epoch 2, batch 4/4" in message and "the loss is inf" in message
    assert history.stop_reason == message.strip()
    assert history.epoch == [0]  # the interrupted epoch is not logged
    for w, w0 in zip(model.get_weights(), snapshot["weights"], strict=True):
        assert np.isfinite(w).all()
        np.testing.assert_array_equal(w, w0)  # no update was applied after the bad step
    assert model.optimizer.iterations == 4 + 3


@pytest.mark.parametrize(
    "values, finite",
    [
        ([1.0, -2.0, 3.0], True),
        ([3e38, 3e38, -1.0], True),  # finite entries whose float32 sum overflows
        ([1.0, np.nan, 2.0], False),
        ([np.inf, 1.0, 2.0], False),
        ([np.inf, -np.inf, 2.0], False),
    ],
)
def test_gradient_finiteness_check(values, finite):
    assert _all_finite(np.array(values, dtype=np.float32)) is finite


def test_progress_lines_look_like_keras(rng, capsys, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 ━━━━━━━━━━━━━━━━━━━━ 0s ")
    assert "/step - loss: " in lines[1]
    model.fit(x, y, epochs=1, batch_size=16, verbose=2)
    (line,) = capsys.readouterr().out.splitlines()  # one epoch: no "Epoch 1/1" line (Keras)
    assert line.startswith("3/3 - 0s - ") and " - loss: " in line
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_returns_the_loss_or_a_list_with_metrics(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model.compile("adam", "mse", metrics=["mae"])
    loss2, mae = model.evaluate(x, y, verbose=0)
    assert loss2 == loss and 0 < mae < 2


class _LoggedMSE(loss_objects.MeanSquaredError):
    """MSE that logs, per call, whether the gradient was asked for."""

    def __init__(self):
        super().__init__()
        self.gradient_asked = []

    def function(self, y_true, y_pred, mask=None, gradient=True):
        self.gradient_asked.append(gradient)
        return super().function(y_true, y_pred, mask, gradient)


def test_evaluation_and_validation_never_compute_the_loss_gradient(rng, regression_data):
    x, y = regression_data(rng, N=12)
    model = Sequential([LSTM(3, input_shape=(None, 1)), Dense(1)])
    model.compile("sgd", loss=(loss := _LoggedMSE()))
    model.fit(x[:8], y[:8], batch_size=4, epochs=2, validation_data=(x[8:], y[8:]), verbose=0)
    # each epoch: 2 training steps with their gradient, then 1 validation batch without
    assert loss.gradient_asked == [True, True, False] * 2
    loss.gradient_asked.clear()
    assert model.evaluate(x, y, batch_size=5, verbose=0) > 0
    assert loss.gradient_asked == [False] * 3


def test_a_callback_can_stop_training_after_the_current_batch(rng, tutorial_model, regression_data):
    x, y = regression_data(rng)
    model = tutorial_model()

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True

    history = model.fit(
        x, y, epochs=5, batch_size=8, callbacks=[LambdaCallback(on_train_batch_end=stop)], verbose=0
    )
    assert history.epoch == [0] and model.optimizer.iterations == 2


def test_stateful_layer_carries_state_between_calls(float64, rng):
    model = Sequential([LSTM(4, stateful=True, input_shape=(None, 2)), Dense(1)])
    plain = Sequential([LSTM(4, input_shape=(None, 2)), Dense(1)])
    plain.set_weights(model.get_weights())
    x = rng.standard_normal((3, 6, 2))
    model.predict(x[:, :4], batch_size=3)
    np.testing.assert_allclose(model.predict(x[:, 4:], batch_size=3), plain.predict(x), rtol=1e-12)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=3), plain.predict(x), rtol=1e-12)


def _sequence_model(seed, return_sequences):
    unrolled.set_seed(seed)
    layers = [LSTM(5, return_sequences=return_sequences, input_shape=(None, 2)), Dense(1)]
    model = Sequential(layers)
    model.compile(optimizers.SGD(0.1, momentum=0.5), "mse")
    return model


@pytest.mark.parametrize("return_sequences", [True, False])
def test_tbptt_of_at_least_T_is_exactly_full_bptt(float64, rng, return_sequences):
    x = rng.standard_normal((16, 12, 2))
    y = rng.standard_normal((16, 12, 1) if return_sequences else (16, 1))
    results = []
    for tbptt in (None, 12, 50, 4):
        model = _sequence_model(3, return_sequences)
        unrolled.set_seed(9)
        history = model.fit(x, y, batch_size=8, epochs=2, tbptt=tbptt, verbose=0)
        results.append((model.get_weights(), history.history["loss"], model.optimizer.iterations))
    full = results[0]
    for weights, losses, iterations in results[1:3]:
        assert losses == full[1] and iterations == full[2] == 4
        for a, b in zip(weights, full[0], strict=True):
            np.testing.assert_array_equal(a, b)
    chunked = results[3]
    assert not np.array_equal(chunked[0][0], full[0][0])
    # sequences: one update per chunk (3 per batch); many-to-one: only the last chunk has a loss
    assert chunked[2] == (12 if return_sequences else 4)


def test_tbptt_many_to_one_is_bptt_through_the_last_chunk_from_the_carried_state(float64, rng):
    x, y = rng.standard_normal((4, 12, 2)), rng.standard_normal((4, 1))
    model = _sequence_model(1, False)
    model.compile(optimizers.SGD(0.1), "mse")
    twin = Sequential([LSTM(5, stateful=True, input_shape=(None, 2)), Dense(1)])
    twin.compile(optimizers.SGD(0.1), "mse")
    twin.set_weights(model.get_weights())
    twin.predict(x[:, :8], batch_size=4)  # run the first two chunks: the state is carried
    _, grads = twin.compute_gradients(x[:, 8:], y)  # gradient of the last chunk alone
    expected = [w - 0.1 * g for w, g in zip(model.get_weights(), grads, strict=True)]
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, tbptt=4, verbose=0)
    for a, b in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert model.layers[0].stateful is False and model.layers[0].states is None  # restored


def test_tbptt_sequence_targets_are_cut_with_the_inputs(float64, rng):
    x, y = rng.standard_normal((4, 6, 2)), rng.standard_normal((4, 6, 1))
    model = _sequence_model(2, True)
    model.compile(optimizers.SGD(0.1), "mse")
    twin = Sequential(
        [LSTM(5, return_sequences=True, stateful=True, input_shape=(None, 2)), Dense(1)]
    )
    twin.compile(optimizers.SGD(0.1), "mse")
    twin.set_weights(model.get_weights())
    for chunk in (slice(0, 3), slice(3, 6)):  # update, then carry the state into the next chunk
        _, grads = twin.compute_gradients(x[:, chunk], y[:, chunk])
        twin.set_weights([w - 0.1 * g for w, g in zip(twin.get_weights(), grads, strict=True)])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, tbptt=3, verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_tbptt_refuses_layers_that_read_backwards(rng):
    model = Sequential([Bidirectional(LSTM(2), input_shape=(None, 1)), Dense(1)])
    model.compile("adam", "mse")
    with pytest.raises(InputError, match="tbptt.*reads sequences backwards"):
        model.fit(rng.standard_normal((4, 6, 1)), np.zeros((4, 1)), tbptt=2, verbose=0)


def test_fit_with_a_stateful_layer_carries_state_across_batches(rng):
    unrolled.set_seed(0)
    model = Sequential([LSTM(3, stateful=True, input_shape=(None, 1)), Dense(1)])
    model.compile("adam", "mse")
    model.fit(
        rng.standard_normal((8, 3, 1)), np.zeros((8, 1)), batch_size=4, shuffle=False, verbose=0
    )
    assert model.layers[0].states is not None
    model.reset_states()
    assert model.layers[0].states is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": np.zeros((9, 1))}, "same number of samples, got 10 and 9"),
        ({"y": np.zeros((10, 3))}, r"y has shape \(10, 3\), but the model outputs \(None, 1\)"),
        ({"x": np.full((10, 3, 1), np.nan)}, "x contains non-finite"),
        ({"y": np.full((10, 1), np.inf)}, "y contains non-finite"),
        ({"x": np.array(["a"] * 10).reshape(10, 1, 1)}, "x"),
        ({"batch_size": 0}, "batch_size"),
        ({"verbose": 3}, "verbose"),
        ({"validation_split": 1.5}, "validation_split"),
        ({"validation_split": 0.95}, "leaves no training or no validation"),
        ({"validation_data": np.zeros(3)}, "validation_data"),
        ({"tbptt": 0}, "tbptt"),
        ({"x": np.zeros((10, 3, 2))}, r"x has shape \(10, 3, 2\), but the model takes"),
    ],
)
def test_fit_rejects_bad_input_with_one_clear_error(rng, kwargs, match, tutorial_model):
    args = {"x": rng.standard_normal((10, 3, 1)), "y": np.zeros((10, 1)), "verbose": 0, **kwargs}
    with pytest.raises(InputError, match=match):
        tutorial_model().fit(**args)


def test_sparse_targets_are_checked(rng):
    model = Sequential([Dense(3, "softmax", input_shape=(2,))])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.standard_normal((4, 2))
    model.fit(x, np.array([[0], [1], [2], [1]]), verbose=0)  # (N, 1) ids are fine
    with pytest.raises(InputError, match=r"class ids outside \[0, 3\)"):
        model.fit(x, np.array([0, 1, 3, 1]), verbose=0)
    with pytest.raises(InputError, match="integer class ids"):
        model.fit(x, np.array([0.5, 1, 2, 1]), verbose=0)
    with pytest.raises(InputError, match="integer class ids"):
        model.fit(x, np.array([np.nan, 1, 2, 1]), verbose=0)
    sequences = Sequential(
        [Embedding(3, 2, input_shape=(None,)), LSTM(2, return_sequences=True), Dense(3)]
    )
    sequences.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(InputError, match=r"y has shape \(4, 5\), but the model outputs"):
        sequences.fit(np.ones((4, 6), dtype=int), np.ones((4, 5), dtype=int), verbose=0)


def test_accuracy_resolves_like_keras(rng):
    x = rng.standard_normal((6, 2))
    for loss, y, out, kind in [
        ("sparse_categorical_crossentropy", np.array([0, 1, 2, 0, 1, 2]), 3, "sparse_categorical"),
        ("categorical_crossentropy", np.eye(3)[[0, 1, 2, 0, 1, 2]], 3, "categorical"),
        ("binary_crossentropy", np.array([0, 1, 1, 0, 1, 0.0]), 1, "binary"),
    ]:
        model = Sequential([Dense(out, "softmax" if out > 1 else "sigmoid", input_shape=(2,))])
        model.compile("adam", loss, metrics=["accuracy"])
        accuracy = model.evaluate(x, y, verbose=0)[1]
        pred, target = model.predict(x), y.reshape(6, -1) if kind == "binary" else y
        expected = getattr(metrics, f"{kind}_accuracy")(target, pred).mean()
        assert math.isclose(accuracy, expected) and math.isclose(accuracy * 6, round(accuracy * 6))
