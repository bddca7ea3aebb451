"""Golden values from Keras's own tests: constant weights (kernel 0.01, recurrent 0.02,
bias 0.03) on np.arange inputs. Sources (keras-team/keras, Keras 3):
    keras/src/layers/rnn/simple_rnn_test.py   keras/src/layers/rnn/lstm_test.py
    keras/src/layers/rnn/gru_test.py          keras/src/layers/rnn/bidirectional_test.py
Each expected row is one batch element; the units of a row are all equal (constant weights),
except where an initial state breaks the symmetry. Keras computed these in float32; we
run in float64 and compare at 1e-6. The masked sequences come in both of Keras's
variants: the default repeats the last output at a masked step, zero_output_for_mask=True
gives 0 (test_keras_parity.py checks both against Keras itself too).
"""

import numpy as np
import pytest

from unrolled.layers import GRU, LSTM, Bidirectional, SimpleRNN

LAYERS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
KERAS_CONSTANTS = {
    "kernel_initializer": {"class_name": "Constant", "config": {"value": 0.01}},
    "recurrent_initializer": {"class_name": "Constant", "config": {"value": 0.02}},
    "bias_initializer": {"class_name": "Constant", "config": {"value": 0.03}},
}


def make(kind, units, **kwargs):
    return LAYERS[kind](units, dtype="float64", **{**KERAS_CONSTANTS, **kwargs})


def rows(*values, units):
    """Expected (N, units) array whose row n repeats values[n]."""
    return np.repeat(np.array(values)[:, None], units, axis=1)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7)


SEQ_2x3x4 = np.arange(24.0).reshape(2, 3, 4)
SEQ_2x4x3 = np.arange(24.0).reshape(2, 4, 3)
SEQ_3x6x4 = np.arange(72.0).reshape(3, 6, 4)


# (kind, units, layer options, input, expected final output) from each file's test_correctness
CORRECTNESS = [
    ("rnn", 4, {}, SEQ_2x3x4, rows(0.405432, 0.73605347, units=4)),
    ("rnn", 4, {"go_backwards": True}, SEQ_2x3x4, rows(0.11144729, 0.5528889, units=4)),
    ("lstm", 3, {}, SEQ_3x6x4, rows(0.6288687, 0.86899155, 0.9460773, units=3)),
    (
        "lstm",
        3,
        {"go_backwards": True},
        SEQ_3x6x4,
        rows(0.35622165, 0.74789524, 0.8872726, units=3),
    ),
    (
        "lstm",
        3,
        {"unit_forget_bias": False},
        SEQ_3x6x4,
        rows(0.57019705, 0.8661914, 0.9459622, units=3),
    ),
    ("lstm", 3, {"use_bias": False}, SEQ_3x6x4, rows(0.54986924, 0.86226785, 0.9443936, units=3)),
    ("gru", 3, {}, SEQ_3x6x4, rows(0.5217289, 0.6371659, 0.39384964, units=3)),
    ("gru", 3, {"go_backwards": True}, SEQ_3x6x4, rows(0.24406259, 0.611516, 0.3928808, units=3)),
    ("gru", 3, {"use_bias": False}, SEQ_3x6x4, rows(0.49988455, 0.64701194, 0.4103359, units=3)),
    (
        "gru",
        3,
        {"reset_after": False},
        SEQ_3x6x4,
        rows(0.51447755, 0.6426879, 0.40208298, units=3),
    ),
]


@pytest.mark.parametrize("kind, units, options, x, expected", CORRECTNESS)
def test_correctness(kind, units, options, x, expected):
    close(make(kind, units, **options).forward(x), expected)


# test_statefulness: the second call on the same batch continues from the first's state
STATEFUL = [
    ("rnn", 4, rows(0.40559256, 0.7361247, units=4)),
    ("lstm", 4, rows(0.3124785, 0.6863672, units=4)),
    ("gru", 4, rows(0.29542392, 0.5885018, units=4)),
]


@pytest.mark.parametrize("kind, units, expected", STATEFUL)
def test_statefulness(kind, units, expected):
    layer = make(kind, units, stateful=True)
    layer.forward(SEQ_2x3x4)
    close(layer.forward(SEQ_2x3x4), expected)
    layer.reset_states()
    layer.forward(SEQ_2x3x4)
    close(layer.forward(SEQ_2x3x4), expected)


