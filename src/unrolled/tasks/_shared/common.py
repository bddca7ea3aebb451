"""What every task shares: its common flags, how it prints, the files a user names.

The tasks differ in their math; these parts they have in common, so they are written once and
behave (and word their one-line errors) the same way everywhere:
    flags      --seed, --out DIR, --quiet, --json, checked before any work; a Config from the
               flags; the flags given (Given actions), refused where they would do nothing
    printing   facts to stdout, or to stderr when stdout carries --json
    files      a text file, a model file saved by a task, an output folder or file
    training   BLAS on one thread: our GEMMs are too small to share between threads
"""

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from unrolled.errors import InputError, invalid


# -- command line ------------------------------------------------------------------------------
def add_task_parser(subparsers, name, help, doc):
    """The subcommand `unrolled <name>`, described by the first paragraph of its docstring."""
    return subparsers.add_parser(name, help=help, description=doc.split("\n\n")[0])


def add_cells_flag(parser, cells):
    """--cells a,b,c: the recurrent cells to compare (checked by `check_cells`)."""
    parser.add_argument(
        "--cells",
        action=Given,
        type=comma_list(str, "names"),
        default=",".join(cells),
        help=f"comma-separated cells: {', '.join(cells)}",
    )


def check_cells(cells, known):
    """The standard error unless `cells` is a non-empty selection from `known`."""
    if not cells or any(c not in known for c in cells):
        raise invalid("--cells", f"cells from {', '.join(known)}", ",".join(cells))


def add_common_flags(
    parser,
    out="output folder (default: runs/<task>-<time>/)",
    quiet="print only the summary",
    json="print the result as JSON on stdout (the rest goes to stderr)",
    seed="random seed",
):
    """Add --seed, --out DIR, --quiet and --json with these help texts; None leaves one out."""
    if seed is not None:
        parser.add_argument("--seed", action=Given, type=int, default=0, help=seed)
    if out is not None:
        parser.add_argument("--out", action=Given, metavar="DIR", help=out)
    if quiet is not None:
        parser.add_argument("--quiet", action=GivenTrue, help=quiet)
    if json is not None:
        parser.add_argument("--json", action=GivenTrue, help=json)


def check_common(config, task=None):
    """Before any work: --seed an integer >= 0, and the output folder one that can be made and
    written: --out, or (given `task`, for tasks that always write) runs/<task>-<time>/."""
    check_integer(config.seed, "--seed", low=0)
    out = getattr(config, "out", None)
    if out is None and task is not None:
        from unrolled.files import run_dir

        out = run_dir(None, task)
    check_writable(out, "--out", folder=True)


def config_from(cls, args):
    """The `cls` dataclass from parsed flags: one field per flag; fields without one keep
    their defaults, and flags without a field (func, ...) are left out."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in vars(args).items() if k in names})


# -- flags the user gave -----------------------------------------------------------------------
# A flag the user gives is never silently ignored or replaced: where a saved model or a fixed
# recipe makes it meaningless, giving it (even with the default's value) is a one-line error.
# The parser notes each flag given in args.given; from Python, a field off Config's default.
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


class GivenBoolean(argparse.BooleanOptionalAction):
    """--name / --no-name (argparse.BooleanOptionalAction), noted like Given."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _note(namespace, self.dest)


def given_fields(config, args=None):
    """The fields the user set: the flags on the command line (`args`, parsed with the Given
    actions), or from Python (no `args`) the fields of `config` off its class's defaults."""
    if args is not None:
        return set(getattr(args, "given", ()))
    default = dataclasses.asdict(type(config)())
    return {k for k, v in dataclasses.asdict(config).items() if v != default[k]}


def refuse_given(config, names, given, words):
    """The one-line InputError if the user gave (`given`) any field of `names`; else nothing.
    words(one, flags, typed) is its text, where one: a single flag; flags: in the order of
    `names`, "Arguments `--units`, `--no-lower`" ("Argument `--units`" for one); typed: as
    given, "--units 4 --no-lower"."""
    typed = [shown(n, getattr(config, n), typed=True) for n in names if n in given]
    if typed:
        flags = ", ".join(f"`{t.split()[0]}`" for t in typed)
        flags = f"Argument{'' if len(typed) == 1 else 's'} {flags}"
        raise InputError(words(len(typed) == 1, flags, " ".join(typed)))


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


def same(a, b):
    """a == b, where a list equals the tuple of its items."""
    return (tuple(a) if isinstance(a, list) else a) == (tuple(b) if isinstance(b, list) else b)


