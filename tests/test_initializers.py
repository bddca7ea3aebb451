"""Initializers: Keras semantics (bounds, orthogonality, fans), Keras's classes with Keras's
arguments (checked against Keras 3.15 itself), seeds, lookup by name, dict or instance,
serialization back to names or dicts, and the errors."""

import inspect
import json

import numpy as np
import pytest

import unrolled
from unrolled import initializers as inits

ALL = [
    "glorot_uniform",
    "glorot_normal",
    "orthogonal",
    "zeros",
    "ones",
    "constant",
    "random_uniform",
    "random_normal",
    "uniform",
    "truncated_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "identity",
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL)
def test_shape_dtype_and_layout(name, dtype):
    w = inits.get(name)((5, 12), np.random.default_rng(0), dtype)
    assert w.shape == (5, 12) and w.dtype == dtype
    assert w.flags.c_contiguous


def test_same_rng_same_weights():
    a = inits.get("orthogonal")((4, 8), np.random.default_rng(3))
    b = inits.get("orthogonal")((4, 8), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_compute_fans():
    assert inits.compute_fans((3, 8)) == (3, 8)
    assert inits.compute_fans((8,)) == (8, 8)
    assert inits.compute_fans((2, 3, 4, 5)) == (24, 30)  # conv: receptive field 6


def test_glorot_uniform_bounds():
    w = inits.glorot_uniform((100, 200), np.random.default_rng(0), np.float64)
    limit = np.sqrt(6 / 300)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit


def test_glorot_normal_is_truncated_with_glorot_variance():
    w = inits.glorot_normal((200, 300), np.random.default_rng(0), np.float64)
    target = np.sqrt(2 / 500)  # the variance Glorot asks for survives the truncation
    assert abs(w.std() - target) < 0.02 * target
    assert np.abs(w).max() <= 2 * target / 0.87962566103423978


@pytest.mark.parametrize("shape", [(4, 16), (16, 4), (6, 6)])
def test_orthogonal(shape):
    w = inits.orthogonal(shape, np.random.default_rng(0), np.float64, gain=2.0)
    R, C = shape
    small = w @ w.T if R <= C else w.T @ w  # the smaller Gram matrix is 4 I
    np.testing.assert_allclose(small, 4 * np.eye(min(R, C)), atol=1e-12)


def test_orthogonal_recurrent_kernel_is_one_flat_matrix():
    """(H, 4H) as Keras: rows orthonormal over the whole width, not four (H, H) blocks."""
    w = inits.orthogonal((3, 12), np.random.default_rng(1), np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-12)
    block = w[:, :3]
    assert not np.allclose(block @ block.T, np.eye(3), atol=1e-3)


def test_orthogonal_sign_fix():
    """Q is made unique by giving R a positive diagonal (Saxe et al.; Keras)."""
    a = np.random.default_rng(2).standard_normal((5, 5))
    w = inits.orthogonal((5, 5), np.random.default_rng(2), np.float64)
    r = w.T @ a  # a = w r with r upper triangular
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-12)
    assert (np.diag(r) > 0).all()


def test_constant_and_random_defaults():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        inits.get({"class_name": "Constant", "config": {"value": 0.1}})((2,), rng),
        np.float32([0.1, 0.1]),
    )
    np.testing.assert_array_equal(inits.get("ones")((2, 2), rng), np.ones((2, 2)))
    u = inits.get("uniform")((1000,), rng, np.float64)
    assert u.min() >= -0.05 and u.max() <= 0.05 and u.max() > 0.049
    n = inits.get("random_normal")((10000,), rng, np.float64)
    assert abs(n.std() - 0.05) < 0.002


def test_get_accepts_names_dicts_and_callables():
    assert inits.get("GlorotUniform").name == "glorot_uniform"
    init = inits.get(
        {"class_name": "RandomUniform", "config": {"minval": 1.0, "maxval": 2.0, "seed": None}}
    )
    w = init((50,), np.random.default_rng(0))
    assert w.min() >= 1 and w.max() <= 2

    def custom(shape, rng, dtype):
        return np.full(shape, 7.0, dtype)

    assert inits.get(custom) is custom


@pytest.mark.parametrize(
    "identifier, serialized",
    [
        ("orthogonal", "orthogonal"),
        ("Zeros", "zeros"),
        ("uniform", "random_uniform"),
        (
            {"class_name": "Constant", "config": {"value": 0.5}},
            {"class_name": "Constant", "config": {"value": 0.5}},
        ),
        (inits.glorot_normal, "glorot_normal"),
    ],
)
def test_serialize_round_trip(identifier, serialized):
    out = inits.serialize(inits.get(identifier))
    assert out == serialized
    assert json.loads(json.dumps(out)) == out
    assert inits.serialize(inits.get(out)) == out


