"""Writing task outputs safely: a file or a run folder is either complete or absent, never
half-written, and a writer that dies leaves nothing that piles up.

Both kinds of write go through a temporary sibling named `.<name>.<random>.tmp`, renamed onto
the target only when complete. A writer holds an exclusive lock (flock) on its temporary file
or folder while it works, and a process that dies lets go of its locks; so the next write of
the same target removes every such sibling nobody holds (`_sweep`): after any number of killed
writes, at most one stale temporary remains per target. Where there is no flock (Windows),
nothing is swept.
"""

import glob
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from unrolled.errors import InputError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


@contextmanager
def atomic_path(path):
    """Yield a temporary path in `path`'s folder; on success it is renamed onto `path`.

    The rename (os.replace) is atomic on one file system, so readers see the old file or
    the new one. On an exception the temporary file is removed and `path` is untouched; an
    OSError that names no file (a full disk, as a write reports it) names `path`.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {str(path)!r}: it is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, lock = _claim_temporary(path, tempfile.mkstemp)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        if error.filename is None:
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)
        _release(lock)


@contextmanager
def atomic_folder(path, problem):
    """Yield a new, empty temporary folder beside `path`; when the block completes, it
    becomes `path`.

    An earlier folder at `path` stays as it was until then, and is replaced whole (so two
    runs never mix their files), unless problem(path) says why it may not be: an InputError.
    On an exception (Ctrl-C included) the temporary folder is removed and `path` is as it
    was; an OSError about a file inside it names that file's final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder, lock = _claim_temporary(path, tempfile.mkdtemp)
    try:
        yield folder
        _replace_folder(folder, path, problem)
    except OSError as error:
        inside = error.filename is not None and Path(error.filename).is_relative_to(folder)
        if inside:
            error.filename = str(path / Path(error.filename).relative_to(folder))
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _release(lock)


def _release(lock):
    if lock is not None:
        os.close(lock)


def _replace_folder(folder, path, problem):
    """Rename `folder` onto `path`; an earlier folder there is moved aside first (under a
    temporary name that `_sweep` clears should this process die now) and then removed."""
    if path.is_dir() and any(path.iterdir()):
        reason = problem(path)
        if reason:
            raise InputError(reason)
        aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        os.replace(path, aside)  # onto the empty folder mkdtemp made
        os.replace(folder, path)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(folder, path)  # `path` absent, or an empty folder that it replaces


def _claim_temporary(path, make):
    """(temporary file or folder beside `path`, the fd holding its lock), after removing the
    stale ones of writers that died. make: tempfile.mkstemp or tempfile.mkdtemp."""
    prefix = f".{path.name}."
    _sweep(path.parent, prefix)
    while True:
        made = make(dir=path.parent, prefix=prefix, suffix=".tmp")
        if isinstance(made, tuple):  # mkstemp: (fd, name)
            os.close(made[0])
            made = made[1]
        os.chmod(made, (0o777 if os.path.isdir(made) else 0o666) & ~_umask())  # not 0600/0700
        if fcntl is None:
            return Path(made), None
        lock = os.open(made, os.O_RDONLY)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _same(lock, made):  # else a sweep elsewhere took it in the instant before the lock
            return Path(made), lock
        os.close(lock)


def _same(fd, name):
    """True if `name` still names the file or folder open as `fd`."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(name))
    except FileNotFoundError:
        return False


def _sweep(folder, prefix):
    """Remove `folder/<prefix>*.tmp` files and folders whose writer has died (no lock)."""
    if fcntl is None:
        return
    for stale in glob.glob(os.path.join(glob.escape(str(folder)), glob.escape(prefix) + "*.tmp")):
        try:
            lock = os.open(stale, os.O_RDONLY)
        except OSError:  # gone already
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            dead = _same(lock, stale)  # not renamed onto its target meanwhile
        except OSError:  # its writer is alive
            dead = False
        if dead and os.path.isdir(stale):
            shutil.rmtree(stale, ignore_errors=True)
        elif dead:
            with suppress(FileNotFoundError):  # another sweep was quicker
                os.remove(stale)
        os.close(lock)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text):
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path, document):
    """Write a JSON document atomically, indented for people to read."""
    write_text(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def save_figure(fig, path):
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)


def run_dir(out, task):
    """The output folder: `out` if given, else `runs/<task>-<YYYYmmdd-HHMMSS>/`. Not created."""
    return Path(out) if out else Path("runs") / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"
