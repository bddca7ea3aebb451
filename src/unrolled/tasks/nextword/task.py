"""`unrolled nextword`: predict the next word from the previous few, as in the tutorial's use case.

The tutorial's LSTM example (after Rowel Atienza, "LSTM by Example using TensorFlow", 2017):
map each of the 112 symbols of "Belling the Cat" to an integer by frequency, feed 3 symbols,
predict the 4th with a softmax over all 112. Here:
    1) read the text (the built-in fable, or --text FILE) and fit a word Vocabulary
    2) cut every window of --context ids -> the id that follows (201 windows on the fable)
    3) train Embedding (or one-hot) -> LSTM x --layers -> Dense(V, softmax) with RMSprop,
       or load a model file saved earlier (the vocabulary travels inside it)
    4) report top-1 / top-5 accuracy on the windows
    5) answer prompts: the 5 likeliest next words and a generated continuation
With a context of 3 the fable allows at most 199/201 = 99.0% top-1: two 3-word contexts are
followed by different words in different places.
The network, its training and the prompt answers live in model.py.
"""

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unrolled import config as unrolled_config
from unrolled.data import Vocabulary, fable_text, lm_windows
from unrolled.errors import InputError, invalid
from unrolled.files import write_json
from unrolled.generate import check_sampling
from unrolled.models.saving import suffix_problem
from unrolled.tasks._shared.flags import add_common_flags, add_task_parser, config_from
from unrolled.tasks._shared.printing import printer
from unrolled.tasks._shared.settings import (
    check_common,
    check_integer,
    defaults,
    fixed,
    flag,
    unused,
)
from unrolled.tasks._shared.user_files import check_writable, read_text
from unrolled.tasks.nextword.model import (
    accuracy,
    answer,
    build_model,
    format_answer,
    interactive,
    load,
    model_inputs,
    prompt_ids,
    saved_settings,
    train,
)

TASK = "nextword"
INPUTS = ("embedding", "onehot")
TRAINING = ("epochs", "batch_size", "learning_rate")  # done when the model file was saved
GENERATION = ("length", "temperature", "top_k")  # used only to answer prompts


@dataclass
class Config:
    """Settings of one nextword run; each field is one command-line flag. `resolve` fills the
    fields left None: the network's from the model file with --model, the rest from DEFAULTS."""

    text: str | None = None  # a UTF-8 text file to learn from; None -> the built-in fable
    context: int | None = None  # words the model sees
    lower: bool | None = None  # lower-case the text
    input: str | None = None  # "embedding" (learned vectors) or "onehot" (V-wide 0/1 vectors)
    embed_dim: int | None = None  # embedding width
    units: int | None = None  # per LSTM layer
    layers: int | None = None  # stacked LSTM layers
    epochs: int | None = None  # passes over the windows
    batch_size: int | None = None  # windows per RMSprop step
    learning_rate: float | None = None  # RMSprop's step size
    prompt: str | None = None  # words to continue, e.g. "had a general"
    interactive: bool = False  # read prompts from standard input, one per line, until EOF
    length: int | None = None  # words generated after each prompt
    temperature: float | None = None  # 0 -> greedy; > 0 samples
    top_k: int | None = None  # sample only among the k likeliest words
    save: str | None = None  # write the trained model (with its vocabulary) to this file
    model: str | None = None  # reuse a saved model file: no training
    seed: int = 0  # same seed, same weights, same numbers
    out: str | None = None  # also write metrics.json and model.npz to this folder
    quiet: bool = False  # no progress bar and no facts; only answers and the summary
    json: bool = False  # print the result as JSON on stdout (facts go to stderr)


DEFAULTS = dict(  # what a field left None gets (with --model, the network's come from the file)
    context=3,  # the tutorial's "3 symbols in, 1 out"
    lower=True,  # the fable's 112 symbols are lower case
    input="embedding",
    embed_dim=64,  # plenty for a vocabulary of ~100 words
    units=512,  # as in the TensorFlow version of this example
    layers=2,  # as in the TensorFlow version
    epochs=40,  # measured on the fable: 96.5% top-1 after 30 epochs, 99.0% after 40
    batch_size=16,  # 13 RMSprop steps per epoch on the fable
    learning_rate=0.003,  # the TF version's 0.001 needs > 60 epochs here
    length=10,
    temperature=0.0,  # greedy
)


