"""Scalers against hand computation (no scikit-learn needed)."""

import json

import numpy as np
import pytest

from unrolled.data import MinMaxScaler, StandardScaler, scaler_from_state
from unrolled.errors import InputError, NotFittedError

X = np.array([[1.0, 10.0, 5.0], [3.0, 20.0, 5.0], [2.0, 40.0, 5.0]])  # column 2 is constant


def test_minmax_learns_sklearn_attributes():
    s = MinMaxScaler()
    assert s.fit(X) is s
    np.testing.assert_array_equal(s.data_min_, [1, 10, 5])
    np.testing.assert_array_equal(s.data_max_, [3, 40, 5])
    np.testing.assert_array_equal(s.data_range_, [2, 30, 0])
    np.testing.assert_allclose(s.scale_, [1 / 2, 1 / 30, 1.0])  # range 0 -> treated as 1
    np.testing.assert_allclose(s.min_, [-1 / 2, -10 / 30, -5.0])
    assert s.n_features_in_ == 3 and s.n_samples_seen_ == 3


def test_minmax_transform_by_hand_and_inverse():
    Z = MinMaxScaler().fit_transform(X)
    expected = np.array([[0, 0, 0], [1, 10 / 30, 0], [0.5, 1, 0]])
    np.testing.assert_allclose(Z, expected, atol=1e-15)
    s = MinMaxScaler(feature_range=(-1, 1)).fit(X)
    np.testing.assert_allclose(s.transform(X)[:, 0], [-1, 1, 0])
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X)
    # new data beyond the fitted range maps beyond feature_range, like sklearn (no clipping)
    np.testing.assert_allclose(s.transform([[5.0, 10.0, 5.0]])[0, 0], 3.0)


def test_minmax_keeps_hyperparameters_unchanged():
    fr = (2, 5)
    s = MinMaxScaler(feature_range=fr)
    assert s.feature_range is fr
    assert repr(s) == "MinMaxScaler(feature_range=[2, 5])"


def test_standard_by_hand():
    s = StandardScaler().fit(X)
    np.testing.assert_allclose(s.mean_, [2, 70 / 3, 5])
    var0 = ((1 - 2) ** 2 + (3 - 2) ** 2 + 0) / 3  # population variance (ddof=0)
    np.testing.assert_allclose(s.var_, [var0, np.var([10, 20, 40]), 0])
    np.testing.assert_allclose(s.scale_, [np.sqrt(var0), np.std([10, 20, 40]), 1.0])
    Z = s.transform(X)
    np.testing.assert_allclose(Z[:, 0], np.array([-1, 1, 0]) / np.sqrt(var0))
    np.testing.assert_array_equal(Z[:, 2], 0.0)
    np.testing.assert_allclose(s.inverse_transform(Z), X)


def test_standard_constant_column_with_rounding_mean_gets_scale_one():
    col = np.full((10, 1), 0.1)  # mean is 0.09999999999999999, var ~1e-35: still constant
    s = StandardScaler().fit(col)
    assert s.scale_[0] == 1.0 and s.var_[0] == 0.0
    np.testing.assert_allclose(s.transform(col), 0.0, atol=1e-15)


def test_standard_without_mean_or_std():
    s = StandardScaler(with_mean=False).fit(X)
    np.testing.assert_allclose(s.transform(X)[:, 1], np.array([10, 20, 40]) / np.std([10, 20, 40]))
    s = StandardScaler(with_std=False).fit(X)
    np.testing.assert_allclose(s.transform(X)[:, 0], [-1, 1, 0])


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_accepts_lists_and_int_and_float32(cls):
    Z_list = cls().fit_transform(X.tolist())
    np.testing.assert_allclose(Z_list, cls().fit_transform(X))
    Z_int = cls().fit_transform(np.array([[1, 2], [3, 4]]))
    assert Z_int.dtype == np.float64
    Z32 = cls().fit_transform(X.astype(np.float32))
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, cls().fit_transform(X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_accepts_pandas_dataframe_and_rejects_series(cls):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    np.testing.assert_allclose(cls().fit(df).transform(df), cls().fit_transform(X))
    with pytest.raises(InputError, match=r"Expected 2D array for argument `X`, got 1D array"):
        cls().fit(df["a"])


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_not_fitted_error_wording(cls):
    msg = (
        f"This {cls.__name__} instance is not fitted yet. Call 'fit' with appropriate "
        "arguments before using this estimator."
    )
    for method in ("transform", "inverse_transform"):
        with pytest.raises(NotFittedError, match=msg):
            getattr(cls(), method)(X)


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_input_validation_messages(cls):
    with pytest.raises(InputError, match=r"got 1D array of shape \(3,\).*reshape\(-1, 1\)"):
        cls().fit([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match=r"got 3D array"):
        cls().fit(np.zeros((2, 2, 2)))
    with pytest.raises(InputError, match=r"contains NaN \(first at row 1, column 0\)"):
        cls().fit([[1.0], [np.nan]])
    with pytest.raises(InputError, match="contains infinity"):
        cls().fit([[1.0], [np.inf]])
    with pytest.raises(InputError, match=r"shape \(0, 2\); at least 1 sample"):
        cls().fit(np.zeros((0, 2)))
    with pytest.raises(InputError, match="must be numeric"):
        cls().fit([["a", "b"]])
    s = cls().fit(X)
    with pytest.raises(InputError, match="X has 2 features, but .* is expecting 3 features"):
        s.transform(X[:, :2])
    with pytest.raises(InputError, match="contains NaN"):
        s.inverse_transform([[np.nan, 1.0, 1.0]])


def test_feature_range_validation():
    with pytest.raises(InputError, match=r"must be smaller than maximum. Got \(1, 0\)"):
        MinMaxScaler(feature_range=(1, 0)).fit(X)
    with pytest.raises(InputError, match=r"must be smaller than maximum. Got \(2, 2\)"):
        MinMaxScaler(feature_range=(2, 2)).fit(X)
    with pytest.raises(InputError, match="`feature_range`, expected a pair"):
        MinMaxScaler(feature_range=5).fit(X)


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler])
def test_state_round_trip_through_json(cls):
    kwargs = {"feature_range": (-1, 2)} if cls is MinMaxScaler else {"with_mean": False}
    s = cls(**kwargs).fit(X * 1.2345678901234567)
    state = json.loads(json.dumps(s.get_state()))
    r = cls.from_state(state)
    assert r.get_params() == s.get_params()
    if cls is MinMaxScaler:
        assert r.feature_range == (-1, 2)
    Y = np.array([[0.3, 17.0, 4.0]])
    np.testing.assert_array_equal(r.transform(Y), s.transform(Y))  # bit for bit
    np.testing.assert_array_equal(
        scaler_from_state(state).inverse_transform(Y), s.inverse_transform(Y)
    )


def test_state_of_unfitted_scaler_and_bad_states():
    r = MinMaxScaler.from_state(MinMaxScaler().get_state())
    with pytest.raises(NotFittedError):
        r.transform(X)
    with pytest.raises(InputError, match="`state`, expected a StandardScaler state dict"):
        StandardScaler.from_state(MinMaxScaler().fit(X).get_state())
    with pytest.raises(InputError, match="`state`, expected a scaler state with class in"):
        scaler_from_state({"class": "RobustScaler"})
    broken = StandardScaler().fit(X).get_state()
    del broken["attributes"]["mean_"]
    with pytest.raises(InputError, match="mean_"):
        StandardScaler.from_state(broken)
