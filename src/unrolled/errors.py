"""Errors a user can cause, and the helper that words them the same way everywhere."""


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
