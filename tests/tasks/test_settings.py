"""The one resolve step the tasks share: fill what was not given, refuse what disagrees."""

from dataclasses import dataclass

import pytest

from unrolled.errors import InputError
from unrolled.tasks._shared.settings import defaults, fixed, unused


@dataclass
class Config:
    units: int | None = None
    features: tuple | None = None
    lower: bool | None = None
    epochs: int | None = None


def test_fixed_fills_what_was_not_given_and_keeps_an_equal_value():
    config = fixed(Config(units=4), {"units": 4, "features": ["a", "b"]}, "the model", str)
    assert (config.units, config.features) == (4, ["a", "b"])
    assert fixed(Config(features=("a", "b")), {"features": ["a", "b"]}, "x", str).features


@pytest.mark.parametrize(
    "config, values, message",
    [
        (
            Config(units=8),
            {"units": 4},
            r"^Argument `--units`: 8 disagrees with the model file, which uses 4; "
            r"leave --units out\.$",
        ),
        (Config(lower=False), {"lower": True}, r"^Argument `--lower`: --no-lower disagrees"),
        (Config(features=("a",)), {"features": ["a", "b"]}, r"which uses a,b;"),
    ],
)
def test_fixed_names_only_the_disagreeing_flag(config, values, message):
    with pytest.raises(InputError, match=message):
        fixed(config, values, "the model file", lambda f: f"leave {f} out")


def test_defaults_fill_only_none():
    config = defaults(Config(units=8), {"units": 32, "epochs": 100})
    assert (config.units, config.epochs) == (8, 100)


def test_unused_refuses_a_given_field_only():
    unused(Config(units=3), ("epochs",), "nothing is trained")
    with pytest.raises(InputError, match=r"^Argument `--epochs`: nothing is trained$"):
        unused(Config(epochs=0), ("epochs",), "nothing is trained")
