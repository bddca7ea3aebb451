"""Sequential: building, Keras's summary and parameter counts, names, compile, the flat
parameter buffer, predict, and single-step inference that carries state."""

import numpy as np
import pytest

import unrolled
from unrolled import losses
from unrolled.errors import InputError
from unrolled.layers import GRU, LSTM, Bidirectional, Dense, Dropout, Embedding, SimpleRNN
from unrolled.models import Sequential


def test_summary_of_the_tutorial_model_matches_keras(capsys, tutorial_model):
    tutorial_model().summary()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert any(
        "(LSTM)" in line and "(None, 4)" in line and line.rstrip(" │").endswith("96")
        for line in lines
    )
    assert any(
        "(Dense)" in line and "(None, 1)" in line and line.rstrip(" │").endswith("5")
        for line in lines
    )
    assert " Total params: 101 (404.00 B)" in lines
    assert " Trainable params: 101 (404.00 B)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert len({len(line) for line in lines[1:8]}) == 1  # the box is rectangular


@pytest.mark.parametrize(
    "layers, counts",
    [  # Keras 3's own numbers for the same layers
        ([LSTM(4, input_shape=(None, 1)), Dense(1)], [96, 5]),
        ([GRU(4, input_shape=(None, 1)), Dense(1)], [84, 5]),  # reset_after: bias (2, 3H)
        ([SimpleRNN(4, input_shape=(None, 1)), Dense(1)], [24, 5]),
        ([Embedding(100, 8, input_shape=(10,)), LSTM(16), Dense(100)], [800, 1600, 1700]),
        ([Bidirectional(LSTM(4), input_shape=(None, 1)), Dense(1)], [192, 9]),
        (
            [
                LSTM(50, return_sequences=True, input_shape=(60, 1)),
                Dropout(0.2),
                LSTM(50),
                Dense(1),
            ],
            [10400, 0, 20200, 51],
        ),
    ],
)
def test_parameter_counts_match_keras(layers, counts):
    model = Sequential(layers)
    assert [layer.count_params() for layer in model.layers] == counts
    assert model.count_params() == sum(counts)


def test_output_shapes_are_inferred_at_add():
    model = Sequential()
    model.add(Embedding(20, 4, input_shape=(7,)))
    assert model.built and model.output_shape == (None, 7, 4)
    model.add(LSTM(5, return_sequences=True))
    model.add(Dense(20, activation="softmax"))
    assert model.output_shape == (None, 7, 20)


def test_a_model_without_input_shape_builds_on_first_data(rng):
    model = Sequential([LSTM(3), Dense(2)])
    assert not model.built
    assert model.predict(rng.standard_normal((5, 4, 6))).shape == (5, 2)
    assert model.input_shape == (None, 4, 6) and model.layers[0].params["kernel"].shape == (6, 12)


def test_unbuilt_summary_says_so(capsys):
    Sequential([LSTM(3), Dense(2)]).summary()
    out = capsys.readouterr().out
    assert "0 (unbuilt)" in out and "?" in out


def test_layer_names_are_unique_within_a_model():
    model = Sequential([LSTM(3, return_sequences=True, input_shape=(None, 2)), LSTM(3), Dense(1)])
    names = [layer.name for layer in model.layers]
    assert len(set(names)) == 3 and names[0].startswith("lstm") and names[1].startswith("lstm_")
    with pytest.raises(InputError, match="unique names.*'twin'"):
        Sequential([Dense(2, name="twin", input_shape=(3,)), Dense(2, name="twin")])


def test_add_rejects_what_a_sequential_model_cannot_run():
    with pytest.raises(InputError, match="layer.*Layer instance"):
        Sequential().add("lstm")
    with pytest.raises(InputError, match="return_state"):
        Sequential([LSTM(3, return_state=True)])


def test_compile_accepts_names_and_instances_and_rejects_unknown_ones():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    assert model.loss.from_logits and model.metrics == ["accuracy"]
    for kwargs, match in [
        ({"optimizer": "adamax", "loss": "mse"}, "optimizer"),
        ({"optimizer": "adam", "loss": "hinge"}, "loss"),
        ({"optimizer": "adam"}, "loss"),
        ({"optimizer": "adam", "loss": "mse", "metrics": ["f1"]}, "metrics"),
        ({"optimizer": "adam", "loss": "mse", "metrics": "mae"}, "metrics"),
    ]:
        with pytest.raises(InputError, match=match):
            model.compile(**kwargs)


