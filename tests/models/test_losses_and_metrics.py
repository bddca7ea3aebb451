"""The Keras-named loss and metric objects around the functional math."""

import numpy as np
import pytest

from unrolled import losses, metrics
from unrolled.errors import InputError
from unrolled.functional import losses as pure


def test_loss_names_resolve_like_keras():
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert isinstance(losses.get("mean_absolute_error"), losses.MeanAbsoluteError)
    assert losses.get("sparse_categorical_crossentropy").sparse
    assert not losses.get("categorical_crossentropy").sparse
    loss = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(loss) is loss
    assert repr(losses.from_config(loss.get_config())) == "BinaryCrossentropy(from_logits=True)"
    with pytest.raises(InputError, match="loss.*'hinge'"):
        losses.get("hinge")


def test_from_logits_picks_the_stable_function(rng):
    y, z = rng.integers(0, 2, (4, 1)).astype(float), rng.standard_normal((4, 1))
    assert losses.get("binary_crossentropy", from_logits=True)(y, z) == pytest.approx(
        pure.binary_cross_entropy_with_logits(y, z)[0]
    )
    ids, logits = rng.integers(0, 3, 4), rng.standard_normal((4, 3))
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(ids, logits) == pytest.approx(
        pure.softmax_cross_entropy(ids, logits)[0]
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_calling_a_loss_gives_its_training_value_without_the_gradient(rng, name, from_logits):
    loss = losses.get(name, from_logits=from_logits)
    y_pred = rng.uniform(0.05, 0.95, (3, 4, 5))  # probabilities, and fine as logits too
    ids = rng.integers(0, 5, (3, 4))
    if isinstance(loss, losses.CategoricalCrossentropy):
        target = ids if loss.sparse else np.eye(5)[ids]
    elif isinstance(loss, losses.BinaryCrossentropy):
        target = rng.integers(0, 2, (3, 4, 5)).astype(float)
    else:
        target = rng.standard_normal((3, 4, 5))
    for mask in (None, rng.random((3, 4)) < 0.6):
        value, dy_pred = loss.compute(target, y_pred, mask)
        assert loss(target, y_pred, mask) == value and dy_pred.shape == y_pred.shape
        assert loss.compute(target, y_pred, mask, gradient=False) == (value, None)


def test_metrics_are_exact_means_over_positions():
    y_pred = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    accuracy = metrics.get("accuracy", 1, (None, 2))  # integer targets: sparse
    assert accuracy(np.array([1, 1, 1]), y_pred) == (2.0, 3)
    onehot = metrics.get("acc", 2, (None, 2))
    assert onehot(np.eye(2)[[1, 0, 0]], y_pred) == (2.0, 3)
    binary = metrics.get("accuracy", 2, (None, 1))
    assert binary(np.array([[1.0], [0.0]]), np.array([[0.7], [0.6]])) == (1.0, 2)
    mae = metrics.get("mae", 2, (None, 2))
    total, count = mae(np.zeros((3, 2)), y_pred, np.array([True, False, True]))
    assert count == 2 and total == pytest.approx(0.5 + 0.5)
    with pytest.raises(InputError, match="metrics"):
        metrics.check("f1")