H0_2x4 = np.arange(8.0).reshape(2, 4)
H0_2x2 = np.arange(4.0).reshape(2, 2)

# test_pass_initial_state (and GRU's test_pass_return_state: the state equals the output)
INITIAL_STATE = [
    ("rnn", 4, {}, [H0_2x4], rows(0.33621645, 0.6262637, units=4)),
    ("rnn", 4, {"go_backwards": True}, [H0_2x4], rows(0.07344437, 0.43043602, units=4)),
    ("lstm", 2, {}, [H0_2x2, H0_2x2], [[0.20574439, 0.3558822], [0.64930826, 0.66276]]),
    (
        "lstm",
        2,
        {"go_backwards": True},
        [H0_2x2, H0_2x2],
        [[0.13281618, 0.2790356], [0.5839337, 0.5992567]],
    ),
    ("gru", 2, {}, [H0_2x2], [[0.23774096, 0.33508456], [0.83659905, 1.0227708]]),
    (
        "gru",
        2,
        {"go_backwards": True},
        [H0_2x2],
        [[0.13486053, 0.23261218], [0.78257304, 0.9691353]],
    ),
]


@pytest.mark.parametrize("kind, units, options, initial_state, expected", INITIAL_STATE)
def test_initial_state(kind, units, options, initial_state, expected):
    layer = make(kind, units, return_state=True, **options)
    y, h, *_ = layer.forward(SEQ_2x4x3, initial_state=initial_state)
    close(y, expected)
    close(h, expected)


MASK = np.array([[True, True, False, True], [True, False, False, True]])
LSTM_MASK = np.array([[True, True, True, False], [True, True, False, False]])

# test_masking: final outputs
MASKED_FINAL = [
    ("rnn", 4, {}, MASK, rows(0.32951632, 0.61799484, units=4)),
    ("rnn", 4, {"go_backwards": True}, MASK, rows(0.07376196, 0.43645123, units=4)),
    ("lstm", 2, {}, LSTM_MASK, rows(0.11755939, 0.28556206, units=2)),
    ("lstm", 2, {"go_backwards": True}, LSTM_MASK[:, ::-1], rows(0.15341201, 0.3844719, units=2)),
    ("gru", 2, {}, MASK, rows(0.19393763, 0.30818558, units=2)),
    ("gru", 2, {"go_backwards": True}, MASK, rows(0.11669192, 0.28380975, units=2)),
]


@pytest.mark.parametrize("kind, units, options, mask, expected", MASKED_FINAL)
def test_masked_final_output(kind, units, options, mask, expected):
    close(make(kind, units, **options).forward(SEQ_2x4x3, mask=mask), expected)


# test_masking with return_sequences: the last output repeated at masked steps (Keras's
# default), or with zero_output_for_mask=True, 0 there
MASKED_SEQUENCES = [
    (
        "rnn",
        False,
        MASK,
        [
            [0.0599281, 0.15122814, 0.15122814, 0.32394567],
            [0.3969304, 0.3969304, 0.3969304, 0.608085],
        ],
    ),
    (
        "rnn",
        True,
        MASK,
        [[0.0599281, 0.15122814, 0.0, 0.32394567], [0.3969304, 0.0, 0.0, 0.608085]],
    ),
    (
        "lstm",
        False,
        LSTM_MASK,
        [
            [0.0158891, 0.05552048, 0.11755939, 0.11755939],
            [0.14185596, 0.28556206, 0.28556206, 0.28556206],
        ],
    ),
    (
        "lstm",
        True,
        LSTM_MASK,
        [[0.0158891, 0.05552048, 0.11755939, 0.0], [0.14185596, 0.28556206, 0.0, 0.0]],
    ),
    (
        "gru",
        False,
        MASK,
        [
            [0.03606692, 0.09497581, 0.09497581, 0.19393763],
            [0.16051409, 0.16051409, 0.16051409, 0.30818558],
        ],
    ),
    (
        "gru",
        True,
        MASK,
        [[0.03606692, 0.09497581, 0.0, 0.19393763], [0.16051409, 0.0, 0.0, 0.30818558]],
    ),
]


