import numpy as np
import pytest

import unrolled
from unrolled import config


def test_floatx_switches_and_validates():
    assert unrolled.floatx() is np.float32
    unrolled.set_floatx("float64")
    try:
        assert unrolled.floatx() is np.float64
        assert config.resolve_dtype(None) is np.float64
    finally:
        unrolled.set_floatx("float32")
    assert config.resolve_dtype(np.float64) is np.float64
    with pytest.raises(ValueError, match=r"argument `dtype`.*'float16'"):
        unrolled.set_floatx("float16")


def test_set_seed_repeats_the_default_generator():
    unrolled.set_seed(7)
    a = config.default_rng().random(4)
    unrolled.set_seed(7)
    np.testing.assert_array_equal(a, config.default_rng().random(4))
