"""RNN(cell): the built-in cells step for step equal to SimpleRNN, LSTM and GRU (outputs,
states and every gradient, in every option), float64 gradient checks of stacked cells and of
a cell written here to the documented contract, Keras 3.15's RNN on the same cells, models,
files, and the one-line errors."""

import functools
import json
import re
from pathlib import Path

import numpy as np
import pytest

import unrolled
from unrolled.errors import InputError
from unrolled.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Dense,
    GRUCell,
    Layer,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    deserialize,
    serialize,
)

N, T, D, H = 3, 5, 4, 3
HOLES = np.array([[True, False, True, True, False], [False, False, True, True, True], [False] * 5])
PAIRS = {  # cell -> the fused layer with the same math
    "rnn": (SimpleRNNCell, SimpleRNN),
    "lstm": (LSTMCell, LSTM),
    "gru": (GRUCell, GRU),
    "gru_reset_before": (
        functools.partial(GRUCell, reset_after=False),
        functools.partial(GRU, reset_after=False),
    ),
}
OPTIONS = {
    "last output": ({}, {}),
    "sequences, state": ({"return_sequences": True, "return_state": True}, {}),
    "masked": ({"return_sequences": True}, {"mask": HOLES, "initial_state": True}),
    "masked, zero outputs": (
        {"return_sequences": True, "zero_output_for_mask": True},
        {"mask": HOLES},
    ),
    "masked last output": ({"return_state": True}, {"mask": HOLES, "initial_state": True}),
    "backwards": ({"go_backwards": True, "return_sequences": True}, {"mask": HOLES}),
}


def run(layer, x, upstream, **call):
    """Outputs and gradients (weights, x, initial states) of L = sum(out * upstream)."""
    out = layer.forward(x, training=True, **call)
    outs = out if isinstance(out, list) else [out]
    dx = layer.backward(upstream if isinstance(out, list) else upstream[0])
    grads = [layer.grads[k].copy() for k in layer.params] + [dx]
    return outs, grads + [d for d in layer.dinitial_state or [] if d is not None]


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("kind", PAIRS)
def test_cells_step_for_step_equal_the_fused_layers(kind, option, rng):
    make_cell, make_layer = PAIRS[kind]
    options, call = OPTIONS[option]
    fused = make_layer(H, dtype="float64", bias_initializer="random_normal", **options)
    stepped = RNN(make_cell(H, dtype="float64"), **options)
    fused.build((None, T, D))
    stepped.build((None, T, D))
    stepped.set_weights(fused.get_weights())
    x = rng.standard_normal((N, T, D))
    if call.pop("initial_state", False):
        call["initial_state"] = [rng.standard_normal((N, H)) for _ in fused.state_sizes]
    shapes = fused.compute_output_shape((N, T, D))
    upstream = [rng.standard_normal(s) for s in (shapes if isinstance(shapes, list) else [shapes])]
    for a, b in zip(*(run(l, x, upstream, **call) for l in (stepped, fused)), strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-11, atol=1e-13)


class MinimalCell(Layer):
    """A cell written to the contract in rnn.py: h_t = tanh(x_t K + h_{t-1} R), y_t = 2 h_t."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units

    def _make_params(self, input_shape, rng):
        D = input_shape[-1]
        return {
            "kernel": rng.standard_normal((D, self.units)).astype(self.dtype),
            "recurrent_kernel": rng.standard_normal((self.units, self.units)).astype(self.dtype),
        }

    def call(self, x_t, states, training=False):
        h = np.tanh(x_t @ self.params["kernel"] + states[0] @ self.params["recurrent_kernel"])
        return 2 * h, [h]  # an output that is not the state

    def backward(self, dy_t, dnew_states, x_t, states):
        h = self.call(x_t, states)[1][0]
        da = (2 * dy_t + dnew_states[0]) * (1 - h * h)  # through tanh
        self.grads["kernel"] += x_t.T @ da
        self.grads["recurrent_kernel"] += states[0].T @ da
        return da @ self.params["kernel"].T, [da @ self.params["recurrent_kernel"].T]


class Counter:
    """A cell that is not a Layer and has no weights: s_t = s_{t-1} + x_t, y_t = s_t."""

    state_size = [D]

    def call(self, x_t, states, training=False):
        s = states[0] + x_t
        return s, [s]

    def backward(self, dy_t, dnew_states, x_t, states):
        d = dy_t + dnew_states[0]
        return d, [d]


CELLS = {
    "stacked": lambda: [LSTMCell(H, dtype="float64"), GRUCell(2, dtype="float64")],
    "stacked, reset before": lambda: StackedRNNCells(
        [SimpleRNNCell(2, dtype="float64"), GRUCell(H, reset_after=False, dtype="float64")]
    ),
    "minimal": lambda: MinimalCell(H, dtype="float64"),
    "counter": lambda: Counter(),
    "stacked with minimal": lambda: [MinimalCell(2, dtype="float64"), LSTMCell(H)],
}


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_rnn_gradients(cell, option, rng, max_gradient_error):
    options, call = OPTIONS[option]
    layer = RNN(CELLS[cell](), dtype="float64", **options)
    layer.build((None, T, D), rng=np.random.default_rng(0))
    x = rng.standard_normal((N, T, D))
    if call.pop("initial_state", False):
        call["initial_state"] = [rng.standard_normal((N, s)) for s in layer.state_sizes]
    assert max_gradient_error(layer, x, **call) < 1e-6


def test_the_cell_in_docs_keeps_the_contract(rng, max_gradient_error):
    """docs/keras.md's example cell runs, and its backward is right."""
    docs = (Path(__file__).parents[2] / "docs" / "keras.md").read_text(encoding="utf-8")
    code = re.search(r"## Writing a cell.*?```python\n(.*?)```", docs, re.S).group(1)
    namespace = {}
    exec(code, namespace)  # our own documentation
    layer = RNN(namespace["MinimalRNNCell"](H, dtype="float64"), return_sequences=True)
    layer.build((None, T, D), rng=np.random.default_rng(0))
    assert max_gradient_error(layer, rng.standard_normal((N, T, D)), mask=HOLES) < 1e-6


