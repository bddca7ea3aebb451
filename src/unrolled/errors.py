"""Errors a user can cause, and the helpers that word them the same way everywhere."""

import numpy as np


class InputError(ValueError):
    """Bad input from the user: a wrong shape, value, file or argument. One line, no traceback."""


class NotFittedError(InputError, AttributeError):
    """An estimator (scaler, vocabulary) was used before `fit`."""


def invalid(argument, expected, received):
    """The standard one-line message: names the argument, what was expected and what came."""
    return InputError(
        f"Received an invalid value for argument `{argument}`, expected {expected}, "
        f"got {received!r}."
    )


def positive_int(value, argument):
    """`value` as an int, or the standard error unless it is an integer >= 1."""
    return _int_at_least(value, argument, 1, "a positive integer")


def non_negative_int(value, argument):
    """`value` as an int, or the standard error unless it is an integer >= 0 (an index)."""
    return _int_at_least(value, argument, 0, "a non-negative integer")


def boolean(value, argument, expected="True or False"):
    """`value` as a bool, or the standard error unless it is one (NumPy's bool included)."""
    if not isinstance(value, bool | np.bool_):
        raise invalid(argument, expected, value)
    return bool(value)


def whole_numbers(a):
    """True if the array holds integers, or finite floats with no fractional part."""
    if a.dtype.kind in "biu":
        return True
    return a.dtype.kind == "f" and bool(np.isfinite(a).all()) and not (a % 1).any()


def _int_at_least(value, argument, low, expected):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise invalid(argument, expected, value)
    return int(value)
