"""The command line every task shares: its subcommand, the common flags, a Config from them.

Each flag is one Config field (--batch-size is batch_size). A flag whose "not given" matters has
the argparse default None, like its field, and its help shows the value the task's resolve step
fills in; `config_from` passes on only the flags that hold a value, so the command line builds
the same Config a Python caller would write.
"""

import argparse
import dataclasses


def add_task_parser(subparsers, name, help, doc):
    """The subcommand `unrolled <name>`, described by the first paragraph of its docstring."""
    return subparsers.add_parser(name, help=help, description=doc.split("\n\n")[0])


def add_common_flags(
    parser,
    out="output folder (default: runs/<task>-<time>/)",
    quiet="print only the summary",
    json="print the result as JSON on stdout (the rest goes to stderr)",
    seed="random seed",
):
    """Add --seed, --out DIR, --quiet and --json with these help texts; None leaves one out.
    --seed and --out default to None: the Config's own default applies."""
    if seed is not None:
        parser.add_argument("--seed", type=int, help=seed)
    if out is not None:
        parser.add_argument("--out", metavar="DIR", help=out)
    if quiet is not None:
        parser.add_argument("--quiet", action="store_true", help=quiet)
    if json is not None:
        parser.add_argument("--json", action="store_true", help=json)


def add_cells_flag(parser, cells):
    """--cells a,b,c: the recurrent cells to compare (checked by settings.check_cells)."""
    parser.add_argument(
        "--cells",
        type=comma_list(str, "names"),
        default=",".join(cells),
        help=f"comma-separated cells: {', '.join(cells)}",
    )


def comma_list(kind, what):
    """An argparse type: "a, b,c" -> (kind(a), kind(b), kind(c)); a bad item: one line."""

    def parse(text):
        try:
            return tuple(kind(v.strip()) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what}, got {text!r}"
            ) from None

    return parse


def config_from(cls, args):
    """The `cls` dataclass from parsed flags: each flag that holds a value (not None) sets its
    field; the other fields keep their defaults, and flags without a field (func, ...) are
    left out."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in vars(args).items() if k in names and v is not None})
