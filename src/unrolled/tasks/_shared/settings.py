"""One way to resolve a task's settings, the same from the command line and from Python.

A Config field whose "not given" matters defaults to None, and so does its flag. One resolve
step per task fills each None from the first source that has a value for it: a model file, a
recipe such as --tutorial, then the task's defaults. What the user gave is never silently
replaced: a given value (not None) that disagrees with a model file or a recipe is a one-line
error that names that flag, and only a flag the user gave is ever named.
"""

import dataclasses

from unrolled.errors import InputError


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


def _same(a, b):
    """a == b, where a list equals the tuple of its items (JSON has no tuples)."""
    return (tuple(a) if isinstance(a, list) else a) == (tuple(b) if isinstance(b, list) else b)


def fixed(config, values, source, hint):
    """`config` with each None field of `values` filled from it; a field the user gave with
    another value is one line: "Argument `--units`: 8 disagrees with <source>, which uses 4;
    <hint>". hint(flag) says what to do instead ("leave --units out to use the model's")."""
    for name, value in values.items():
        given = getattr(config, name)
        if given is not None and not _same(given, value):
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
