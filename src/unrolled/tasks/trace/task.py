"""`unrolled trace`: one pass through a recurrent network, one time step at a time.

The default is the tutorial's worked example (vocabulary h, e, l, o; hidden size 3):

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b)     y_t = W_hy h_t     p_t = softmax(y_t)
    L   = sum_t -log p_t[target_t]               (cross-entropy summed over the word)

with W_hh = 0.42703 * I, b = 0.567 in every unit and no output bias. The state starts at
h_0 = 0 before "h" (nothing precedes it), and each h_t is carried into the next step, so the
tutorial's numbers "for the letter e" are step 2 here: h_2 = [0.936534, 0.949104, 0.762341],
y_2 = [1.90607732, 1.13779113, 0.95666016, 1.27422602], and the untrained net predicts "h".
(The tutorial rounded intermediate values in a spreadsheet; we agree within 1e-5.)

`--backward` runs BPTT with the real step backward functions, newest step first, carrying
dL/dh from step t+1 into step t (`dh_future`), and checks the summed gradients against
central finite differences. `--cell lstm|gru` traces a gated cell with seeded random weights;
`--model FILE --input TEXT` traces the first recurrent layer of a model another task saved.
The networks live in nets.py, the math and its records (`Step`, `BackStep`) in steps.py,
the text output in report.py; this module resolves the settings, picks the network, runs it
and writes JSON.
"""

import json
from dataclasses import dataclass

import numpy as np

from unrolled.errors import InputError, invalid
from unrolled.tasks._shared.cells import KINDS
from unrolled.tasks._shared.flags import add_common_flags, add_task_parser, config_from
from unrolled.tasks._shared.settings import check_common, defaults, unused
from unrolled.tasks.trace.nets import model_net, random_net, tutorial_net
from unrolled.tasks.trace.steps import Net, backward, check_gradients, forward, total_loss


@dataclass
class Config:
    word: str | None = None  # None -> "hello", the tutorial's: inputs h e l l, targets e l l o
    cell: str | None = None  # None -> "rnn", the tutorial's weights; "lstm", "gru": seeded random
    backward: bool = False  # also run BPTT step by step and check it by finite differences
    model: str | None = None  # a model file saved by another task, traced instead of a cell
    input: str | None = None  # the text fed to --model (its last symbol is only a target)
    seed: int = 0  # draws the random weights of --cell lstm|gru (and FD samples of big models)
    json: bool = False  # print one JSON document instead of the tables
    out: str | None = None  # folder for trace.json; nothing is written without it


DEFAULTS = dict(word="hello", cell="rnn")  # without --model


@dataclass
class Result:
    config: Config
    net: Net
    steps: list
    total_loss: float
    back: list | None = None  # BackSteps, newest first
    gradients: dict | None = None  # name -> Gradient

    def to_json(self):
        """The machine-readable trace: vocabulary, every step's vectors, the gradients."""
        doc = {
            "task": "trace",
            "cell": self.net.kind,
            "source": self.net.about,
            "vocabulary": list(self.net.vocab),
            "steps": [_plain(s, skip=("cache", "top", "c")) for s in self.steps],
            "total_loss": self.total_loss,
        }
        if self.back is not None:
            doc["backward"] = {
                "steps": [_plain(b) for b in self.back],
                "gradients": {name: _plain(g) for name, g in self.gradients.items()},
            }
        return doc


def _plain(record, skip=()):
    """A record's fields as JSON values: arrays become lists (NaN, i.e. not checked: None)."""

    def value(v):
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, np.ndarray):
            return np.where(np.isnan(v), None, v).tolist() if np.isnan(v).any() else v.tolist()
        return v

    fields = {k: value(v) for k, v in vars(record).items() if k not in skip}
    if "parts" in fields:  # a step's intermediate vectors sit next to its h
        fields.update(fields.pop("parts"))
    return fields


def _symbols(net, text, argument):
    """Split `text` into the net's symbols; one clear error naming any unknown symbol."""
    symbols = net.tokenize(text) if net.tokenize else list(text)
    unknown = [s for s in dict.fromkeys(symbols) if s not in net.vocab]
    if unknown:
        shown = ", ".join(net.vocab) if len(net.vocab) <= 12 else f"{len(net.vocab)} symbols"
        raise InputError(
            f"Received an invalid value for argument `{argument}`, expected symbols from the "
            f"vocabulary ({shown}), got {text!r}: {', '.join(map(repr, unknown))} "
            f"{'is' if len(unknown) == 1 else 'are'} not in it."
        )
    if len(symbols) < 2:
        raise invalid(argument, "at least 2 symbols (inputs, then the next-symbol targets)", text)
    return symbols


def resolve(config):
    """The settings actually used, checked before any work. With --model the file fixes the
    cell, so --word and --cell are refused (whatever their value); without it they default."""
    check_common(config)  # --out only when given: trace writes nothing without it
    if config.model is not None:
        unused(
            config,
            ("word", "cell"),
            "cannot be combined with `--model` (the model file fixes the cell; give its text "
            "with `--input`).",
        )
        if config.input is None:
            raise invalid("--input", "a text to feed the model given with --model", None)
        return config
    if config.input is not None:
        raise invalid("--input", "to be used with --model FILE", config.input)
    config = defaults(config, DEFAULTS)
    if config.cell not in KINDS:
        raise invalid("--cell", f"one of {', '.join(KINDS)}", config.cell)
    return config


def run(config):
    """Trace the configured network; write trace.json when config.out is set."""
    config = resolve(config)
    if config.model is not None:
        net = model_net(config.model, config.backward)
        text, argument = config.input, "--input"
    else:
        kind = config.cell
        net = tutorial_net() if kind == "rnn" else random_net(kind, config.seed)
        text, argument = config.word, "--word"
    symbols = _symbols(net, text, argument)
    inputs, targets = symbols[:-1], symbols[1:]  # predict each next symbol
    steps = forward(net, inputs, targets)
    result = Result(config, net, steps, total_loss(steps))
    if config.backward:
        result.back, totals = backward(net, steps)
        result.gradients = check_gradients(net, inputs, targets, totals, config.seed)
    if config.out:
        from unrolled.files import run_dir, write_json

        write_json(run_dir(config.out, "trace") / "trace.json", result.to_json())
    return result


def add_parser(subparsers):
    help = "the tutorial's worked example (or any cell), one time step at a time"
    p = add_task_parser(subparsers, "trace", help, __doc__)
    word, cell = DEFAULTS["word"], DEFAULTS["cell"]
    p.add_argument("--word", help=f"word to trace, from the symbols h e l o (default: {word})")
    cells = "rnn (the tutorial's weights), lstm or gru (seeded random)"
    p.add_argument("--cell", help=f"{cells} (default: {cell})")
    p.add_argument(
        "--backward",
        action="store_true",
        help="also show BPTT step by step, with a finite-difference check",
    )
    p.add_argument(
        "--model", default=None, metavar="FILE", help="trace a model file saved by another task"
    )
    p.add_argument("--input", default=None, metavar="TEXT", help="text fed to --model")
    add_common_flags(
        p,
        seed="seed for lstm/gru random weights",
        json="print a JSON document instead",
        out="write trace.json here",
        quiet=None,
    )
    p.set_defaults(func=main)
    return p


def main(args):
    result = run(config_from(Config, args))
    if result.config.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        from unrolled.tasks.trace.report import format_text

        print(format_text(result))
    return 0
