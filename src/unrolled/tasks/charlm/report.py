"""The output of `unrolled charlm train`: metrics.json, the final table and the loss curve.

Losses are cross-entropies in nats per character; bits per character are nats / ln 2.
"""

import math
from pathlib import Path

import numpy as np

from unrolled.files import save_figure
from unrolled.tasks._shared.printing import format_table
from unrolled.tasks.charlm.model import TASK

LN2 = math.log(2)


def metrics(config, result, V, source):
    """metrics.json: the settings, the losses (nats and bits per character), speed, samples."""
    keys = ("steps", "train_loss", "val_loss", "best_val_loss", "tokens_per_second", "seconds")
    document = {"task": TASK, "text": source, "vocab_size": V, "config": vars(config).copy()}
    document["history"] = result.history
    document.update({k: getattr(result, k) for k in keys})
    document["files"] = {"model": result.model_path, "curve": result.curve_path}
    document["best_val_bpc"] = result.best_val_loss / LN2
    document["samples"] = [{"step": s, "text": t} for s, t in result.samples]
    return document


def summary(result):
    """The final table: losses in nats and bits per character, speed, files."""
    rows = [
        (
            "train loss (last interval)",
            f"{result.train_loss:.4f}",
            f"{result.train_loss / LN2:.3f}",
        ),
        ("validation loss (last)", f"{result.val_loss:.4f}", f"{result.val_loss / LN2:.3f}"),
        (
            "validation loss (best, saved)",
            f"{result.best_val_loss:.4f}",
            f"{result.best_val_loss / LN2:.3f}",
        ),
    ]
    table = format_table(["after " + f"{result.steps:,} steps", "nats/char", "bits/char"], rows)
    return (
        f"{table}\n\nspeed: {result.tokens_per_second:,.0f} characters/s; "
        f"time: {result.seconds:.1f} s\nmodel: {result.model_path}\ncurve: {result.curve_path}"
    )


def plot_curve(losses, history, path):
    """Training loss per step (and its running mean) and validation loss, in nats/char."""
    from unrolled.tasks._shared.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color="tab:blue", alpha=0.25, lw=0.8, label="train (per step)")
    w = max(1, len(losses) // 50)
    smooth = np.convolve(losses, np.ones(w) / w, mode="valid")  # running mean over w steps
    ax.plot(steps[w - 1 :], smooth, color="tab:blue", lw=1.5, label=f"train ({w}-step mean)")
    ax.plot(
        history["step"], history["val_loss"], "o-", color="tab:orange", ms=3, label="validation"
    )
    best = int(np.argmin(history["val_loss"]))
    ax.plot(
        history["step"][best],
        history["val_loss"][best],
        "*",
        color="tab:red",
        ms=11,
        label="best validation (saved)",
    )
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per character)")
    right = ax.secondary_yaxis("right", functions=(lambda n: n / LN2, lambda b: b * LN2))
    right.set_ylabel("bits per character")
    ax.set_title("charlm: cross-entropy per character")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, Path(path))
