"""pad_sequences and to_categorical: Keras's results for its documented cases, and the errors."""

import numpy as np
import pytest

from unrolled.data import pad_sequences, to_categorical
from unrolled.errors import InputError

SEQS = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize(
    "kwargs, expected",
    [  # the examples of Keras's pad_sequences docstring and tests
        ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
        ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
        ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
        ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
        ({"maxlen": 2, "truncating": "post"}, [[0, 1], [2, 3], [4, 5]]),
        ({"maxlen": 4, "padding": "post"}, [[1, 0, 0, 0], [2, 3, 0, 0], [4, 5, 6, 0]]),
    ],
)
def test_pad_sequences_matches_keras(kwargs, expected):
    out = pad_sequences(SEQS, **kwargs)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int32


def test_vector_steps_empty_sequences_and_float_values():
    seqs = [np.ones((2, 3)), np.zeros((0, 3)), 2 * np.ones((3, 3))]
    out = pad_sequences(seqs, dtype="float32", value=-1.0, padding="post")
    assert out.shape == (3, 3, 3) and out.dtype == np.float32
    assert (out[0, :2] == 1).all() and (out[0, 2] == -1).all() and (out[1] == -1).all()
    assert pad_sequences([[], []]).shape == (2, 0)
    mixed = pad_sequences([[], np.ones((2, 3))], dtype="float32")  # an empty one is all filler
    assert mixed.shape == (2, 2, 3) and not mixed[0].any() and (mixed[1] == 1).all()
    np.testing.assert_array_equal(pad_sequences([[1.0, 2.0]]), [[1, 2]])  # whole floats: fine


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sequences": SEQS, "padding": "left"}, r"`padding`.*'pre' or 'post'.*'left'"),
        ({"sequences": SEQS, "truncating": "end"}, r"`truncating`.*'end'"),
        ({"sequences": SEQS, "maxlen": 0}, "`maxlen`"),
        ({"sequences": "abc"}, "`sequences`"),
        ({"sequences": [[1, 2], 3]}, "`sequences`.*got '3 at position 1'"),
        ({"sequences": [["a", "b"]]}, "`sequences`.*numbers"),
        ({"sequences": [[[1, 2], [3]]]}, "sequence 0 has steps of different lengths"),
        ({"sequences": SEQS, "dtype": "nope"}, "`dtype`.*'nope'"),
        ({"sequences": SEQS, "value": "x"}, "`value`.*within int32.*'x'"),
        ({"sequences": [[0.5, 1.0]]}, "`dtype`.*dtype='float32'"),  # never cut 0.5 to 0
        ({"sequences": [[2**40]]}, "`dtype`.*fit int32"),  # never wrap around
        ({"sequences": [[-1, 3]], "dtype": "uint8"}, "`dtype`.*fit uint8"),
        ({"sequences": [[np.inf]]}, "`dtype`.*whole numbers"),
        ({"sequences": SEQS, "value": 0.5}, "`value`.*whole number within int32"),
        ({"sequences": SEQS, "value": 300, "dtype": "int8"}, "`value`.*within int8"),
        ({"sequences": [np.ones((2, 3)), np.ones((2, 4))]}, r"steps of one shape.*\(3,\).*\(4,\)"),
    ],
)
def test_pad_sequences_errors_are_one_line(kwargs, message):
    with pytest.raises(InputError, match=message) as error:
        pad_sequences(**kwargs)
    assert "\n" not in str(error.value)


def test_to_categorical_matches_keras():
    np.testing.assert_array_equal(to_categorical([0, 2, 1]), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    y = to_categorical(np.array([[1], [3]]), num_classes=5)  # a trailing 1 is the ids' axis
    assert y.shape == (2, 5) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=-1), [1, 3])
    ids = np.array([[0, 1, 2], [2, 2, 0]])
    onehot = to_categorical(ids, 4)
    assert onehot.shape == (2, 3, 4)
    np.testing.assert_array_equal(onehot.argmax(axis=-1), ids)
    np.testing.assert_array_equal(onehot.sum(axis=-1), 1)


@pytest.mark.parametrize(
    "y, kwargs, message",
    [
        ([0, 3], {"num_classes": 3}, r"from 0 to 3, outside \[0, 3\)"),
        ([-1, 1], {}, r"from -1 to 1"),
        ([0.5, 1.0], {}, "`y`.*integer class ids"),
        (["a"], {}, "`y`.*integer class ids"),
        ([1], {"num_classes": 0}, "`num_classes`"),
        ([np.inf], {}, "`y`.*integer class ids"),
        ([1e20], {}, "`y`.*integer class ids"),
    ],
)
def test_to_categorical_errors_are_one_line(y, kwargs, message):
    with pytest.raises(InputError, match=message):
        to_categorical(y, **kwargs)
