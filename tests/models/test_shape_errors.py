"""Shapes and arguments at the model boundary: one error naming what the user passed."""

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import LSTM, Dense, Embedding

X = np.random.default_rng(0).random((100, 60, 1), dtype=np.float32)  # (N, T, D)
Y = np.zeros((100, 1), dtype=np.float32)


def _model(input_shape=(60, 1), **lstm):
    unrolled.set_seed(0)
    first = LSTM(4, **lstm) if input_shape is None else LSTM(4, input_shape=input_shape, **lstm)
    model = unrolled.Sequential([first, Dense(1)])
    model.compile("adam", "mse")
    return model


DECLARED_T = (
    r"^x has shape \(100, 30, 1\), but the model takes \(batch, timesteps, features\) = "
    r"\(None, 60, 1\): its first layer declared input_shape=\(60, 1\)"
)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.fit(x, Y, verbose=0),
        lambda m, x: m.fit(X, Y, verbose=0, validation_data=(x, Y)),
        lambda m, x: m.predict(x),
        lambda m, x: m.evaluate(x, Y, verbose=0),
    ],
    ids=["fit", "validation_data", "predict", "evaluate"],
)
def test_a_declared_timestep_count_is_enforced(call):
    with pytest.raises(InputError, match=DECLARED_T):
        call(_model(), X[:, :30])


def test_a_model_built_from_data_takes_any_length_afterwards(tmp_path):
    model = _model(input_shape=None)
    model.fit(X, Y, verbose=0)
    assert model.predict(X[:, :30]).shape == (100, 1)
    assert model.evaluate(X[:, :7], Y, verbose=0) >= 0
    model.save(tmp_path / "m.npz")
    assert unrolled.load_model(tmp_path / "m.npz").predict(X[:3, :9]).shape == (3, 1)
    assert _model((None, 1)).predict(X[:, :30]).shape == (100, 1)


def test_step_ignores_the_declared_length():
    assert _model().step(X[:2, 0]).shape == (2, 1)  # one (N, D) step at a time


@pytest.mark.parametrize(
    ("input_shape", "x", "match"),
    [
        (
            (60, 1),
            X[0],
            r"x has shape \(60, 1\), but .* = \(None, 60, 1\); for one sample add "
            r"the batch axis: x.reshape\(1, 60, 1\)$",
        ),
        (
            (60, 1),
            X[..., 0],
            r"x has shape \(100, 60\), but the model takes \(batch, timesteps, "
            r"features\) = \(None, 60, 1\); for one feature reshape it: x.reshape\(100, 60, 1\)$",
        ),
        (None, X[..., 0], r"x has shape \(100, 60\), .*x.reshape\(100, 60, 1\)$"),
        ((None, 1), np.ones((100, 60, 2)), r"^x has shape \(100, 60, 2\), .* \(None, None, 1\)$"),
    ],
)
def test_shape_errors_show_the_shape_passed_not_a_batch(input_shape, x, match):
    with pytest.raises(InputError, match=match):
        _model(input_shape).fit(x, Y, verbose=0)
    with pytest.raises(InputError, match=match):
        _model(input_shape).predict(x)


def test_embedding_inputs_get_the_same_checks():
    model = unrolled.Sequential([Embedding(10, 3, input_shape=(60,)), LSTM(4), Dense(1)])
    with pytest.raises(InputError, match=r"\(batch, timesteps\) = \(None, 60\): its first"):
        model.predict(np.ones((5, 30), dtype=int))
    with pytest.raises(InputError, match=r"add the batch axis: x.reshape\(1, 60\)$"):
        model.predict(np.ones(60, dtype=int))


def test_sequence_targets_error_shows_the_y_passed():
    model = _model((None, 1), return_sequences=True)
    with pytest.raises(
        InputError, match=r"^y has shape \(8, 1\), but the model outputs \(None, 5, 1"
    ):
        model.fit(X[:8, :5], Y[:8], verbose=0)


@pytest.mark.parametrize("y", [np.arange(100) % 5, (np.arange(100) % 5)[:, None]])
def test_categorical_crossentropy_with_class_ids_suggests_the_sparse_loss(y):
    model = unrolled.Sequential([LSTM(4, input_shape=(None, 1)), Dense(5, "softmax")])
    model.compile("adam", "categorical_crossentropy")
    match = (
        rf"^y has shape \({y.shape[0]},( 1)?\), but categorical_crossentropy needs one-hot "
        r"targets of shape \(N, 5\); .*loss='sparse_categorical_crossentropy'"
    )
    with pytest.raises(InputError, match=match):
        model.fit(X[:, :5], y, verbose=0)


NO_OPS = dict(
    sample_weight=None,
    class_weight=None,
    steps_per_epoch=None,
    validation_steps=None,
    validation_freq=1,
    validation_batch_size=None,
    max_queue_size=10,
    workers=1,
    use_multiprocessing=False,
)


def test_keras_fit_arguments_pass_at_their_no_op_values():
    assert _model().fit(X[:8], Y[:8], verbose=0, **NO_OPS).epoch == [0]
    assert _model().predict(X[:2], steps=None, callbacks=None).shape == (2, 1)
    _model().evaluate(X[:2], Y[:2], verbose=0, sample_weight=None, steps=None, callbacks=None)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("class_weight", {0: 1.0, 1: 5.0}),
        ("sample_weight", np.ones(8)),
        ("steps_per_epoch", 5),
        ("validation_steps", 2),
        ("validation_freq", 2),
        ("validation_batch_size", 4),
        ("max_queue_size", 20),
        ("workers", 4),
        ("use_multiprocessing", True),
    ],
)
def test_other_values_of_keras_fit_arguments_are_one_clear_error(name, value):
    match = rf"^Received an invalid value for argument `{name}`, expected .* in fit\(\) \("
    with pytest.raises(InputError, match=match):
        _model().fit(X[:8], Y[:8], verbose=0, **{name: value})


def test_unknown_keywords_list_what_is_accepted():
    model = _model()
    match = (
        r"^fit\(\) got an unknown argument `epoch` \(= 3\); did you mean `epochs`\? It accepts x, y"
    )
    with pytest.raises(InputError, match=match):
        model.fit(X[:8], Y[:8], epoch=3)
    with pytest.raises(InputError, match=r"`steps`, expected None in evaluate\(\)"):
        model.evaluate(X[:8], Y[:8], steps=2)
    with pytest.raises(InputError, match=r"^predict\(\) got an unknown .*`batch_size`\?"):
        model.predict(X[:8], batchsize=2)


def test_a_stateful_model_needs_full_batches_checked_before_training():
    unrolled.set_seed(0)
    model = unrolled.Sequential([LSTM(4, stateful=True, input_shape=(5, 1)), Dense(1)])
    model.compile("adam", "mse")
    before = [w.copy() for w in model.get_weights()]
    x, y = np.ones((10, 5, 1)), np.ones((10, 1))
    with pytest.raises(InputError, match="'lstm.*' is stateful.*x has 10.*drop the last 2"):
        model.fit(x, y, batch_size=4, verbose=0)
    with pytest.raises(InputError, match="the validation data has 2"):
        model.fit(x, y, batch_size=4, validation_split=0.2, verbose=0)  # 8 train, 2 validation
    for w, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)  # nothing trained
    model.fit(x[:8], y[:8], batch_size=4, verbose=0)


def test_load_model_is_where_keras_users_look_for_it():
    from unrolled.models import load_model

    assert load_model is unrolled.load_model
