"""The output of `unrolled gradients`: the table, the claims read off it, the clipping demo
and the plot (log10 norm vs k, one panel per cell, one line per scale)."""

import math

from unrolled.tasks._shared.cells import NAMES
from unrolled.tasks._shared.printing import format_table

SHOW_K = (1, 10, 50)  # the table's columns, plus k = T-1


def plot(result, path):
    from unrolled.files import save_figure
    from unrolled.tasks._shared.plots import pyplot

    plt = pyplot()
    cells = list(dict.fromkeys(c.cell for c in result.curves))
    fig, axes = plt.subplots(
        1, len(cells), figsize=(4.2 * len(cells), 3.8), sharey=True, squeeze=False
    )
    colors = plt.get_cmap("viridis")
    scales = sorted({c.scale for c in result.curves})
    for ax, cell in zip(axes[0], cells, strict=True):
        for curve in (c for c in result.curves if c.cell == cell):
            color = colors(scales.index(curve.scale) / max(1, len(scales) - 1) * 0.9)
            ax.plot(curve.log10_norms, color=color, label=f"scale {curve.scale:g}")
        ax.axhline(0, color="grey", lw=0.6, ls=":")
        ax.set_title(NAMES[cell])
        ax.set_xlabel("k (steps back from the loss)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(r"$\log_{10} \Vert \partial L / \partial h_{T-k} \Vert$")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"Gradient norm flowing back through time (T = {result.config.steps})")
    save_figure(fig, path)
    return path


def sci(log10):
    """10**log10 in scientific notation, also far beyond float64's range (1e+331)."""
    if not math.isfinite(log10):
        return "0" if log10 < 0 else "inf"
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 2)
    if mantissa >= 10:  # 9.999 rounds up to the next power of ten
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.2f}e{exponent:+03d}"


def verdict(factor):
    if factor is None:
        return "-"
    return "vanishes" if factor < 0.97 else "explodes" if factor > 1.03 else "kept"


def format_table_text(result):
    T = result.config.steps
    ks = sorted({k for k in SHOW_K if k < T} | {T - 1})
    headers = ["cell", "scale", "radius"] + [f"k={k}" for k in ks] + ["per step", "trend"]
    rows = [
        [NAMES[c.cell], f"{c.scale:g}", f"{c.spectral_radius:.2f}"]
        + [sci(c.log10_norms[k]) for k in ks]
        + ["-" if c.factor is None else f"x{c.factor:.3f}", verdict(c.factor)]
        for c in result.curves
    ]
    return format_table(headers, rows, ["<"] + [">"] * (len(headers) - 2) + ["<"])  # words left


def format_text(result):
    c = result.config
    lines = [
        f"||dL/dh_(T-k)|| for a loss on the last of T = {c.steps} steps; geometric mean over "
        f"{c.batch} random sequences",
        f"setup: H = {c.hidden}, D = {c.inputs}, inputs N(0, {c.input_scale:g}^2), input weights "
        f"N(0, 1/D); recurrent block of every gate = scale * orthogonal (spectral radius = "
        f"scale); LSTM forget bias 1; seed {c.seed}",
        "",
        format_table_text(result),
        "",
        "per step: the fitted factor 10^slope of log10 norm vs k (< 1 vanishes, > 1 explodes)",
    ]
    lines += _claims(result)
    if result.clip:
        lines += [""] + _clip_lines(result.clip)
    return "\n".join(lines)


def _claims(result):
    """The tutorial's claims, read off the measured numbers (only where both cells ran)."""
    by = {(c.cell, c.scale): c for c in result.curves}
    k = min(50, result.config.steps - 1)
    lines = []
    for scale in result.config.scales:
        rnn, lstm = by.get(("rnn", scale)), by.get(("lstm", scale))
        if rnn is None or lstm is None or rnn.factor is None:
            continue
        gap = lstm.log10_norms[k] - rnn.log10_norms[k]  # orders of magnitude
        trend = {"kept": "holds steady"}.get(verdict(rnn.factor), verdict(rnn.factor))
        lines.append(
            f"scale {scale:g}: the SimpleRNN's gradient {trend} (x{rnn.factor:.3f} per step); "
            + (
                f"at k = {k} the LSTM keeps {gap:.1f} orders of magnitude more"
                if gap > 0
                else f"at k = {k} it is {-gap:.1f} orders of magnitude above the LSTM's"
            )
        )
    return lines


def _clip_lines(clip):
    name = f"{NAMES[clip['cell']]} at scale {clip['scale']:g}"
    return [
        f"Gradient clipping (--clip {clip['clip']:g}) on the largest gradient, {name}:",
        f"  ||dL/dW|| over all weights = {sci(clip['log10_grad_norm'])}; clipped to norm "
        f"{clip['clipped_norm']:.3g} (every entry multiplied by {sci(clip['log10_multiplier'])}; "
        "the direction is unchanged)",
        f"  one SGD step with learning rate {clip['learning_rate']:g} would move the weights by "
        f"{sci(clip['log10_step_unclipped'])} unclipped (||W_hh|| = {clip['Wh_norm']:.3g}), "
        f"by {clip['step_clipped']:.3g} clipped",
        "  clipping bounds the step, not the product of Jacobians: ||dL/dh_(T-k)|| still grows "
        f"x{clip['factor']:.3f} per step, so the far past dominates the direction;"
        if clip["factor"]
        else "  clipping bounds the step, not the gradient's direction;",
        "  it keeps one exploding batch from wrecking the weights (Pascanu et al. 2013).",
    ]
