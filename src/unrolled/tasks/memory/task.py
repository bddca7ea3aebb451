"""`unrolled memory`: how far back can a SimpleRNN, an LSTM and a GRU remember?

Recall (the default): step 1 shows one of K symbols (one-hot) with a "remember this" flag on;
the next T-1 steps show random distractor symbols from the same K, flag off; after the last
step the net must name the first symbol (K-way softmax, chance 1/K). The distractors share
the symbol's input channels, so the only way to keep the answer is to stop new inputs from
overwriting it: what the LSTM's input and forget gates do, and what a SimpleRNN's
h_t = tanh(W_xh x_t + W_hh h_{t-1} + b) cannot, since every input passes through the same
matrices and gradients from the answer back to step 1 vanish geometrically (`unrolled
gradients`).

Adding (`--task adding`, Hochreiter & Schmidhuber 1997, as in Le et al. 2015): each step is
(a value in [0, 1], a marker); two steps are marked, one in each half, and the target is the
sum of their values. Scored by MSE and by the share within 0.04 of the target (the original
criterion); always answering 1 gives MSE 1/6 and about 8% within 0.04.

Every cell gets the same hidden size, training set, epochs, batch size and optimizer (Adam
with global gradient clipping), a fresh model per (cell, T) and a held-out test set from
another seed. Training stops early once a run has clearly solved its training set, which
only saves time, never adds any.

The gated cells start out keeping their state and writing little (`--keep-bias B`, default 4):
LSTM forget-gate bias +B and input-gate bias -B, GRU update-gate bias +B. This is a constant
form of chrono initialisation (Tallec & Ollivier 2018): σ(4) = 0.98 keeps a memory for ~50
steps. With Keras's defaults (`--keep-bias keras`: forget bias 1, others 0) the answer's trace
at step 50 is scaled by about 0.73^49 = 2e-7 at initialisation, and the LSTM rarely finds it
within this budget. A SimpleRNN has no gate to open: its best start is already the orthogonal
W_hh it gets (Saxe et al. 2014; see `unrolled gradients`).

The data lives in data.py, one (cell, T) run in train.py, the table and the plot in report.py;
this module resolves the settings, runs the grid and writes the files.
"""

import argparse
import contextlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from unrolled.errors import invalid
from unrolled.tasks._shared.blas import one_blas_thread
from unrolled.tasks._shared.cells import KINDS, NAMES
from unrolled.tasks._shared.flags import (
    add_cells_flag,
    add_common_flags,
    add_task_parser,
    comma_list,
    config_from,
)
from unrolled.tasks._shared.plots import write_plot_and_json
from unrolled.tasks._shared.settings import (
    as_json,
    check_cells,
    check_common,
    check_integer,
    defaults,
    flag,
    unused,
)
from unrolled.tasks.memory import report as memory_report
from unrolled.tasks.memory.report import HIT
from unrolled.tasks.memory.train import train_one

TASKS = ("recall", "adding")


@dataclass
class Config:
    task: str = "recall"  # "recall" the first symbol, or the "adding" problem
    cells: tuple = KINDS  # cells to compare, all with the same budget
    lengths: tuple | None = None  # sequence lengths T; None -> 5 to 100 (--quick: 5, 50)
    symbols: int | None = None  # K: the recall task's alphabet (chance 1/K); None -> 8
    hidden: int = 16  # H for every cell (3 bits to keep); at 32 a SimpleRNN sometimes latches
    train: int | None = None  # training sequences per (cell, T); None -> 2048
    epochs: int | None = None  # at most (None -> 20); a run stops once it solves its data
    batch_size: int = 64  # sequences per update: 32 updates per epoch
    learning_rate: float = 0.01  # Adam; 10x Keras's default, these tasks are small
    clipnorm: float = 1.0  # global gradient clipping, against the explosions of `gradients`
    keep_bias: float | str | None = None  # gated cells' keep bias (doc above); None -> 4.0
    test: int | None = None  # held-out sequences per T; None -> 1000
    repeats: int | None = None  # independent runs per (cell, T), averaged; None -> 3
    quick: bool = False  # a seconds-long run for tests: QUICK fills the fields not given
    seed: int = 0  # same seed, same data, weights and numbers
    out: str | None = None  # folder for memory.png and memory.json; None: runs/memory-<time>
    quiet: bool = False  # no progress bar, just the table
    json: bool = False  # print memory.json to stdout instead of the table


# what a field not given gets: --quick's tiny settings first (with it), then the defaults
QUICK = dict(lengths=(5, 50), train=1024, epochs=10, test=300, repeats=1)
DEFAULTS = dict(
    lengths=(5, 10, 20, 50, 100),
    symbols=8,
    train=2048,
    epochs=20,
    keep_bias=4.0,
    test=1000,
    repeats=3,
)


@dataclass
class Result:
    config: Config
    runs: list
    chance: float
    seconds: float
    files: dict = field(default_factory=dict)

    def runs_of(self, cell, T):
        """The repeats of one (cell, T)."""
        return [r for r in self.runs if r.cell == cell and r.T == T]

    def scores(self, cell, T):
        return [r.score for r in self.runs_of(cell, T)]

    def score(self, cell, T):
        """The mean over the repeats."""
        return float(np.mean(self.scores(cell, T)))

    def to_json(self):
        return {
            "task": "memory",
            "config": as_json(self.config),
            "chance": self.chance,
            "metric": _metric(self.config),
            "seconds": round(self.seconds, 2),
            "tokens_per_second": round(memory_report.tokens_per_second(self.runs)),
            "runs": [asdict(r) for r in self.runs],
        }


