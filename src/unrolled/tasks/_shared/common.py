"""What tasks/forecast still imports from here: kept only until forecast drops the Given actions.

The other tasks resolve their settings with settings.py (a flag not given is None). Forecast
still notes the flags the user typed (Given actions, args.given) and refuses them with
refuse_given / refuse_disagreeing; those helpers live here, and the names it imports from the
modules that now hold them (flags, settings, printing, user_files, blas) are re-exported. Delete
this module once forecast imports from those modules and uses settings.py.
"""

import argparse
import dataclasses

from unrolled.errors import InputError
from unrolled.tasks._shared.blas import one_blas_thread
from unrolled.tasks._shared.flags import add_common_flags, add_task_parser, comma_list, config_from
from unrolled.tasks._shared.printing import printer
from unrolled.tasks._shared.settings import check_common, check_integer, flag, same, shown
from unrolled.tasks._shared.user_files import existing_file, load_model_file

__all__ = [
    "Given",
    "GivenTrue",
    "add_common_flags",
    "add_task_parser",
    "check_common",
    "check_integer",
    "comma_list",
    "config_from",
    "existing_file",
    "flag",
    "given_fields",
    "load_model_file",
    "one_blas_thread",
    "printer",
    "refuse_disagreeing",
    "refuse_given",
    "same",
    "shown",
]

COMMON = ("seed", "out", "quiet", "json")  # add_common_flags: given when not None (or True)


def _note(namespace, dest):
    namespace.given = {*getattr(namespace, "given", ()), dest}


class Given(argparse.Action):
    """Store a flag's value and note that the user gave it (a default is never "given")."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        _note(namespace, self.dest)


class GivenTrue(Given):
    """A switch like action="store_true" (default False, given: True), noted like Given."""

    def __init__(self, option_strings, dest, default=False, help=None):
        super().__init__(option_strings, dest, nargs=0, const=True, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, self.const, option_string)


def given_fields(config, args=None):
    """The fields the user set: the flags on the command line (`args`: those noted by the Given
    actions, and the common flags that hold a value), or from Python (no `args`) the fields of
    `config` off its class's defaults."""
    if args is not None:
        values = {n: getattr(args, n, None) for n in COMMON}
        common = {n for n, v in values.items() if v is not None and v is not False}
        return set(getattr(args, "given", ())) | common
    default = dataclasses.asdict(type(config)())
    return {k for k, v in dataclasses.asdict(config).items() if v != default[k]}


def refuse_given(config, names, given, words):
    """The one-line InputError if the user gave (`given`) any field of `names`; else nothing.
    words(one, flags, typed) is its text, where one: a single flag; flags: in the order of
    `names`, "Arguments `--units`, `--no-lower`" ("Argument `--units`" for one); typed: as
    given, "--units 4 --no-lower"."""
    typed = [_typed(n, getattr(config, n)) for n in names if n in given]
    if typed:
        flags = ", ".join(f"`{t.split()[0]}`" for t in typed)
        flags = f"Argument{'' if len(typed) == 1 else 's'} {flags}"
        raise InputError(words(len(typed) == 1, flags, " ".join(typed)))


def _typed(name, value):
    """A flag as typed: --units 4, --features High,Open; a boolean --lower / --no-lower."""
    return shown(name, value) if isinstance(value, bool) else f"{flag(name)} {shown(name, value)}"


def refuse_disagreeing(config, saved, given):
    """The one-line InputError for the first field of `saved` (what a model file fixes) that
    the user gave (`given`) with another value; a list equals the tuple of its items."""
    for name, value in saved.items():
        if name in given and not same(getattr(config, name), value):
            raise InputError(
                f"Argument `{flag(name)}`: {shown(name, getattr(config, name))} disagrees with "
                f"the model file, which was trained with {shown(name, value)}; leave "
                f"{flag(name)} out to use the model's setting."
            )