def test_fit_and_evaluate_need_compile(rng):
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(InputError, match=r"compile\(optimizer, loss\) before fit"):
        model.fit(np.ones((2, 2)), np.ones((2, 1)))
    with pytest.raises(InputError, match="before evaluate"):
        model.evaluate(np.ones((2, 2)), np.ones((2, 1)))


def test_parameters_and_gradients_live_in_one_flat_buffer(tutorial_model):
    model = tutorial_model()
    offset = 0
    for layer in model.layers:
        for key, p in layer.params.items():
            assert np.shares_memory(p, model._params) and np.shares_memory(
                layer.grads[key], model._grads
            )
            np.testing.assert_array_equal(model._params[offset : offset + p.size], p.reshape(-1))
            offset += p.size
    assert offset == model._params.size == 101


def test_a_rebound_layer_array_is_taken_back_into_the_buffer(rng, tutorial_model):
    model = tutorial_model()
    lstm = model.layers[0]
    new_kernel = np.full((1, 16), 0.25, dtype=np.float32)
    lstm.params["kernel"] = new_kernel  # breaks the view, as a careless user might
    model.fit(rng.standard_normal((4, 2, 1)), rng.standard_normal((4, 1)), epochs=1, verbose=0)
    assert np.shares_memory(lstm.params["kernel"], model._params)
    assert not np.array_equal(lstm.params["kernel"], new_kernel)  # trained from 0.25, in place
    np.testing.assert_allclose(lstm.params["kernel"], 0.25, atol=0.01)


def test_layers_of_different_dtypes_cannot_share_a_model():
    with pytest.raises(InputError, match="one dtype"):
        Sequential([Dense(2, input_shape=(3,), dtype="float64"), Dense(1, dtype="float32")])


def test_get_and_set_weights_round_trip(rng, tutorial_model):
    a, b = tutorial_model(seed=1), tutorial_model(seed=2)
    x = rng.standard_normal((6, 3, 1))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    with pytest.raises(InputError, match="expects 5 weight arrays, got 2"):
        a.set_weights(a.get_weights()[:2])


def test_predict_in_batches_matches_one_batch(float64, rng):
    model = Sequential([GRU(5, input_shape=(None, 3)), Dense(2)])
    x = rng.standard_normal((70, 4, 3))
    np.testing.assert_allclose(model.predict(x), model.predict(x, batch_size=70), rtol=1e-12)
    assert model.predict(x, batch_size=7).shape == (70, 2)


def test_predict_does_not_change_weights_or_carry_state(rng, tutorial_model):
    model = tutorial_model()
    x = rng.standard_normal((5, 3, 1))
    before = model.get_weights()
    first = model.predict(x)
    np.testing.assert_array_equal(model.predict(x), first)
    for w, w0 in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, w0)


def test_predict_and_evaluate_keep_no_caches(rng, tutorial_model):
    """Inference does no training-time work: no layer holds a cache for backward after it."""
    model = tutorial_model()
    x, y = rng.standard_normal((8, 3, 1)), rng.standard_normal((8, 1))
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x)
    assert all(layer._cache is None for layer in model.layers)
    model.compute_gradients(x, y)
    model.evaluate(x, y, verbose=0)
    assert all(layer._cache is None for layer in model.layers)


def test_step_by_step_equals_the_whole_sequence(float64, rng):
    model = Sequential([LSTM(6, input_shape=(None, 3)), Dense(2)])
    x = rng.standard_normal((4, 5, 3))
    for t in range(5):
        y_t = model.step(x[:, t])
    np.testing.assert_allclose(y_t, model.predict(x), rtol=1e-12, atol=1e-14)
    model.reset_states()
    np.testing.assert_allclose(model.step(x[:, 0]), model.predict(x[:, :1]), rtol=1e-12)


def test_step_with_embedding_ids(float64, rng):
    V = 7
    model = Sequential(
        [
            Embedding(V, 4, input_shape=(None,)),
            GRU(5, return_sequences=True),
            Dense(V, activation="softmax"),
        ]
    )
    ids = rng.integers(0, V, (2, 6))
    full = model.predict(ids)  # (2, 6, V)
    stepped = np.stack([model.step(ids[:, t]) for t in range(6)], axis=1)
    np.testing.assert_allclose(stepped, full, rtol=1e-12, atol=1e-14)


def test_step_needs_a_built_model():
    with pytest.raises(InputError, match="step\\(\\) needs a built model"):
        Sequential([LSTM(2)]).step(np.ones((1, 1)))


def test_set_seed_gives_identical_initial_weights(tutorial_model):
    a, b = tutorial_model(seed=3), tutorial_model(seed=3)
    for u, v in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(u, v)
    unrolled.set_seed(4)
    c = Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