@dataclass
class Result:
    """What `run` returns (and --json prints)."""

    vocab_size: int  # V, symbols in the vocabulary
    windows: int  # training examples (context -> next word)
    top1: float | None  # fraction of windows whose likeliest prediction is right
    top5: float | None  # fraction of windows whose next word is among the 5 likeliest
    epochs: int  # epochs trained (0 when a model file was reused)
    seconds: float  # training wall time
    history: dict = field(default_factory=dict)  # per-epoch "loss" and "accuracy"
    answers: list = field(default_factory=list)  # an Answer per prompt
    model_path: str | None = None  # where the model was saved, if it was
    model: object = field(default=None, repr=False)  # the trained or loaded model
    vocabulary: object = field(default=None, repr=False)  # its Vocabulary

    def to_dict(self):
        skip = ("model", "vocabulary")
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}
        d["answers"] = [dataclasses.asdict(a) for a in self.answers]
        return d


def resolve(config):
    """The settings actually used, checked before any training, and the model file's
    (model, vocabulary, extras) with --model, else None.

    With --model the file fixes the network (a network flag that disagrees is an error) and a
    training flag is refused; without --prompt or --interactive a generation flag is refused
    (either whatever its value). The fields still None get DEFAULTS.
    """
    for other in ("save", "text"):
        if config.model is not None and getattr(config, other) is not None:
            raise InputError(f"Pass either --model FILE (reuse a model) or --{other}, not both.")
    if config.model is not None:
        why = "a saved model is used as it was trained, so expected it left out."
        unused(config, TRAINING, why)
    if config.prompt is None and not config.interactive:
        why = "it only shapes answers to --prompt or --interactive, so expected it left out."
        unused(config, GENERATION, why)
    saved = None
    if config.model is not None:
        saved = load(config.model)
        config = fixed(
            config,
            saved_settings(*saved),
            "the model file",
            lambda f: f"leave {f} out to use the model's setting",
        )
        if config.prompt is None and not config.interactive:
            raise InputError(
                "Argument `--model`: a saved model answers prompts, expected --prompt WORDS or "
                "--interactive with it, got neither."
            )
    config = defaults(config, DEFAULTS)
    for name in ("context", "embed_dim", "units", "layers", "epochs", "batch_size"):
        check_integer(getattr(config, name), flag(name))
    check_integer(config.length, "--length", low=0)
    if config.input not in INPUTS:
        raise invalid("--input", f"one of {', '.join(INPUTS)}", config.input)
    if not config.learning_rate > 0:
        raise invalid("--learning-rate", "a positive number", config.learning_rate)
    check_sampling(config.temperature, config.top_k, ("--temperature", "--top-k"))
    if config.top_k is not None and config.temperature == 0:
        raise InputError(
            "Argument `--top-k`: only used when sampling, expected --temperature > 0 with it, "
            f"got --temperature {config.temperature:g} (greedy)."
        )
    if config.save is not None and (problem := suffix_problem(config.save)):
        raise InputError(f"Argument `--save`: {problem}.")
    check_writable(config.save, "--save", folder=False)
    check_common(config)  # --out only when given: nothing is written without it
    return config, saved


def _prepare(config):
    """(vocab, tokens, source) from --text or the fable; errors before anything is trained."""
    source = "the built-in fable" if config.text is None else repr(config.text)
    text = fable_text() if config.text is None else read_text(config.text)
    vocab = Vocabulary(level="word", lower=config.lower)
    tokens, C = vocab.tokenize(text), config.context
    if len(tokens) < C + 1:
        raise InputError(
            f"Argument `--text`: {source} has {len(tokens)} words but --context {C} needs at "
            f"least {C + 1} (a context and the word after it)."
        )
    return vocab.fit(tokens), tokens, source


