"""Feature scalers with scikit-learn semantics, in NumPy only.

MinMaxScaler maps each column linearly onto `feature_range`:
    scale_ = (hi - lo) / (data_max_ - data_min_),   min_ = lo - data_min_ * scale_
    transform(X) = X * scale_ + min_,               inverse_transform(Z) = (Z - min_) / scale_
StandardScaler centres and divides by the population standard deviation (ddof=0):
    transform(X) = (X - mean_) / scale_,            scale_ = sqrt(var_)
A constant column (range or variance 0) gets scale 1, as in scikit-learn, so it maps to `lo`
(MinMax) or to 0 (Standard) instead of dividing by zero.

X is (N, F): N samples, F features. NumPy arrays, nested lists and pandas DataFrames are
accepted through `np.asarray` (pandas is never imported here). Learned attributes are float64;
`transform` returns float32 for float32 input and float64 otherwise (like scikit-learn).
`get_state()` / `from_state()` give a JSON-able dict so a model file can carry its scaler.
"""

import numpy as np

from unrolled.errors import InputError, NotFittedError, invalid

__all__ = ["MinMaxScaler", "StandardScaler", "scaler_from_state"]


def _check_array(X, argument="X"):
    """X -> a finite float (N, F) array with N >= 1; one clear error otherwise."""
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise InputError(f"Argument `{argument}` could not be read as an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError(
                f"Argument `{argument}` must be numeric, got an array of dtype {arr.dtype}."
            ) from None
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (
                f"; reshape your data with {argument}.reshape(-1, 1) if it has a single "
                f"feature or {argument}.reshape(1, -1) if it is a single sample"
            )
        raise InputError(
            f"Expected 2D array for argument `{argument}`, got {arr.ndim}D array of shape "
            f"{arr.shape} instead{hint}."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(
            f"Argument `{argument}` has shape {arr.shape}; at least 1 sample and 1 feature "
            "are required."
        )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        kind = "NaN" if np.isnan(arr).any() else "infinity"
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(
            f"Argument `{argument}` contains {kind} (first at row {row}, column {col}); "
            "scalers need finite values."
        )
    return arr


class _Scaler:
    """Shared plumbing: the fitted check, feature-count check, fit_transform and state."""

    _attributes = ()  # learned attribute names, in the order get_state() stores them

    def _check_is_fitted(self):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _check_features(self, X, argument):
        self._check_is_fitted()
        arr = _check_array(X, argument)
        if arr.shape[1] != self.n_features_in_:
            raise InputError(
                f"{argument} has {arr.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        return arr

    def fit_transform(self, X):
        """fit(X) then transform(X): (N, F) -> (N, F)."""
        return self.fit(X).transform(X)

    def get_params(self):
        """The constructor's hyperparameters, as given."""
        raise NotImplementedError

    def get_state(self):
        """A JSON-able dict: class, hyperparameters and (if fitted) the learned attributes."""
        state = {"class": type(self).__name__, "params": self.get_params()}
        if hasattr(self, "n_features_in_"):
            learned = {name: getattr(self, name).tolist() for name in self._attributes}
            learned["n_features_in_"] = int(self.n_features_in_)
            learned["n_samples_seen_"] = int(self.n_samples_seen_)
            state["attributes"] = learned
        return state

    @classmethod
    def from_state(cls, state):
        """Rebuild a scaler from `get_state()`'s dict (after a JSON round trip)."""
        if not isinstance(state, dict) or state.get("class") != cls.__name__:
            found = state.get("class") if isinstance(state, dict) else type(state).__name__
            raise invalid("state", f"a {cls.__name__} state dict", found)
        # JSON turns tuples into lists; hand them back as tuples (e.g. feature_range)
        params = {
            k: tuple(v) if isinstance(v, list) else v for k, v in state.get("params", {}).items()
        }
        scaler = cls(**params)
        learned = state.get("attributes")
        if learned is not None:
            missing = [n for n in (*cls._attributes, "n_features_in_") if n not in learned]
            if missing:
                raise invalid("state", f"a fitted state with {missing}", sorted(learned))
            for name in cls._attributes:
                setattr(scaler, name, np.asarray(learned[name], dtype=np.float64))
            scaler.n_features_in_ = int(learned["n_features_in_"])
            scaler.n_samples_seen_ = int(learned.get("n_samples_seen_", 0))
        return scaler

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class MinMaxScaler(_Scaler):
    """Scale each feature to `feature_range` (default (0, 1)) using the min and max seen in fit.

    Learned: data_min_, data_max_, data_range_, scale_, min_ (each (F,)), n_features_in_,
    n_samples_seen_.
    """

    _attributes = ("data_min_", "data_max_", "data_range_", "scale_", "min_")

    def __init__(self, feature_range=(0, 1)):
        self.feature_range = feature_range

    def get_params(self):
        fr = self.feature_range
        return {"feature_range": list(fr) if isinstance(fr, (tuple, list)) else fr}

    def fit(self, X):
        """Learn per-feature min and max from X (N, F); returns self."""
        try:
            lo, hi = (float(v) for v in self.feature_range)
        except (TypeError, ValueError):
            expected = "a pair (min, max) of numbers"
            raise invalid("feature_range", expected, self.feature_range) from None
        if not lo < hi:
            raise InputError(
                "Minimum of desired feature range must be smaller than maximum. "
                f"Got {tuple(self.feature_range)!r}."
            )
        arr = _check_array(X).astype(np.float64, copy=False)
        self.data_min_ = arr.min(axis=0)
        self.data_max_ = arr.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        # a constant column has range 0: divide by 1 instead, so it maps onto `lo`
        self.scale_ = (hi - lo) / np.where(self.data_range_ == 0.0, 1.0, self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_
        self.n_features_in_ = arr.shape[1]
        self.n_samples_seen_ = arr.shape[0]
        return self

    def transform(self, X):
        """(N, F) -> (N, F): X * scale_ + min_."""
        arr = self._check_features(X, "X")
        return (arr * self.scale_ + self.min_).astype(arr.dtype, copy=False)

    def inverse_transform(self, X):
        """(N, F) -> (N, F): (X - min_) / scale_, undoing transform."""
        arr = self._check_features(X, "X")
        return ((arr - self.min_) / self.scale_).astype(arr.dtype, copy=False)


class StandardScaler(_Scaler):
    """Remove the mean and divide by the standard deviation (ddof=0) of each feature.

    Learned: mean_, var_, scale_ (each (F,)), n_features_in_, n_samples_seen_.
    `with_mean=False` / `with_std=False` skip centring / scaling (mean_ / var_, scale_ are then
    stored as None in scikit-learn; here mean_ is 0 and scale_ is 1 so the state stays uniform).
    """

    _attributes = ("mean_", "var_", "scale_")

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def get_params(self):
        return {"with_mean": bool(self.with_mean), "with_std": bool(self.with_std)}

    def fit(self, X):
        """Learn per-feature mean and variance from X (N, F); returns self."""
        arr = _check_array(X).astype(np.float64, copy=False)
        mean = arr.mean(axis=0)
        var = arr.var(axis=0)
        # a constant column would divide by ~0: give it scale 1 (exact test: max == min)
        constant = arr.max(axis=0) == arr.min(axis=0)
        var[constant] = 0.0
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.var_ = var
        self.scale_ = np.where(constant, 1.0, np.sqrt(var)) if self.with_std else np.ones_like(var)
        self.n_features_in_ = arr.shape[1]
        self.n_samples_seen_ = arr.shape[0]
        return self

    def transform(self, X):
        """(N, F) -> (N, F): (X - mean_) / scale_."""
        arr = self._check_features(X, "X")
        return ((arr - self.mean_) / self.scale_).astype(arr.dtype, copy=False)

    def inverse_transform(self, X):
        """(N, F) -> (N, F): X * scale_ + mean_, undoing transform."""
        arr = self._check_features(X, "X")
        return (arr * self.scale_ + self.mean_).astype(arr.dtype, copy=False)


def scaler_from_state(state):
    """Rebuild whichever scaler `state` describes (its "class" key picks the class)."""
    classes = {"MinMaxScaler": MinMaxScaler, "StandardScaler": StandardScaler}
    name = state.get("class") if isinstance(state, dict) else None
    if name not in classes:
        raise invalid("state", f"a scaler state with class in {sorted(classes)}", name)
    return classes[name].from_state(state)