@pytest.mark.parametrize("kind, zero_output_for_mask, mask, expected", MASKED_SEQUENCES)
def test_masked_sequences(kind, zero_output_for_mask, mask, expected):
    layer = make(kind, 2, return_sequences=True, zero_output_for_mask=zero_output_for_mask)
    close(layer.forward(SEQ_2x4x3, mask=mask), np.repeat(np.array(expected)[:, :, None], 2, axis=2))


def test_bidirectional_merge_modes():
    """bidirectional_test.py test_correctness: concat, ave, None, mul, and sum of sequences."""
    fw = make("rnn", 2)
    fw_out, bw_out = rows(0.39687276, 0.7237238, units=2), rows(0.10004295, 0.53391594, units=2)
    close(Bidirectional(fw).forward(SEQ_2x3x4), np.concatenate([fw_out, bw_out], axis=1))
    close(
        Bidirectional(fw, merge_mode="ave").forward(SEQ_2x3x4), rows(0.24845785, 0.6288199, units=2)
    )
    y_fw, y_bw = Bidirectional(fw, merge_mode=None).forward(SEQ_2x3x4)
    close(y_fw, fw_out)
    close(y_bw, bw_out)
    bw = SimpleRNN(
        2,
        dtype="float64",
        go_backwards=True,
        kernel_initializer={"class_name": "Constant", "config": {"value": 0.03}},
        recurrent_initializer={"class_name": "Constant", "config": {"value": 0.02}},
        bias_initializer={"class_name": "Constant", "config": {"value": 0.01}},
    )
    mul = Bidirectional(fw, backward_layer=bw, merge_mode="mul")
    close(mul.forward(SEQ_2x3x4), rows(0.08374989, 0.6740834, units=2))
    summed = Bidirectional(make("gru", 2, return_sequences=True), merge_mode="sum")
    expected = [[0.20937867, 0.34462988, 0.40290534], [0.59829646, 0.6734641, 0.6479671]]
    close(summed.forward(SEQ_2x3x4), np.repeat(np.array(expected)[:, :, None], 2, axis=2))


def test_bidirectional_stateful():
    layer = Bidirectional(make("lstm", 2, stateful=True))
    expected = [
        [0.26234663, 0.26234663, 0.16959146, 0.16959146],
        [0.6137073, 0.6137073, 0.5381646, 0.5381646],
    ]
    layer.forward(SEQ_2x4x3)
    close(layer.forward(SEQ_2x4x3), expected)
    layer.reset_states()
    layer.forward(SEQ_2x4x3)
    close(layer.forward(SEQ_2x4x3), expected)


def test_bidirectional_initial_state_mask_and_return_state():
    states = [H0_2x2 * k for k in (1, 2, 3, 4)]  # h_fw, c_fw, h_bw, c_bw
    y = Bidirectional(make("lstm", 2)).forward(SEQ_2x4x3, initial_state=states)
    close(
        y,
        [
            [0.20794602, 0.4577124, 0.14046375, 0.48191673],
            [0.6682636, 0.6711909, 0.60943645, 0.60950446],
        ],
    )

    y = Bidirectional(make("gru", 2)).forward(SEQ_2x4x3, mask=MASK)
    close(
        y,
        [
            [0.19393763, 0.19393763, 0.11669192, 0.11669192],
            [0.30818558, 0.30818558, 0.28380975, 0.28380975],
        ],
    )

    y, h1, c1, h2, c2 = Bidirectional(make("lstm", 2, return_state=True)).forward(SEQ_2x4x3)
    close(
        y,
        [
            [0.1990008, 0.1990008, 0.12659755, 0.12659755],
            [0.52335435, 0.52335435, 0.44717982, 0.44717982],
        ],
    )
    close(h1, rows(0.1990008, 0.52335435, units=2))
    close(c1, rows(0.35567185, 1.0492687, units=2))
    close(h2, rows(0.12659755, 0.44717982, units=2))
    close(c2, rows(0.2501858, 0.941473, units=2))
