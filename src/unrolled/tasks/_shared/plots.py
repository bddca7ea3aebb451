"""matplotlib, headless: every task draws through here so the Agg backend is always used, and
a figure that cannot be drawn never costs the user the run; write_plot_and_json is the
plot-and-JSON run folder that gradients and memory both write."""

import sys

from unrolled import files
from unrolled.errors import InputError
from unrolled.tasks._shared.user_files import run_folder


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


def write_plot_and_json(result, task, plot, out):
    """<out>/<task>.png, if `plot(result, path)` can draw it, and <out>/<task>.json from
    `result.to_json()`, all or nothing (run_folder); their final paths go in result.files.
    out None: runs/<task>-<time>/."""
    out = files.run_dir(out, task)
    with run_folder(out) as folder:
        if drawn(plot, result, path=folder / f"{task}.png"):
            result.files["plot"] = out / f"{task}.png"
        result.files["json"] = out / f"{task}.json"
        files.write_json(folder / f"{task}.json", result.to_json())