def test_errors():
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `kernel_initializer`, expected one of \[.*'glorot_uniform'.*\], "
        r"a Keras-style dict or an instance, got 'he_magic'",
    ):
        inits.get("he_magic", "kernel_initializer")
    with pytest.raises(
        unrolled.InputError,
        match=r"argument `initializer`, expected settings accepted by Constant",
    ):
        inits.get({"class_name": "Constant", "config": {"valu": 1}})
    with pytest.raises(
        unrolled.InputError, match=r"argument `initializer`.*got \{'config': \{\}\}"
    ):
        inits.get({"config": {}})
    with pytest.raises(unrolled.InputError, match=r"a custom callable cannot be saved"):
        inits.serialize(lambda shape, rng, dtype: None)


KERAS_CLASSES = [cls.__name__ for cls in inits.CLASSES]


@pytest.mark.parametrize("name", KERAS_CLASSES)
def test_classes_take_keras_arguments(keras, name):
    """The same class names, argument names and defaults as Keras 3.15."""
    theirs = inspect.signature(getattr(keras.initializers, name).__init__).parameters
    ours = inspect.signature(getattr(inits, name).__init__).parameters
    if name in ("Zeros", "Ones"):  # Keras's take *args, **kwargs and use none
        assert list(ours) == ["self"]
        return
    assert {k: p.default for k, p in ours.items()} == {k: p.default for k, p in theirs.items()}


@pytest.mark.parametrize("name", KERAS_CLASSES)
def test_keras_instances_and_their_configs_are_taken(keras, name):
    """A Keras initializer object, or its serialized config from a .keras file, becomes ours."""
    theirs = getattr(keras.initializers, name)()
    serialized = keras.saving.serialize_keras_object(theirs)
    for identifier in (theirs, serialized):
        ours = inits.get(identifier)
        assert type(ours) is getattr(inits, name)
        assert inits.serialize(ours) == ours.name  # Keras's defaults


def test_seeded_initializers_repeat_and_unseeded_follow_the_rng():
    seeded = inits.GlorotUniform(seed=3)
    a = seeded((4, 5), np.random.default_rng(0))
    np.testing.assert_array_equal(a, seeded((4, 5), np.random.default_rng(1)))  # as Keras
    rng = np.random.default_rng(0)
    b, c = inits.GlorotUniform()((4, 5), rng), inits.GlorotUniform()((4, 5), rng)
    assert not np.array_equal(b, c)
    unrolled.set_seed(5)
    d = inits.Orthogonal(gain=2.0)((3, 3))  # no rng: the default generator
    unrolled.set_seed(5)
    np.testing.assert_array_equal(d, inits.Orthogonal(gain=2.0)((3, 3)))


@pytest.mark.parametrize(
    "cls, std",
    [
        (inits.HeNormal, np.sqrt(2 / 400)),
        (inits.HeUniform, np.sqrt(2 / 400)),
        (inits.LecunNormal, np.sqrt(1 / 400)),
        (inits.LecunUniform, np.sqrt(1 / 400)),
        (inits.GlorotNormal, np.sqrt(2 / 700)),
    ],
)
def test_variance_scaling_family(cls, std):
    w = cls(seed=0)((400, 300), dtype=np.float64)
    assert abs(w.std() - std) < 0.02 * std
    w = inits.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=0)((300, 400))
    assert abs(w.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    t = inits.TruncatedNormal(mean=1.0, stddev=0.1, seed=0)((10000,), dtype=np.float64)
    assert t.min() >= 0.8 and t.max() <= 1.2
    np.testing.assert_array_equal(inits.Identity(gain=3.0)((2, 3)), 3 * np.eye(2, 3))


def test_layers_take_instances_and_save_them():
    layer = unrolled.LSTM(
        3, kernel_initializer=inits.Orthogonal(gain=0.5), bias_initializer=inits.Constant(0.1)
    )
    config = layer.get_config()
    assert config["kernel_initializer"] == {
        "class_name": "Orthogonal",
        "config": {"gain": 0.5, "seed": None},
    }
    assert config["bias_initializer"] == {"class_name": "Constant", "config": {"value": 0.1}}
    assert config["recurrent_initializer"] == "orthogonal"
    copy = unrolled.LSTM.from_config(json.loads(json.dumps(config)))
    copy.build((None, 2, 4))
    np.testing.assert_allclose(copy.params["bias"][:3], 0.1)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: inits.VarianceScaling(mode="fan"), "`mode`, expected one of"),
        (lambda: inits.VarianceScaling(scale=0), "`scale`, expected a positive number"),
        (lambda: inits.GlorotUniform(input_axes=[0]), "`input_axes`, expected None"),
        (lambda: inits.Orthogonal(seed="1"), "`seed`, expected None or an integer"),
        (lambda: inits.Identity()((2, 3, 4), None), "`shape`, expected a 2-D shape"),
    ],
)
def test_setting_errors(make, match):
    with pytest.raises(unrolled.InputError, match=match):
        make()