def shown(name, value, typed=False):
    """A value as typed: High,Open; a boolean --lower / --no-lower; None: none. typed: after
    its flag (--units 4, --features High,Open; a boolean as before)."""
    if isinstance(value, bool):
        return flag(name if value else f"no_{name}")
    text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    text = "none" if value is None else text
    return f"{flag(name)} {text}" if typed else text


def comma_list(kind, what):
    """An argparse type: "a, b,c" -> (kind(a), kind(b), kind(c)); a bad item: one line."""

    def parse(text):
        try:
            return tuple(kind(v.strip()) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what}, got {text!r}"
            ) from None

    return parse


def check_integer(value, argument, low=1, high=None):
    """The standard error unless `value` is an integer in [low, high] (no upper end: None)."""
    integer = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if not integer or value < low or (high is not None and value > high):
        expected = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise invalid(argument, expected, value)


def flag(name):
    """The flag of a Config field: batch_size -> --batch-size."""
    return "--" + name.replace("_", "-")


OUTPUT = ("quiet", "json")  # Config fields that change how the result is shown, not its numbers


def settings(config):
    """A task's Config as JSON values (tuples as lists), less --quiet and --json, which only
    choose how the result is shown: the settings its numbers depend on (memory's too)."""
    fields = dataclasses.asdict(config).items()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in fields if k not in OUTPUT}


# -- printing ----------------------------------------------------------------------------------
def printer(json, quiet):
    """say(text): facts for people, to stdout (stderr with --json), silent with --quiet."""
    stream = sys.stderr if json else sys.stdout

    def say(text=""):
        if not quiet:
            print(text, file=stream, flush=True)

    return say


# -- files -------------------------------------------------------------------------------------
def existing_file(path, argument):
    """`path` as a Path if it is a file; else one line: not found, or a folder."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"Argument `{argument}`: file {str(p)!r} not found.")
    if not p.is_file():
        kind = "a folder" if p.is_dir() else "not a regular file"
        raise InputError(f"Argument `{argument}`: {str(p)!r} is {kind}, not a file.")
    return p


def read_text(path, argument="--text"):
    """The text of a UTF-8 file, or one clear line: missing, a folder, not text, or empty."""
    p = existing_file(path, argument)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"Argument `{argument}`: {str(p)!r} is not UTF-8 text.") from None
    except OSError as error:
        raise InputError(
            f"Argument `{argument}`: cannot read {str(p)!r}: {error.strerror}."
        ) from None
    if not text.strip():
        raise InputError(f"Argument `{argument}`: file {str(p)!r} is empty.")
    return text


def load_model_file(path, argument="--model"):
    """(model, extras) from an unrolled model file, or one line that names the argument."""
    from unrolled.models import load_model

    p = existing_file(path, argument)
    try:
        return load_model(p, with_extras=True)
    except InputError as error:
        raise InputError(f"Argument `{argument}`: {error}") from None


def load_task_model(path, task, argument="--model"):
    """(model, extras) from a model file that `unrolled <task>` saved (extras["task"])."""
    model, extras = load_model_file(path, argument)
    if not isinstance(extras, dict) or extras.get("task") != task:
        raise InputError(
            f"Argument `{argument}`: {str(path)!r} was not saved by `unrolled {task}`."
        )
    return model, extras


def check_writable(path, argument, folder):
    """Before any work: an error if `path` cannot become a folder (folder=True) or a file,
    because a file stands where a folder must be, a folder where the file must go, or the
    nearest existing folder refuses a new file (probed with a temporary file, then removed)."""
    if path is None:
        return
    p = Path(path)
    if not folder and p.is_dir():
        raise InputError(f"Argument `{argument}`: {str(p)!r} is a folder; give a file name.")
    for above in (p, *p.parents) if folder else p.parents:
        if above.exists():
            if not above.is_dir():
                raise InputError(
                    f"Argument `{argument}`: {str(above)!r} is a file, so it cannot hold "
                    f"{'the run folder' if folder else 'the file'}."
                )
            _probe(above, p, argument)
            return


def _probe(folder, path, argument):
    """One line unless a file can be created (and removed) in `folder`, on the way to `path`."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".unrolled-probe-", suffix=".tmp")
    except OSError as error:
        raise InputError(
            f"Argument `{argument}`: cannot write {str(path)!r}: creating a file in "
            f"{str(folder)!r} failed ({error.strerror})."
        ) from None
    os.close(fd)
    os.remove(probe)


# -- training ----------------------------------------------------------------------------------
def one_blas_thread():
    """Run BLAS on one thread while training, if threadpoolctl is installed.

    Our GEMMs are small ((N*T, H) by (H, 4H)); extra BLAS threads only wait for each other,
    and on a busy 2-core machine they made training about 10x slower (measured).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up, not a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
