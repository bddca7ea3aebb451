"""The output of `unrolled memory`: the score table (mean of the repeats, their range when
they disagree), the facts around it and the plot (score vs T, one line per cell)."""

import numpy as np

from unrolled.tasks._shared.cells import NAMES
from unrolled.tasks._shared.printing import format_table

STYLES = {"rnn": "o-", "lstm": "s-", "gru": "^--"}  # the gated cells' lines may coincide
HIT = 0.04  # the adding problem's tolerance (Hochreiter & Schmidhuber 1997)


def tokens_per_second(runs):
    """Training speed over `runs`: sequence steps per second of training time."""
    seconds = sum(r.seconds for r in runs)
    return sum(r.tokens for r in runs) / seconds if seconds > 0 else 0.0


def plot(result, path):
    """Mean score vs T per cell (log x), the repeats' range shaded, chance dashed."""
    from unrolled.files import save_figure
    from unrolled.tasks._shared.plots import pyplot

    plt = pyplot()
    c = result.config
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for cell in c.cells:
        scores = [100 * np.array(result.scores(cell, T)) for T in c.lengths]
        (line,) = ax.plot(c.lengths, [s.mean() for s in scores], STYLES[cell], label=NAMES[cell])
        ax.fill_between(
            c.lengths,
            [s.min() for s in scores],
            [s.max() for s in scores],
            color=line.get_color(),
            alpha=0.15,
            lw=0,
        )
    chance = "chance" if c.task == "recall" else "always answering 1"
    ax.axhline(100 * result.chance, color="grey", ls="--", lw=1, label=chance)
    ax.set_xscale("log")
    ax.set_xticks(c.lengths, [str(T) for T in c.lengths])
    ax.minorticks_off()
    ax.set_ylim(0, 105)
    ax.set_xlabel("T: steps from the symbol to the answer")
    ax.set_ylabel("held-out accuracy (%)" if c.task == "recall" else f"% within {HIT} of the sum")
    title = (
        f"Recall the first of T symbols (K = {c.symbols})"
        if c.task == "recall"
        else "Adding problem"
    )
    ax.set_title(f"{title}\nhidden {c.hidden}, same budget per cell, mean of {c.repeats} runs")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)
    return path


def _cell_text(scores):
    """ "99.7%", or "77.2% (52-100)" when the repeats disagree by 2 points or more."""
    lo, hi = 100 * min(scores), 100 * max(scores)
    spread = f" ({lo:.0f}-{hi:.0f})" if hi - lo >= 2 else ""
    return f"{100 * np.mean(scores):.1f}%{spread}"


def format_table_text(result):
    c = result.config
    rows = [
        [NAMES[cell]] + [_cell_text(result.scores(cell, T)) for T in c.lengths] for cell in c.cells
    ]
    return format_table(["cell"] + [f"T={T}" for T in c.lengths], rows)


def format_text(result):
    c = result.config
    runs = f"mean of {c.repeats} runs (min-max)" if c.repeats > 1 else "one run each"
    if c.task == "recall":
        head = (
            f"Recall the first of T symbols (K = {c.symbols}, chance "
            f"{100 * result.chance:.1f}%): held-out accuracy, {runs}"
        )
    else:
        head = (
            f"Adding problem: held-out share within {HIT} of the sum (always answering 1: "
            f"{100 * result.chance:.1f}%), {runs}"
        )
    lines = [
        head,
        f"budget per run: hidden {c.hidden}, {c.train} training sequences, at most "
        f"{c.epochs} epochs of batch {c.batch_size}, Adam lr {c.learning_rate:g}, clipnorm "
        f"{c.clipnorm:g}; keep bias {_keep(c)}; {c.test} test sequences",
        "",
        format_table_text(result),
        "",
    ]
    if c.task == "adding":
        mse = [
            [NAMES[cell]]
            + [f"{np.mean([r.mse for r in result.runs_of(cell, T)]):.4f}" for T in c.lengths]
            for cell in c.cells
        ]
        lines += ["test MSE (always answering 1: 0.1667)"]
        lines += [format_table(["cell"] + [f"T={T}" for T in c.lengths], mse), ""]
    most = {  # in the order of the runs: T, then cell
        (cell, T): max(r.epochs for r in result.runs_of(cell, T))
        for T in c.lengths
        for cell in c.cells
    }
    used = ", ".join(f"{NAMES[cell]} T={T}: {e}" for (cell, T), e in most.items() if e < c.epochs)
    if used:
        lines.append(
            f"solved before the {c.epochs}-epoch budget (epochs used, most of any run): {used}"
        )
    lines.append(
        f"time {result.seconds:.1f} s; training ran {tokens_per_second(result.runs):,.0f} "
        "sequence steps (tokens) per second"
    )
    return "\n".join(lines)


def _keep(config):
    B = config.keep_bias
    if B == "keras":
        return "keras (LSTM forget 1, others 0)"
    plus, minus = f"{B:+g}", f"{0.0 - B:+g}"  # 0.0 - 0.0 is +0, where -0.0 would print "-0"
    return f"{B:g} (LSTM forget {plus} / input {minus}, GRU update {plus})"
