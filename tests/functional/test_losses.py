"""Losses: every gradient against centered differences (float64), every value against
PyTorch, the value alone (gradient=False) equal to the training value, masks that really
exclude positions, Keras's clipping, stability at extreme logits."""

import numpy as np
import pytest

from unrolled.functional import losses
from unrolled.gradcheck import gradcheck

N, T, V = 3, 4, 5


def _gradient_error(fn, y_true, y_pred, mask=None):
    y_pred = y_pred.copy()
    _, analytic = fn(y_true, y_pred, mask)
    errors = gradcheck(
        lambda: fn(y_true, y_pred, mask)[0], {"y_pred": y_pred}, {"y_pred": analytic}
    )
    return errors["y_pred"]


def _probs(rng, shape):
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture
def mask():
    m = np.ones((N, T), dtype=bool)
    m[0, 2:] = False  # padding at the end
    m[2, 1] = False  # a hole
    return m


def _cases(rng):
    """name -> (loss function, y_true, y_pred) for every loss and target form, in float64."""
    ids = rng.integers(0, V, (N, T))
    onehot = np.eye(V)[ids]
    real = rng.standard_normal((N, T, 2))
    bits = rng.integers(0, 2, (N, T, 2)).astype(np.float64)
    return {
        "mse": (losses.mean_squared_error, real, rng.standard_normal((N, T, 2))),
        "mae": (losses.mean_absolute_error, real, rng.standard_normal((N, T, 2))),
        "softmax ids": (losses.softmax_cross_entropy, ids, rng.standard_normal((N, T, V))),
        "softmax onehot": (losses.softmax_cross_entropy, onehot, rng.standard_normal((N, T, V))),
        "categorical ids": (losses.categorical_cross_entropy, ids, _probs(rng, (N, T, V))),
        "categorical onehot": (losses.categorical_cross_entropy, onehot, _probs(rng, (N, T, V))),
        "binary probs": (losses.binary_cross_entropy, bits, rng.uniform(0.05, 0.95, (N, T, 2))),
        "binary logits": (
            losses.binary_cross_entropy_with_logits,
            bits,
            rng.standard_normal((N, T, 2)),
        ),
    }


@pytest.mark.parametrize("masked", [False, True])
def test_every_gradient_matches_finite_differences(rng, mask, masked):
    m = mask if masked else None
    for name, (fn, y_true, y_pred) in _cases(rng).items():
        assert _gradient_error(fn, y_true, y_pred, m) < 1e-7, name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masked", [False, True])
def test_the_value_alone_is_the_training_value(rng, mask, masked, dtype):
    # evaluation asks for gradient=False: the same float, bit for bit, and no gradient
    m = mask if masked else None
    for name, (fn, y_true, y_pred) in _cases(rng).items():
        y_pred = y_pred.astype(dtype)
        loss, _ = fn(y_true, y_pred, m)
        assert fn(y_true, y_pred, m, gradient=False) == (loss, None), name


def test_values_match_torch(torch, rng):
    F = torch.nn.functional
    ids = rng.integers(0, V, N)
    logits = rng.standard_normal((N, V))
    probs = _probs(rng, (N, V))
    y, p = rng.standard_normal((N, 2)), rng.standard_normal((N, 2))
    bits = rng.integers(0, 2, (N, 2)).astype(np.float64)
    z, q = rng.standard_normal((N, 2)), rng.uniform(0.05, 0.95, (N, 2))
    t = torch.tensor
    expected = {
        "mse": (losses.mean_squared_error(y, p)[0], F.mse_loss(t(p), t(y))),
        "mae": (losses.mean_absolute_error(y, p)[0], F.l1_loss(t(p), t(y))),
        "ce logits": (
            losses.softmax_cross_entropy(ids, logits)[0],
            F.cross_entropy(t(logits), t(ids)),
        ),
        "ce probs": (
            losses.categorical_cross_entropy(ids, probs)[0],
            F.nll_loss(t(np.log(probs)), t(ids)),
        ),
        "bce probs": (
            losses.binary_cross_entropy(bits, q)[0],
            F.binary_cross_entropy(t(q), t(bits)),
        ),
        "bce logits": (
            losses.binary_cross_entropy_with_logits(bits, z)[0],
            F.binary_cross_entropy_with_logits(t(z), t(bits)),
        ),
    }
    for name, (ours, theirs) in expected.items():
        assert ours == pytest.approx(theirs.item(), rel=1e-12), name


def test_gradient_of_softmax_cross_entropy_matches_torch(torch, rng):
    logits = rng.standard_normal((N, T, V))
    ids = rng.integers(0, V, (N, T))
    z = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(z.reshape(-1, V), torch.tensor(ids).reshape(-1)).backward()
    np.testing.assert_allclose(
        losses.softmax_cross_entropy(ids, logits)[1], z.grad.numpy(), atol=1e-15
    )


def test_mask_means_over_unmasked_positions_only(rng, mask):
    logits = rng.standard_normal((N, T, V))
    ids = rng.integers(0, V, (N, T))
    loss, dlogits = losses.softmax_cross_entropy(ids, logits, mask)
    kept = losses.softmax_cross_entropy(ids[mask], logits[mask])[0]  # only the real positions
    assert loss == pytest.approx(kept, rel=1e-13)
    assert np.all(dlogits[~mask] == 0)
    logits[~mask] = 1e3  # garbage at padded positions changes nothing
    assert losses.softmax_cross_entropy(ids, logits, mask)[0] == pytest.approx(loss, rel=1e-13)


def test_fully_masked_batch_has_zero_loss_and_gradient(rng):
    y, p = rng.standard_normal((2, 3, 1)), rng.standard_normal((2, 3, 1))
    loss, dp = losses.mean_squared_error(y, p, np.zeros((2, 3), dtype=bool))
    assert loss == 0.0 and not dp.any()


def test_extreme_logits_stay_finite():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    loss, d = losses.softmax_cross_entropy(np.array([1]), logits)
    assert loss == pytest.approx(2000.0) and np.isfinite(d).all()
    loss, d = losses.binary_cross_entropy_with_logits(
        np.array([[0.0, 1.0]]), np.array([[800.0, -800.0]])
    )
    assert loss == pytest.approx(800.0) and np.isfinite(d).all()


def test_probabilities_are_clipped_like_keras():
    # a zero probability for the true class costs -log(1e-7) (Keras's epsilon), not inf
    probs = np.array([[0.0, 1.0]])
    loss, dprobs = losses.categorical_cross_entropy(np.array([0]), probs)
    assert loss == pytest.approx(-np.log(1e-7), rel=1e-9)
    assert np.isfinite(dprobs).all()
    loss, _ = losses.binary_cross_entropy(np.array([[1.0]]), np.array([[0.0]]))
    assert loss == pytest.approx(-np.log(1e-7), rel=1e-6)


def test_float32_in_float32_out(rng):
    y = rng.standard_normal((4, 2)).astype(np.float32)
    p = rng.standard_normal((4, 2)).astype(np.float32)
    assert losses.mean_squared_error(y, p)[1].dtype == np.float32
    ids = rng.integers(0, 2, 4)
    assert losses.softmax_cross_entropy(ids, p)[1].dtype == np.float32
