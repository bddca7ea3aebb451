"""The files a user names on the command line: read one, load a model file, or check before any
work that an output path can be written. Each problem is one line that names the flag."""

import os
import tempfile
from pathlib import Path

from unrolled.errors import InputError


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
