"""Small models and data shared by the model tests, as fixtures (factories where useful)."""

import csv
import os

import numpy as np
import pytest

import unrolled
from unrolled import config
from unrolled.data.datasets import shared_data_dir
from unrolled.layers import LSTM, Dense
from unrolled.models import Sequential

DATA = shared_data_dir()  # UNROLLED_DATA_DIR, which tests/conftest.py sets


@pytest.fixture
def float64():
    """Build layers in float64 for the duration of a test."""
    old = config.floatx()
    unrolled.set_floatx("float64")
    yield
    unrolled.set_floatx(np.dtype(old).name)


def _tutorial_model(seed=0):
    """The tutorial's model: LSTM(4, sigmoid) on one feature, then Dense(1); adam, mse."""
    unrolled.set_seed(seed)
    model = Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _regression_data(rng, N=40, T=5, D=1):
    """x (N, T, D) noise; y (N, 1) = tanh of the sum over time of the first feature."""
    x = rng.standard_normal((N, T, D))
    return x, np.tanh(x.sum(axis=1))[:, :1]


@pytest.fixture
def tutorial_model():
    """Factory: tutorial_model(seed=0) -> a compiled LSTM(4, sigmoid) + Dense(1) model."""
    return _tutorial_model


@pytest.fixture
def regression_data():
    """Factory: regression_data(rng, N=40, T=5, D=1) -> (x, y)."""
    return _regression_data


@pytest.fixture
def google_opens():
    """The Open columns of the shared Google CSVs: (train (1258,), test (20,))."""
    if not (DATA / "Google_Stock_Price_Train.csv").exists() and os.environ.get("CI") != "true":
        pytest.skip(f"needs the shared data in {DATA}")

    def opens(name):
        with open(DATA / name, newline="") as f:
            return np.array([float(row["Open"]) for row in csv.DictReader(f)])

    return opens("Google_Stock_Price_Train.csv"), opens("Google_Stock_Price_Test.csv")
