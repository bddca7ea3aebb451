"""Shared fixtures. PyTorch is our float64 oracle, and Keras 3.15 (on the torch backend) the
oracle for Keras's numbers and files: under CI=true a test that needs one fails when it is
missing instead of silently skipping."""

import os
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# Our tests multiply small matrices: one BLAS thread is fastest and keeps timings steady on a
# shared 2-core machine (OpenBLAS threads spinning against each other cost 100x there).
_BLAS_ONE_THREAD = threadpool_limits(limits=1, user_api="blas")

# The larger public datasets: the library reads them from UNROLLED_DATA_DIR only, and the tests
# find them through the same function (datasets.shared_data_dir). Unless it is set, it points
# at ../shared/data beside this checkout.
os.environ.setdefault(
    "UNROLLED_DATA_DIR", str(Path(__file__).resolve().parents[1].parent / "shared" / "data")
)


@pytest.fixture
def torch():
    """The torch module in float64, or a skip (locally) / failure (CI=true) without it."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("torch is required under CI=true: pip install torch==2.13.0")
        pytest.skip("torch not installed (pip install torch==2.13.0)")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def keras():
    """The keras module on the torch backend, imported once per session (it takes seconds),
    or a skip (locally) / failure (CI=true) without it.

    On backends other than TensorFlow, Keras 3 rounds a float64 matmul's result type to
    float32 (to match JAX's default, `BIT64_TO_BIT32_DTYPE`), so its "float64" layers are
    float32 inside and agree with any float64 computation to ~1e-7 only. This lifts that
    rounding for the session: Keras's own math, computed in float64, is then an oracle to
    1e-9. Float32 models are untouched by it.
    """
    os.environ["KERAS_BACKEND"] = "torch"  # read at Keras's first import
    try:
        import keras
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("keras is required under CI=true: pip install keras==3.15.1")
        pytest.skip("keras not installed (pip install keras==3.15.1)")
    assert keras.backend.backend() == "torch", f"KERAS_BACKEND={keras.backend.backend()}"
    from keras.src.backend.common import dtypes

    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"  # float64 stays float64 (see above)
    return keras
