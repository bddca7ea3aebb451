"""Keras 3's `model.summary()` table: each layer's name (type), output shape and parameter count.

Model: "sequential"
┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)     ┃ Output Shape ┃ Param # ┃
...
 Total params: 101 (404.00 B)
"""

from unrolled.models import train_state
from unrolled.models.checks import format_shape


def summary_table(model):
    """The whole summary of a Sequential `model` as one string (built or not)."""
    shape = model.input_shape
    rows = []
    for layer in model.layers:
        shape = layer.compute_output_shape(shape) if model.built else None
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", format_shape(shape), params))
    total = model.count_params() if model.built else 0
    frozen = model.built and train_state.frozen_count(model)
    itemsize = model.dtype.itemsize if model.built else 4
    lines = [f'Model: "{model.name}"', *_box(("Layer (type)", "Output Shape", "Param #"), rows)]
    lines += [
        f" {label} params: {count:,} ({_bytes(count * itemsize)})"
        for label, count in (
            ("Total", total),
            ("Trainable", total - frozen),
            ("Non-trainable", frozen),
        )
    ]
    return "\n".join(lines)


def _bytes(n):
    """Keras's readable size: 404.00 B, 1.57 KB."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TB"


def _box(header, rows):
    """Keras 3's box-drawn table, the last column right-aligned."""
    widths = [max(w, *(len(r[i]) for r in [header, *rows])) for i, w in enumerate((31, 22, 13))]

    def rule(left, fill, joint, right):
        return left + joint.join(fill * (w + 2) for w in widths) + right

    def line(cells, edge):
        name, shape, params = cells
        w0, w1, w2 = widths
        return f"{edge} {name:<{w0}} {edge} {shape:<{w1}} {edge} {params:>{w2}} {edge}"

    out = [rule("┏", "━", "┳", "┓"), line(header, "┃"), rule("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        out.append(line(row, "│"))
        out.append(rule("├", "─", "┼", "┤") if i < len(rows) - 1 else rule("└", "─", "┴", "┘"))
    return out
