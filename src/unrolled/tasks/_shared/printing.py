"""How a task prints: facts for people as it goes, and plain-text tables for its summary
(no dependency: the engine stays NumPy-only)."""

import sys


def printer(json, quiet):
    """say(text): facts for people, to stdout (stderr with --json), silent with --quiet."""
    stream = sys.stderr if json else sys.stdout

    def say(text=""):
        if not quiet:
            print(text, file=stream, flush=True)

    return say


def format_table(headers, rows, align=None):
    """A fixed-width table. `rows` are sequences of already-formatted cells (str() applied).

    align: one of "<" or ">" per column (default: first column left, the rest right).
    """
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = align or ["<"] + [">"] * (len(headers) - 1)

    def line(row):
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])