def run(config, stdin=None):
    """Train (or load) a next-word model, score it and answer prompts; returns a Result.

    stdin: where --interactive reads prompts from (default sys.stdin).
    """
    config, saved = resolve(config)
    say = printer(config.json, config.quiet)
    unrolled_config.set_seed(config.seed)

    # 1) + 2) vocabulary and windows, or a model file; a bad prompt fails before training
    if saved is not None:
        model, vocab, extras = saved
    else:
        vocab, tokens, source = _prepare(config)
    C, V = config.context, len(vocab)
    if config.prompt is not None:
        prompt_ids(config.prompt, vocab, C)
    say(f"vocab size: {V}")

    if saved is not None:
        say(f"model: {config.model} (trained on {extras.get('source')}; no training)")
        result = Result(V, 0, extras.get("top1"), extras.get("top5"), 0, 0.0)
    else:
        X, y = lm_windows(vocab.encode(tokens), C)  # (W, C), (W,)
        inputs = model_inputs(X, V, config.input)  # ids (W, C) or one-hot (W, C, V), built once
        say(f"text: {source}, {len(tokens):,} words; windows: {len(y):,} ({C} words -> next)")

        # 3) train
        model = build_model(V, config)
        say(
            f"model: {'Embedding' if config.input == 'embedding' else 'one-hot'} -> "
            f"{config.layers} x LSTM({config.units}) -> Dense({V}, softmax), "
            f"{model.count_params():,} parameters; RMSprop lr {config.learning_rate}, "
            f"batch {config.batch_size}, {config.epochs} epochs"
        )
        history, seconds = train(model, inputs, y, config)

        # 4) accuracy on the windows with the final weights (not the epoch's running mean)
        top1, top5 = accuracy(model, inputs, y)
        result = Result(
            V, len(y), top1, top5, len(history.get("loss", [])), round(seconds, 2), history
        )
        say(f"trained {result.epochs} epochs in {seconds:.1f} s")
        say(f"top-1 accuracy: {top1:.1%}   top-5 accuracy: {top5:.1%}   ({len(y)} windows)")
        extras = dict(
            task=TASK,
            vocabulary=vocab.to_state(),
            source=source,
            context=C,
            input=config.input,
            top1=top1,
            top5=top5,
        )
        paths = [Path(config.save)] if config.save else []
        if config.out:
            paths.append(Path(config.out) / "model.npz")
        for path in paths:
            model.save(path, extras=extras)
            say(f"model saved: {path}")
        result.model_path = str(paths[0]) if paths else None
    result.model, result.vocabulary = model, vocab

    # 5) prompts
    stream = sys.stderr if config.json else sys.stdout
    rng = np.random.default_rng(config.seed)
    if config.prompt is not None:
        result.answers.append(answer(model, vocab, config.prompt, config, rng))
        print(format_answer(result.answers[-1]), file=stream, flush=True)
    if config.interactive:
        interactive(model, vocab, config, rng, stdin or sys.stdin, result, stream)

    if config.out:
        write_json(Path(config.out) / "metrics.json", result.to_dict())
    if config.json:
        print(json.dumps(result.to_dict(), indent=2))
    return result


def add_parser(subparsers):
    """Add `unrolled nextword` with one flag per Config field."""
    help = "next-word prediction with an LSTM (the tutorial's 'Belling the Cat')"
    parser = add_task_parser(subparsers, TASK, help, __doc__)
    D, add = DEFAULTS, parser.add_argument
    add("--text", metavar="FILE", help="UTF-8 text to learn from (default: the built-in fable)")
    add("--context", type=int, help=f"words in, to predict the next one (default: {D['context']})")
    add(
        "--lower",
        action=argparse.BooleanOptionalAction,
        help=f"lower-case the text (default: {D['lower']})",
    )
    add("--input", choices=INPUTS, help=f"how words enter the LSTM (default: {D['input']})")
    add("--embed-dim", type=int, help=f"embedding width (default: {D['embed_dim']})")
    add("--units", type=int, help=f"units per LSTM layer (default: {D['units']})")
    add("--layers", type=int, help=f"stacked LSTM layers (default: {D['layers']})")
    add("--epochs", type=int, help=f"training epochs (default: {D['epochs']})")
    add("--batch-size", type=int, help=f"windows per step (default: {D['batch_size']})")
    add(
        "--learning-rate",
        "--lr",
        type=float,
        help=f"RMSprop step size (default: {D['learning_rate']})",
    )
    add("--prompt", help="words to continue, e.g. 'had a general'")
    add("--interactive", action="store_true", help="read prompts from stdin until EOF")
    add("--length", type=int, help=f"words to generate after a prompt (default: {D['length']})")
    add("--temperature", type=float, help="0: greedy; > 0: sample")
    add("--top-k", type=int, help="sample among the k likeliest words")
    add("--save", metavar="FILE", help="save the trained model (and vocabulary) here")
    add("--model", metavar="FILE", help="reuse a saved model: no training")
    add_common_flags(
        parser,
        out="also write metrics.json and model.npz here",
        quiet="no progress bar, no facts",
        json="print the result as JSON (facts go to stderr)",
    )
    parser.set_defaults(func=_main)
    return parser


def _main(args):
    run(config_from(Config, args))
    return 0