@pytest.mark.parametrize("kind", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_rnn_of_a_cell_matches_keras(keras, keras_parity, kind):
    bias = keras.initializers.RandomNormal(stddev=0.5, seed=1)
    theirs = keras.layers.RNN(
        getattr(keras.layers, kind)(H, bias_initializer=bias, dtype="float64"),
        return_sequences=True,
        dtype="float64",
    )
    ours = RNN(getattr(unrolled.layers, kind)(H, dtype="float64"), return_sequences=True)
    x = np.random.default_rng(0).standard_normal((N, T, D))
    keras_parity(theirs, ours, x, mask=HOLES)


def test_stacked_cells_match_keras(keras, keras_parity):
    cells = [
        keras.layers.LSTMCell(H, dtype="float64"),
        keras.layers.GRUCell(2, reset_after=False, dtype="float64"),
    ]  # the stack gets float64 too: a list would make a float32 one that casts between cells
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells(cells, dtype="float64"), return_state=True, dtype="float64"
    )
    ours = RNN([LSTMCell(H), GRUCell(2, reset_after=False)], return_state=True, dtype="float64")
    x = np.random.default_rng(1).standard_normal((N, T, D))
    keras_parity(theirs, ours, x, mask=HOLES)  # Keras nests the states per cell; we don't


def test_in_a_model_it_trains_steps_saves_and_reloads(tmp_path, rng):
    unrolled.set_seed(0)
    model = unrolled.Sequential(
        [
            RNN([LSTMCell(4), GRUCell(3)], return_sequences=True, input_shape=(None, 2)),
            Bidirectional(RNN(SimpleRNNCell(2))),
            Dense(1),
        ]
    )
    x, y = rng.standard_normal((8, 6, 2)), rng.standard_normal((8, 1))
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.npz")
    loaded = unrolled.load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    stepper = unrolled.Sequential([RNN(LSTMCell(4), input_shape=(None, 2)), Dense(1)])
    whole = stepper.predict(x[:, :3])
    for t in range(3):
        last = stepper.step(x[:, t])
    np.testing.assert_allclose(last, whole, rtol=1e-5)


def test_config_round_trip_and_settings_reach_the_cell():
    layer = RNN(
        [LSTMCell(3, unit_forget_bias=False), GRUCell(2, reset_after=False)], go_backwards=True
    )
    config = json.loads(json.dumps(serialize(layer)))
    copy = deserialize(config)
    assert copy.get_config() == layer.get_config()
    assert [type(c) for c in copy.cell.cells] == [LSTMCell, GRUCell]
    cell = GRUCell(4)
    cell.activation = None  # as on the layer: checked there
    assert cell.activation == "linear" and cell.get_config()["activation"] == "linear"
    cell.build((None, 3))
    assert cell.params["bias"].shape == (2, 12)
    with pytest.raises(InputError, match="is built, and `units` fixes its weights' shapes"):
        cell.units = 5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: RNN(object()), r"`cell`, expected a cell with call.*\(missing: call, backward"),
        (
            lambda: LSTMCell(3, return_sequences=True),
            "`return_sequences`, which belongs to the RNN",
        ),
        (lambda: GRUCell(3, dropout=0.2), r"`dropout`, expected 0 in a cell"),
        (lambda: SimpleRNNCell(3, implementation=1), "unknown argument `implementation`"),
        (lambda: LSTMCell(3, activation="swish"), "`activation`, expected one of"),
        (lambda: RNN([]), r"`cells`, expected a non-empty list of cells"),
        (lambda: serialize(RNN(Counter())), r"a cell of your own \(Counter\) cannot be saved"),
        (
            lambda: deserialize({"class_name": "RNN", "config": {"cell": {"class_name": "X"}}}),
            "`cell`, expected one of",
        ),
    ],
)
def test_errors_are_one_line(make, match):
    with pytest.raises(InputError, match=match) as info:
        make()
    assert "\n" not in str(info.value)
