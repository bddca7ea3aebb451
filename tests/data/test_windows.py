"""Windows: exact contents on small inputs, no leakage, clear errors."""

import numpy as np
import pytest

from unrolled.data import (
    Vocabulary,
    char_rnn_batches,
    lm_windows,
    sequence_chunks,
    sliding_windows,
    train_val_split,
)
from unrolled.errors import InputError


def test_lm_windows_on_words():
    v = Vocabulary("word").fit("a b c d e")
    ids = v.encode("a b c d e")  # all counts tie -> ids 0..4 in order
    X, y = lm_windows(ids, 3)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(y, [3, 4])
    assert X.dtype == np.int64 and X.flags.c_contiguous and not np.shares_memory(X, ids)
    assert [v.decode(x) for x in X] == ["a b c", "b c d"]


def test_sequence_chunks_shifted_by_one():
    ids = np.arange(10)
    X, Y = sequence_chunks(ids, 3)
    np.testing.assert_array_equal(X, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    np.testing.assert_array_equal(Y, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    X, Y = sequence_chunks(list(range(10)), 4, step=2)
    np.testing.assert_array_equal(X[:, 0], [0, 2, 4])  # last start 4: targets end at 8
    np.testing.assert_array_equal(Y[-1], [5, 6, 7, 8])
    X, _ = sequence_chunks(np.arange(9), 4)
    assert X.shape == (2, 4)


def test_char_rnn_batches_layout_carries_streams():
    ids = np.arange(25)  # S = 24 // 2 = 12 per stream, K = 12 // 5 = 2 chunks
    X, Y = char_rnn_batches(ids, batch_size=2, seq_len=5)
    assert X.shape == Y.shape == (2, 2, 5)
    np.testing.assert_array_equal(X[0], [[0, 1, 2, 3, 4], [12, 13, 14, 15, 16]])
    np.testing.assert_array_equal(X[1], [[5, 6, 7, 8, 9], [17, 18, 19, 20, 21]])
    np.testing.assert_array_equal(Y, X + 1)
    # row b of chunk k continues row b of chunk k-1
    np.testing.assert_array_equal(X[1, :, 0], X[0, :, -1] + 1)


def test_char_rnn_batches_on_text():
    v = Vocabulary("char").fit("hello world")
    X, Y = char_rnn_batches(v.encode("hello world"), batch_size=2, seq_len=2)
    # S = 10 // 2 = 5 ids per stream: "hello" and " worl" ("d" is only a target)
    assert [v.decode(row) for row in X[0]] == ["he", " w"]
    assert [v.decode(row) for row in Y[0]] == ["el", "wo"]
    assert [v.decode(row) for row in X[1]] == ["ll", "or"]
    assert [v.decode(row) for row in Y[1]] == ["lo", "rl"]


def test_train_val_split_is_the_tail():
    train, val = train_val_split(10, 0.2)
    assert (train, val) == (slice(0, 8), slice(8, 10))
    assert train_val_split(10, 0.7) == (slice(0, 3), slice(3, 10))  # not 8 from 7.000000000000001
    assert train_val_split(10, 0.25) == (slice(0, 7), slice(7, 10))  # ceil, like sklearn
    assert train_val_split(5, 0) == (slice(0, 5), slice(5, 5))
    data = list("abcdefghij")
    assert data[train] + data[val] == data


def test_sliding_windows_exact_and_no_leakage():
    t = np.arange(8.0)
    series = np.stack([t, 100 + t], axis=1)  # (8, 2)
    X, y = sliding_windows(series, lookback=3, horizon=2, target_col=1)
    assert X.shape == (4, 3, 2) and y.shape == (4, 2)
    np.testing.assert_array_equal(X[0], [[0, 100], [1, 101], [2, 102]])
    np.testing.assert_array_equal(y, [[103, 104], [104, 105], [105, 106], [106, 107]])
    # the first target of window w is time w + lookback: strictly after the window's inputs
    assert np.all(y[:, 0] - 100 == X[:, -1, 0] + 1)
    np.testing.assert_array_equal(X[-1, :, 0], [3, 4, 5])


def test_sliding_windows_one_d_and_course_counts():
    X, y = sliding_windows(np.arange(1258), lookback=60)
    assert X.shape == (1198, 60, 1) and y.shape == (1198, 1) and X.dtype == np.float64
    assert y[0, 0] == 60 and y[-1, 0] == 1257
    X32, _ = sliding_windows(np.arange(5, dtype=np.float32), 2)
    assert X32.dtype == np.float32


def test_errors():
    with pytest.raises(InputError, match="`context`, expected a positive integer, got 0"):
        lm_windows([1, 2, 3], 0)
    with pytest.raises(InputError, match="has 3 ids but windows of context=3 need at least 4"):
        lm_windows([1, 2, 3], 3)
    with pytest.raises(InputError, match="`ids`, expected a 1-D sequence of integer ids"):
        lm_windows(np.zeros((2, 3), dtype=int), 1)
    with pytest.raises(InputError, match="`ids`"):
        sequence_chunks([0.5, 1.5, 2.5], 1)
    with pytest.raises(InputError, match="need at least 4"):
        sequence_chunks([1, 2, 3], 3)
    with pytest.raises(InputError, match="batch_size=4 streams of seq_len=3 need at least 13"):
        char_rnn_batches(np.arange(12), 4, 3)
    with pytest.raises(InputError, match=r"`val_fraction`, expected a number in \[0, 1\)"):
        train_val_split(10, 1.0)
    with pytest.raises(InputError, match="leaves nothing to train on"):
        train_val_split(1, 0.5)
    with pytest.raises(InputError, match="lookback=3 and horizon=2 need at least 5"):
        sliding_windows(np.arange(4.0), 3, 2)
    with pytest.raises(InputError, match=r"`target_col`, expected a column index in \[0, 1\]"):
        sliding_windows(np.zeros((9, 2)), 3, target_col=2)
    with pytest.raises(InputError, match="`series`"):
        sliding_windows(np.zeros((2, 2, 2)), 1)
