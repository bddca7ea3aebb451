"""`unrolled charlm train|sample`: a character-level language model, char-rnn style.

The model reads one character at a time and predicts the next (Karpathy's min-char-rnn and
char-rnn, 2015): Embedding(V, E) -> LSTM or GRU (H) x layers -> Dense(V) logits, trained with
softmax cross-entropy (the network: model.py). Training (train.py):
    1) the text is split: the first 90% trains, the last 10% validates
    2) each part is cut into B parallel streams read in consecutive chunks of L characters;
       the recurrent layers are stateful, so row b of chunk k+1 starts from the state that
       row b of chunk k ended in, and the gradient stops at chunk edges (truncated BPTT)
    3) one Adam step per chunk with the gradient's global norm clipped to --clip
    4) every --eval-every steps: the validation loss in nats and bits per character
       (bpc = nats / ln 2); the best model so far is saved; every --sample-every steps, a sample
Sampling feeds the prime one character at a time through `model.step` (single-step
inference carrying the state, no predict() per character) and streams each new character.
The metrics, the final table and the loss curve: report.py.

From Python:
    from unrolled.tasks import charlm
    result = charlm.train(charlm.TrainConfig(text="input.txt", steps=2000, out="runs/shake"))
    print(charlm.sample(charlm.SampleConfig(model=result.model_path, prime="ROMEO:")))
"""

from dataclasses import dataclass
from functools import partial

import numpy as np

from unrolled.generate import check_sampling
from unrolled.tasks._shared.flags import add_common_flags, add_task_parser, config_from
from unrolled.tasks._shared.settings import check_common, check_integer
from unrolled.tasks.charlm.model import CELLS, TASK, generate_text, load, prime_text
from unrolled.tasks.charlm.train import train


@dataclass
class TrainConfig:
    """Settings of `unrolled charlm train`; each field is one command-line flag."""

    text: str | None = None  # a UTF-8 text file; None -> the built-in fable (955 characters)
    cell: str = "lstm"  # "lstm" or "gru"
    hidden: int = 128  # H, units per recurrent layer (char-rnn's rnn_size)
    layers: int = 2  # stacked recurrent layers (char-rnn's num_layers)
    embed_dim: int = 64  # E, the width of each character's learned vector
    dropout: float = 0.0  # dropout after each recurrent layer while training (char-rnn's 0)
    seq_len: int = 25  # L, characters per chunk: the BPTT truncation length (min-char-rnn's)
    batch_size: int = 16  # B, parallel streams; the fable's 859 training chars give 2 chunks
    steps: int | None = None  # optimizer steps (one per chunk); None -> 300 unless --epochs
    epochs: int | None = None  # passes over the training text instead of --steps
    lr: float = 0.002  # Adam's step size (char-rnn's learning rate)
    clip: float = 5.0  # clip the gradient's global norm to this (char-rnn's grad_clip)
    val_fraction: float = 0.1  # the last share of the text, held out for validation
    eval_every: int = 100  # steps between validation losses (and best-model checks)
    sample_every: int = 100  # steps between samples printed during training; 0 -> none
    sample_length: int = 200  # characters per training-time sample
    temperature: float = 0.8  # of the training-time samples
    seed: int = 0  # same seed, same weights, same batches, same samples
    out: str | None = None  # output folder; None -> runs/charlm-<time>/
    quiet: bool = False  # no progress bar, no facts, no samples; only the summary
    json: bool = False  # print metrics.json to stdout (everything else to stderr)


@dataclass
class SampleConfig:
    """Settings of `unrolled charlm sample`; each field is one command-line flag."""

    model: str  # a model file written by `charlm train`
    prime: str | None = None  # text to start from; None -> a newline (or the commonest char)
    length: int = 500  # characters to generate after the prime
    temperature: float = 1.0  # 0 -> greedy; < 1 safer, > 1 wilder
    top_k: int | None = None  # sample among the k likeliest characters only
    seed: int = 0  # same seed, same text
    quiet: bool = False  # print nothing (the text is still returned)


def sample(config):
    """Load a model file and stream `length` characters after the prime; returns all the text."""
    check_sampling(config.temperature, config.top_k, ("--temperature", "--top-k"))
    check_integer(config.length, "--length", low=0)
    check_common(config)
    model, vocab, _ = load(config.model)
    prime = prime_text(config.prime, vocab)
    rng = np.random.default_rng(config.seed)
    show = (lambda text: None) if config.quiet else partial(print, end="", flush=True)
    pieces = [prime]
    show(prime)
    for char in generate_text(
        model, vocab, prime, config.length, config.temperature, config.top_k, rng
    ):
        pieces.append(char)
        show(char)
    show("\n")
    return "".join(pieces)


def run(config):
    """`train` a TrainConfig or `sample` a SampleConfig."""
    return sample(config) if isinstance(config, SampleConfig) else train(config)


def add_parser(subparsers):
    """Add `unrolled charlm train` and `unrolled charlm sample`."""
    help = "character-level language model (char-rnn): train, then sample"
    parser = add_task_parser(subparsers, TASK, help, __doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    t = actions.add_parser(
        "train",
        help="train on a text file",
        description="Train a character-level model with truncated BPTT.",
    )
    d = TrainConfig()
    add = t.add_argument
    add("--text", metavar="FILE", help="UTF-8 text to learn (default: the built-in fable)")
    add("--cell", choices=CELLS, default=d.cell, help="recurrent cell")
    add("--hidden", type=int, default=d.hidden, help="units per recurrent layer")
    add("--layers", type=int, default=d.layers, help="stacked recurrent layers")
    add("--embed-dim", type=int, default=d.embed_dim, help="character embedding width")
    add(
        "--dropout",
        type=float,
        default=d.dropout,
        help="dropout after each recurrent layer (0: none)",
    )
    add("--seq-len", type=int, default=d.seq_len, help="characters per chunk (BPTT length)")
    add("--batch-size", type=int, default=d.batch_size, help="parallel streams")
    add("--steps", type=int, help="optimizer steps (default 300 unless --epochs)")
    add("--epochs", type=int, help="passes over the training text, instead of --steps")
    add("--lr", type=float, default=d.lr, help="Adam's learning rate")
    add("--clip", type=float, default=d.clip, help="clip the gradient's global norm")
    add("--val-fraction", type=float, default=d.val_fraction, help="held-out share of the text")
    add("--eval-every", type=int, default=d.eval_every, help="steps between validations")
    add("--sample-every", type=int, default=d.sample_every, help="steps between samples (0: none)")
    add("--sample-length", type=int, default=d.sample_length, help="characters per sample")
    add("--temperature", type=float, default=d.temperature, help="of the training samples")
    add_common_flags(t, json="print metrics.json to stdout (the rest goes to stderr)")
    t.set_defaults(func=_main, config_class=TrainConfig)

    s = actions.add_parser(
        "sample",
        help="generate text from a trained model",
        description="Stream characters from a model file, one step at a time.",
    )
    d = SampleConfig(model="")
    add = s.add_argument
    add("--model", metavar="FILE", required=True, help="model file from `charlm train`")
    add("--prime", help="text to start from (default: a newline)")
    add("--length", type=int, default=d.length, help="characters to generate")
    add("--temperature", type=float, default=d.temperature, help="0: greedy; > 0: sample")
    add("--top-k", type=int, default=d.top_k, help="sample among the k likeliest characters")
    add_common_flags(s, out=None, quiet="print nothing", json=None)
    s.set_defaults(func=_main, config_class=SampleConfig)
    return parser


def _main(args):
    run(config_from(args.config_class, args))
    return 0
