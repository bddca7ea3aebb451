"""One way to resolve a task's settings, the same from the command line and from Python.

A Config field whose "not given" matters defaults to None, and so does its flag. One resolve
step per task fills each None from the first source that has a value for it: a model file, a
recipe such as --tutorial, then the task's defaults. What the user gave is never silently
replaced: a given value (not None) that disagrees with a model file or a recipe is a one-line
error that names that flag, and only a flag the user gave is ever named. The checks every task
runs on its resolved settings (--seed, --out, integers, --cells) live here too.
"""

import dataclasses

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.tasks._shared.user_files import check_writable


def flag(name):
    """The flag of a Config field: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


def shown(name, value):
    """A value as typed: a boolean as --lower / --no-lower, a list as a,b, None as none."""
    if isinstance(value, bool):
        return flag(name if value else f"no_{name}")
    if value is None:
        return "none"
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def same(a, b):
    """a == b, where a list equals the tuple of its items (JSON has no tuples)."""
    return (tuple(a) if isinstance(a, list) else a) == (tuple(b) if isinstance(b, list) else b)


def fixed(config, values, source, hint):
    """`config` with each None field of `values` filled from it; a field the user gave with
    another value is one line: "Argument `--units`: 8 disagrees with <source>, which uses 4;
    <hint>". hint(flag) says what to do instead ("leave --units out to use the model's")."""
    for name, value in values.items():
        given = getattr(config, name)
        if given is not None and not same(given, value):
            raise InputError(
                f"Argument `{flag(name)}`: {shown(name, given)} disagrees with {source}, "
                f"which uses {shown(name, value)}; {hint(flag(name))}."
            )
    return dataclasses.replace(config, **values)


def defaults(config, values):
    """`config` with each field that is still None set to its value in `values`."""
    return dataclasses.replace(
        config, **{name: value for name, value in values.items() if getattr(config, name) is None}
    )


def unused(config, names, why):
    """One line if the user gave any field of `names` (not None) where it would do nothing:
    "Argument `--epochs`: <why>" (why: "--model ... is already trained; leave it out")."""
    for name in names:
        if getattr(config, name) is not None:
            raise InputError(f"Argument `{flag(name)}`: {why}")


def check_integer(value, argument, low=1, high=None):
    """The standard error unless `value` is an integer in [low, high] (no upper end: None)."""
    integer = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not integer or value < low or (high is not None and value > high):
        expected = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise invalid(argument, expected, value)


def check_cells(cells, known):
    """The standard error unless `cells` is a non-empty selection from `known`."""
    if not cells or any(c not in known for c in cells):
        raise invalid("--cells", f"cells from {', '.join(known)}", ",".join(cells))


def check_common(config, task=None):
    """Before any work: --seed an integer >= 0, and the output folder one that can be made and
    written: --out, or (given `task`, for tasks that always write) runs/<task>-<time>/."""
    check_integer(config.seed, "--seed", low=0)
    out = getattr(config, "out", None)
    if out is None and task is not None:
        from unrolled.files import run_dir

        out = run_dir(None, task)
    check_writable(out, "--out", folder=True)


OUTPUT = ("quiet", "json")  # Config fields that change how the result is shown, not its numbers


def as_json(config):
    """A task's resolved Config as JSON values (tuples as lists), less --quiet and --json, which
    only choose how the result is shown: the settings its numbers depend on."""
    fields = dataclasses.asdict(config).items()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in fields if k not in OUTPUT}
