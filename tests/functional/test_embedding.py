"""embedding_forward / embedding_backward: lookup, scatter-add of repeated ids, gradients."""

import numpy as np

from unrolled.functional.embedding import embedding_backward, embedding_forward
from unrolled.gradcheck import gradcheck


def test_lookup():
    E = np.arange(12.0).reshape(4, 3)
    out, _ = embedding_forward(np.array([[3, 0], [3, 3]]), E)
    np.testing.assert_array_equal(out[1, 1], E[3])
    assert out.shape == (2, 2, 3)


def test_repeated_ids_accumulate(rng):
    ids = rng.integers(0, 5, size=(6, 7))
    dout = rng.standard_normal((6, 7, 3))
    _, cache = embedding_forward(ids, rng.standard_normal((9, 3)))
    dE = embedding_backward(dout, cache)
    expected = np.zeros((9, 3))
    np.add.at(expected, ids.ravel(), dout.reshape(-1, 3))  # the slow, obvious reference
    np.testing.assert_allclose(dE, expected, rtol=1e-12)
    np.testing.assert_array_equal(dE[5:], 0)  # never looked up


def test_gradient(rng):
    ids = np.array([[1, 1, 2], [0, 1, 3]])
    E = rng.standard_normal((5, 2))
    R = rng.standard_normal((2, 3, 2))

    def loss():
        return float(np.sum(embedding_forward(ids, E)[0] * R))

    dE = embedding_backward(R, embedding_forward(ids, E)[1])
    assert gradcheck(loss, {"E": E}, {"E": dE})["E"] < 1e-6


def test_empty_ids_and_dtype():
    E = np.ones((4, 2), np.float32)
    out, cache = embedding_forward(np.zeros((0, 3), int), E)
    dE = embedding_backward(np.zeros((0, 3, 2), np.float32), cache)
    assert out.shape == (0, 3, 2)
    assert dE.dtype == np.float32
    np.testing.assert_array_equal(dE, 0)
