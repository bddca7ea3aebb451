"""matplotlib, headless: every task draws through here so the Agg backend is always used, and
a figure that cannot be drawn never costs the user the run."""

import sys

from unrolled.errors import InputError


def require_matplotlib(task):
    """Before any work: one line saying what to install when matplotlib, which `unrolled
    <task>` draws with, is missing (it comes with the [tasks] extra; the engine needs none)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError(
            f"unrolled {task} draws its plots with matplotlib, which is not installed: "
            "pip install 'unrolled[tasks]'"
        ) from None


def pyplot():
    """matplotlib.pyplot on the Agg backend (no screen needed), imported only when a task plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def drawn(plot, *args, path):
    """plot(*args, path): True once the figure is saved at `path`; False, with one note on
    stderr, when it cannot be drawn (matplotlib has many ways to fail on extreme values), so
    the run keeps everything else. An OSError is a failed write, not a failed drawing: raised."""
    try:
        plot(*args, path)
    except OSError:
        raise
    except Exception as error:  # any failure to draw is the same to the user
        reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]  # one line
        print(  # in the words of forecast's (forecast/report.py), even with --quiet
            f"warning: {path.name} skipped: the plot could not be drawn ({reason}); the other "
            "files are written.",
            file=sys.stderr,
        )
        return False
    return True