def _metric(config):
    return "accuracy" if config.task == "recall" else f"share within {HIT} of the sum"


def resolve(config):
    """The settings actually used, checked before any work: a flag given where it would do
    nothing (--symbols with --task adding, --keep-bias without a gated cell) is refused, even
    with the default's value; --quick, then the defaults, fill the fields not given."""
    if config.task not in TASKS:
        raise invalid("--task", f"one of {', '.join(TASKS)}", config.task)
    check_cells(config.cells, KINDS)
    if config.task != "recall":
        unused(
            config,
            ("symbols",),
            f"only --task recall has symbols, expected it left out with --task {config.task}; "
            f"got --symbols {config.symbols}.",
        )
    if not {"lstm", "gru"} & set(config.cells):
        unused(
            config,
            ("keep_bias",),
            "only the gated cells have one, expected --cells with lstm or gru; "
            f"got --cells {','.join(config.cells)}.",
        )
    if config.quick:
        config = defaults(config, QUICK)
    config = defaults(config, DEFAULTS)
    if not config.lengths or any(
        isinstance(T, bool) or not isinstance(T, int) or T < 1 for T in config.lengths
    ):
        raise invalid("--lengths", "sequence lengths T >= 1", ",".join(map(str, config.lengths)))
    for name, values in (("--lengths", config.lengths), ("--cells", config.cells)):
        if len(set(values)) < len(values):  # a repeat would show the same column or row twice
            raise invalid(name, "distinct values", ",".join(map(str, values)))
    check_integer(config.symbols, "--symbols", low=2)
    for name in ("hidden", "train", "epochs", "batch_size", "test", "repeats"):
        check_integer(getattr(config, name), flag(name))
    for name in ("learning_rate", "clipnorm"):
        value = getattr(config, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise invalid(flag(name), "a number > 0", value)
    B = config.keep_bias
    if B != "keras" and not (isinstance(B, (int, float)) and math.isfinite(B)):
        raise invalid("--keep-bias", "a finite number or 'keras'", B)
    check_common(config, "memory")
    return config


def run(config):
    """Train every (cell, T), score on held-out data, write memory.png and memory.json."""

    config = resolve(config)
    chance = 1.0 / config.symbols if config.task == "recall" else _adding_chance()
    total = (
        config.epochs
        * math.ceil(config.train / config.batch_size)
        * config.repeats
        * len(config.cells)
        * len(config.lengths)
    )
    bar = _bar(total, config.quiet or config.json)
    started = time.perf_counter()
    runs = []
    with one_blas_thread(), contextlib.closing(bar):
        for T in config.lengths:
            for cell in config.cells:
                for repeat in range(config.repeats):
                    bar.set_description(f"{NAMES[cell]} T={T}")
                    runs.append(train_one(cell, T, config, repeat, bar))
                bar.set_postfix_str(f"{memory_report.tokens_per_second(runs):,.0f} tok/s")
    result = Result(config, runs, chance, time.perf_counter() - started)
    write_plot_and_json(result, "memory", memory_report.plot, config.out)
    return result


def _adding_chance():
    """P(|s - 1| < 0.04) for s the sum of two U(0, 1): the constant answer 1's hit rate."""
    return 2 * HIT - HIT * HIT


def _bar(total, quiet):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", disable=True if quiet else None, file=sys.stderr)


def _bias(text):
    """An argparse type: a number, or "keras" (the layers' own defaults)."""
    if text == "keras":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'keras', got {text!r}") from None


def add_parser(subparsers):
    help = "long-term memory: SimpleRNN vs LSTM vs GRU as the gap grows"
    p = add_task_parser(subparsers, "memory", help, __doc__)
    d, D = Config(), DEFAULTS
    add = p.add_argument
    add("--task", default=d.task, help="recall or adding")
    add_cells_flag(p, d.cells)
    lengths = ",".join(map(str, D["lengths"]))
    add(
        "--lengths",
        type=comma_list(int, "integers"),
        help=f"comma-separated T values (default: {lengths})",
    )
    add("--symbols", "-K", type=int, help=f"recall alphabet size K (default: {D['symbols']})")
    add("--hidden", type=int, default=d.hidden, help="hidden units (every cell)")
    add("--train", type=int, help=f"training sequences per run (default: {D['train']})")
    add("--epochs", type=int, help=f"at most this many epochs (default: {D['epochs']})")
    add("--batch-size", type=int, default=d.batch_size, help="batch size")
    add("--learning-rate", type=float, default=d.learning_rate, help="Adam's rate")
    add("--clipnorm", type=float, default=d.clipnorm, help="global clip norm")
    add(
        "--keep-bias",
        type=_bias,
        metavar="B",
        help="gated cells start keeping: LSTM forget bias +B, input bias -B, GRU "
        f"update bias +B; 'keras' for Keras's defaults (default: {D['keep_bias']})",
    )
    add("--test", type=int, help=f"held-out sequences per T (default: {D['test']})")
    add("--repeats", type=int, help=f"runs per (cell, T) (default: {D['repeats']})")
    quick = "tiny settings that run in seconds (the flags given keep their values)"
    add("--quick", action="store_true", help=quick)
    add_common_flags(p, quiet="no progress bar", json="print memory.json to stdout")
    p.set_defaults(func=main)
    return p


def main(args):
    result = run(config_from(Config, args))
    if result.config.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(memory_report.format_text(result))
        if not result.config.quiet:
            print("\n" + "\n".join(f"{name}: {path}" for name, path in result.files.items()))
    return 0
