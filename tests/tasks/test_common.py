"""The Given mechanism tasks/forecast still uses (tasks/_shared/common.py); goes with it."""

import argparse
from dataclasses import dataclass

import pytest

from unrolled.errors import InputError
from unrolled.tasks._shared.common import (
    Given,
    GivenTrue,
    add_common_flags,
    given_fields,
    refuse_disagreeing,
    refuse_given,
)


@dataclass
class Settings:
    units: int = 8
    lower: bool = True
    interactive: bool = False
    seed: int = 0
    out: str | None = None
    quiet: bool = False


def settings_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", action=Given, type=int, default=8)
    parser.add_argument("--interactive", action=GivenTrue)
    add_common_flags(parser, json=None)
    return parser


@pytest.mark.parametrize(
    "argv, given",
    [
        ([], set()),
        (["--units", "8", "--seed", "0"], {"units", "seed"}),  # the defaults, given explicitly
        (["--interactive", "--quiet"], {"interactive", "quiet"}),
        (["--out", "x"], {"out"}),
    ],
)
def test_the_parser_notes_every_flag_given_even_with_its_default(argv, given):
    args = settings_parser().parse_args(argv)
    assert given_fields(None, args) == given
    assert args.interactive is ("--interactive" in argv)


def test_from_python_the_fields_off_the_defaults_are_given():
    assert given_fields(Settings(units=8, seed=0)) == set()
    assert given_fields(Settings(units=4, lower=False, out="x")) == {"units", "lower", "out"}


def test_refusing_given_flags_names_them_as_typed_in_the_order_of_names():
    def words(one, flags, typed):
        return f"{one}|{flags}|{typed}"

    config = Settings(units=4, lower=False, seed=3)
    refuse_given(config, ("units", "seed"), {"lower"}, words)  # none of them given: nothing
    with pytest.raises(InputError) as error:
        refuse_given(config, ("seed", "lower", "units"), {"units", "lower", "seed"}, words)
    assert (
        str(error.value)
        == "False|Arguments `--seed`, `--no-lower`, `--units`|--seed 3 --no-lower --units 4"
    )
    with pytest.raises(InputError, match=r"^True\|Argument `--lower`\|--lower$"):
        refuse_given(Settings(), ("lower",), {"lower"}, words)


def test_refusing_a_disagreement_with_a_file_shows_values_as_typed():
    config = Settings(units=4, lower=False)
    refuse_disagreeing(config, {"units": 4, "lower": True}, {"units"})  # agrees; lower not given
    refuse_disagreeing(Settings(units=[1, 2]), {"units": (1, 2)}, {"units"})  # list == tuple
    with pytest.raises(InputError) as error:
        refuse_disagreeing(config, {"units": 8, "lower": True}, {"units", "lower"})
    assert str(error.value) == (
        "Argument `--units`: 4 disagrees with the model file, which was trained with 8; "
        "leave --units out to use the model's setting."
    )
    with pytest.raises(InputError, match=r"`--units`: High,Open disagrees .* with Open;"):
        refuse_disagreeing(Settings(units=("High", "Open")), {"units": ["Open"]}, {"units"})
    with pytest.raises(InputError, match="`--lower`: --no-lower disagrees .* with --lower;"):
        refuse_disagreeing(config, {"lower": True}, {"lower"})
