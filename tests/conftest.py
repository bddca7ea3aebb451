"""Shared fixtures. PyTorch is our float64 oracle: under CI=true a test that needs it
fails when it is missing instead of silently skipping."""

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
