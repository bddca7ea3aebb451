"""The cell table the tasks share: read off the layer classes, and the one the tasks use."""

import numpy as np
import pytest

from unrolled.layers import GRU, LSTM, SimpleRNN
from unrolled.tasks._shared import cells
from unrolled.tasks.forecast import model as forecast_model
from unrolled.tasks.gradients import report as gradients_report
from unrolled.tasks.gradients import task as gradients
from unrolled.tasks.memory import report as memory_report
from unrolled.tasks.memory import task as memory
from unrolled.tasks.memory import train as memory_train
from unrolled.tasks.trace import nets as trace_nets
from unrolled.tasks.trace import report as trace_report
from unrolled.tasks.trace import task as trace


def test_the_table_names_each_cell_once():
    assert cells.KINDS == ("rnn", "lstm", "gru")  # seeds use the index: the order is fixed
    assert list(cells.LAYERS.items()) == [("rnn", SimpleRNN), ("lstm", LSTM), ("gru", GRU)]
    assert cells.NAMES == {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
    assert cells.KIND_OF == {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
    assert cells.GATES == {"rnn": 1, "lstm": 4, "gru": 3}
    for kind, labels in cells.GATE_LABELS.items():
        assert len(labels) == cells.GATES[kind]


def test_the_tasks_use_the_shared_table():
    assert gradients.Config().cells is cells.KINDS
    assert memory.Config().cells is cells.KINDS
    for report in (trace_report, gradients_report, memory_report):
        assert report.NAMES is cells.NAMES
    assert trace_nets.KIND_OF is cells.KIND_OF
    for module in (trace, gradients, memory_train, forecast_model):
        assert not hasattr(module, "CELLS")  # no copy of its own left behind
    assert not hasattr(trace_nets, "LAYER_KINDS")


@pytest.mark.parametrize("kind", cells.KINDS)
def test_initial_bias_is_what_the_layer_builds(kind):
    H = 3
    layer = cells.LAYERS[kind](H, input_shape=(None, 2), dtype="float64")
    layer.build((None, None, 2), rng=np.random.default_rng(0))
    expected = layer.params["bias"]  # zeros, the LSTM's forget gate 1 (unit_forget_bias)
    b = cells.initial_bias(kind, H)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(b, expected)
    assert b.sum() == (H if kind == "lstm" else 0)


def test_gradients_and_trace_build_the_same_initial_bias():
    config = gradients.Config(hidden=3, inputs=4)
    rng = np.random.default_rng(0)
    for kind in cells.KINDS:
        _, _, b = gradients.make_weights(kind, 1.0, config, rng)
        np.testing.assert_array_equal(trace_nets.random_net(kind, 0).b, b)
