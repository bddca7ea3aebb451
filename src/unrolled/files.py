"""Writing task outputs safely: a file is either complete or absent, never half-written."""

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from unrolled.errors import InputError


@contextmanager
def atomic_path(path):
    """Yield a temporary path in `path`'s folder; on success it is renamed onto `path`.

    The rename (os.replace) is atomic on one file system, so readers see the old file or
    the new one. On an exception the temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {str(path)!r}: it is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def run_dir(out, task):
    """The output folder: `out` if given, else `runs/<task>-<YYYYmmdd-HHMMSS>/`. Not created."""
    return Path(out) if out else Path("runs") / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"
