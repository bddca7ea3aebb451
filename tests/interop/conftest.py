"""The model zoo the interop tests share: every layer kind and option that export and
to_module cover, each in a small Sequential; and the optional packages as fixtures that skip
locally but fail under CI=true when a package is missing (as the `torch` fixture does)."""

import os
import types

import numpy as np
import pytest

import unrolled
from unrolled import config
from unrolled.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Masking,
    RepeatVector,
    SimpleRNN,
    TimeDistributed,
)


def _optional(name, pip):
    try:
        return __import__(name)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI=true: pip install {pip}")
        pytest.skip(f"{name} not installed (pip install {pip})")


@pytest.fixture
def onnx():
    return _optional("onnx", "onnx")


@pytest.fixture
def onnxruntime():
    return _optional("onnxruntime", "onnxruntime")


def _case(layers, ids=None, features=3, trains=True, mask=None):
    """layers: () -> a fresh list of layers; ids: the vocabulary size V for an Embedding-first
    model (else float inputs of `features`); trains: fit works on it (one output array);
    mask: the value a padded step holds, for a model that masks."""
    return types.SimpleNamespace(
        layers=layers, ids=ids, features=features, trains=trains, mask=mask
    )


ZOO = {
    "embedding_rnn_lstm": _case(
        lambda: [
            Embedding(11, 4, input_shape=(None,)),
            SimpleRNN(5, return_sequences=True),
            LSTM(4),
            Dense(3, activation="softmax"),
        ],
        ids=11,
    ),
    "simple_rnn_activations": _case(
        lambda: [
            Dense(4, activation="tanh", input_shape=(None, 3)),
            SimpleRNN(4, activation="relu", return_sequences=True),
            SimpleRNN(3, activation="sigmoid", return_sequences=True, go_backwards=True),
            SimpleRNN(3, activation="linear", use_bias=False),
            Dense(2, activation="relu"),
        ]
    ),
    "lstm_options": _case(
        lambda: [
            LSTM(4, activation="sigmoid", return_sequences=True, input_shape=(None, 3)),
            LSTM(3, recurrent_activation="tanh", go_backwards=True, return_sequences=True),
            LSTM(3, activation="linear", use_bias=False, return_sequences=True),
            LSTM(3, activation="relu"),
            Dense(2, activation="sigmoid"),
        ]
    ),
    "gru_options": _case(
        lambda: [
            GRU(4, go_backwards=True, return_sequences=True, input_shape=(None, 3)),
            GRU(3, activation="relu", return_sequences=True),
            GRU(3, recurrent_activation="tanh", use_bias=False),
            Dense(1),
        ]
    ),
    "bidirectional_concat": _case(
        lambda: [
            Bidirectional(LSTM(3, return_sequences=True), input_shape=(None, 3)),
            Bidirectional(GRU(2)),
            Dense(2),
        ]
    ),
    "bidirectional_sum": _case(
        lambda: [
            Bidirectional(
                GRU(3, activation="relu", return_sequences=True),
                merge_mode="sum",
                input_shape=(None, 3),
            ),
            TimeDistributed(Dense(2, activation="tanh")),
        ]
    ),
    "bidirectional_mul": _case(
        lambda: [
            Bidirectional(
                SimpleRNN(3, return_sequences=True), merge_mode="mul", input_shape=(None, 3)
            ),
            Bidirectional(LSTM(2, go_backwards=True), merge_mode="mul"),
            Dense(1),
        ]
    ),
    "bidirectional_ave": _case(
        lambda: [
            Bidirectional(LSTM(3, activation="sigmoid"), merge_mode="ave", input_shape=(None, 3)),
            Dense(2, activation="softmax"),
        ]
    ),
    "bidirectional_none": _case(
        lambda: [
            Bidirectional(GRU(3, return_sequences=True), merge_mode=None, input_shape=(None, 3))
        ],
        trains=False,
    ),
    "seq2seq": _case(
        lambda: [
            LSTM(4, input_shape=(None, 2)),
            RepeatVector(5),  # fit checks targets against the input length (see report)
            LSTM(4, return_sequences=True),
            TimeDistributed(Dense(2)),
        ],
        features=2,
    ),
    "dropout": _case(
        lambda: [
            Dropout(0.2, input_shape=(None, 3)),
            LSTM(4, dropout=0.3, recurrent_dropout=0.4, return_sequences=True),
            GRU(3, recurrent_dropout=0.25, return_sequences=True),
            TimeDistributed(Dropout(0.1)),
            Bidirectional(SimpleRNN(2, dropout=0.2, recurrent_dropout=0.2)),
            Dense(2),
        ]
    ),
    "masking": _case(
        lambda: [
            Masking(0.0, input_shape=(None, 3)),
            LSTM(4, return_sequences=True),
            Bidirectional(GRU(3, return_sequences=True)),
            SimpleRNN(3, go_backwards=True),
            Dense(1),
        ],
        mask=0.0,
    ),
    "embedding_mask_zero": _case(
        lambda: [
            Embedding(9, 3, mask_zero=True, input_shape=(None,)),
            SimpleRNN(3, activation="relu", return_sequences=True),
            Bidirectional(LSTM(2)),
            Dense(2),
        ],
        ids=9,
        mask=0,
    ),
    "stateful": _case(
        lambda: [
            Embedding(7, 3, input_shape=(None,)),
            LSTM(4, stateful=True, return_sequences=True),
            GRU(3, stateful=True, return_sequences=True),
            Dense(7),
        ],
        ids=7,
    ),
}


def build(name, dtype="float32", seed=0):
    """The zoo's model `name`, built in `dtype` with seeded weights; then biases made nonzero
    (they start at 0, which would hide a bias in the wrong place)."""
    old = config.floatx()
    unrolled.set_floatx(dtype)
    unrolled.set_seed(seed)
    try:
        model = unrolled.Sequential(ZOO[name].layers(), name=name)
    finally:
        unrolled.set_floatx(np.dtype(old).name)
    rng = np.random.default_rng(seed)
    model.set_weights([w + 0.3 * rng.standard_normal(w.shape) for w in model.get_weights()])
    return model


def inputs(name, N, T, seed=1):
    """A batch for the zoo's model `name`: ids (N, T) or features (N, T, D); for a masking
    model, padding at the start of sample 0, the end of sample 1 and mid-sample 2."""
    case, rng = ZOO[name], np.random.default_rng([seed, N, T])
    if case.ids:
        x = rng.integers(1, case.ids, (N, T))
    else:
        x = rng.standard_normal((N, T, case.features))
    if case.mask is not None:
        for n, steps in ((0, slice(0, 2)), (1, slice(-1, None)), (2, slice(T // 2, T // 2 + 1))):
            if n < N:
                x[n, steps] = case.mask
    return x


@pytest.fixture(params=sorted(ZOO))
def zoo_name(request):
    return request.param


@pytest.fixture(params=sorted(name for name, case in ZOO.items() if case.trains))
def trainable_zoo_name(request):
    return request.param


@pytest.fixture
def zoo():
    """The zoo's helpers: ZOO, build(name, dtype, seed), inputs(name, N, T)."""
    return types.SimpleNamespace(ZOO=ZOO, build=build, inputs=inputs)
