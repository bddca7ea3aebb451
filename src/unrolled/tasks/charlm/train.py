"""The training side of `unrolled charlm`: data, the truncated-BPTT loop, what it writes.

The loop is char-rnn's, written with the model's public pieces: the recurrent layers are
stateful, so `model.fit` on chunk k of the streams starts from the states chunk k-1 ended
in, and backward stops at the chunk's first step. Validation and samples run on fresh
states and hand the training states back untouched (`_fresh_states`). The metrics, the
final table and the loss curve are formatted in report.py.
"""

import contextlib
import json
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from unrolled import config as unrolled_config
from unrolled.data import Vocabulary, char_rnn_batches, fable_text, train_val_split
from unrolled.data.windows import validation_size
from unrolled.errors import InputError, invalid
from unrolled.files import run_dir, write_json
from unrolled.generate import check_sampling
from unrolled.tasks._shared.blas import one_blas_thread
from unrolled.tasks._shared.printing import printer
from unrolled.tasks._shared.settings import check_common, check_integer, flag
from unrolled.tasks._shared.user_files import read_text
from unrolled.tasks.charlm.model import CELLS, TASK, build_model, generate_text, prime_text
from unrolled.tasks.charlm.report import LN2, metrics, plot_curve, summary

DEFAULT_STEPS = 300


@dataclass
class TrainResult:
    """What `charlm.train` returns; `metrics` is exactly what metrics.json holds."""

    steps: int  # optimizer steps taken
    train_loss: float  # mean training loss (nats/char) over the last evaluation interval
    val_loss: float  # the final validation loss (nats/char)
    best_val_loss: float  # the lowest validation loss seen; the saved model has it
    tokens_per_second: float  # training characters per second (evaluation not counted)
    seconds: float  # wall time of the whole run
    model_path: str  # the best model's file
    curve_path: str  # the loss-curve PNG
    history: dict = field(default_factory=dict)  # step, train_loss, val_loss per evaluation
    samples: list = field(default_factory=list)  # (step, text) of the training-time samples
    metrics: dict = field(default_factory=dict)
    model: object = field(default=None, repr=False)  # the model at the last step
    vocabulary: object = field(default=None, repr=False)


def _check(config):
    """Validate every setting once, before any file is read."""
    for name in ("hidden", "layers", "embed_dim", "seq_len", "batch_size", "eval_every"):
        check_integer(getattr(config, name), flag(name))
    for name in ("sample_every", "sample_length"):
        check_integer(getattr(config, name), flag(name), low=0)
    for name in ("steps", "epochs"):
        if getattr(config, name) is not None:
            check_integer(getattr(config, name), flag(name))
    if config.steps is not None and config.epochs is not None:
        raise InputError("Pass either --steps or --epochs, not both.")
    if config.cell not in CELLS:
        raise invalid("--cell", f"one of {', '.join(CELLS)}", config.cell)
    if not 0 <= config.dropout < 1:
        raise invalid("--dropout", "a number in [0, 1)", config.dropout)
    if not 0 < config.val_fraction < 1:
        raise invalid("--val-fraction", "a number in (0, 1)", config.val_fraction)
    for name in ("lr", "clip"):
        if not getattr(config, name) > 0:
            raise invalid(f"--{name}", "a positive number", getattr(config, name))
    check_sampling(config.temperature, None, ("--temperature", "--top-k"))
    check_common(config, TASK)


def _plural(n, word):
    """`n` and `word`, plural unless n is 1: "1 character", "2 characters"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def shortest_text(L, val_fraction):
    """The fewest characters that leave L + 1 to train on (one stream of L inputs and their
    targets) and 2 to validate on, once train_val_split holds out ceil(n * val_fraction)."""
    n = max(L + 2, math.floor(1 / val_fraction))  # below 1 / val_fraction, 1 is held out
    while n - validation_size(n, val_fraction) < L + 1 or validation_size(n, val_fraction) < 2:
        n += 1
    return n


def make_batches(text, config, source="the text"):
    """Vocabulary and batches: train X, Y (K, B, L); validation Xv, Yv (Kv, Bv, L)."""
    B, L, f = config.batch_size, config.seq_len, config.val_fraction
    vocab = Vocabulary(level="char").fit(text)
    ids = vocab.encode(text)  # (T,)
    T, need = len(ids), shortest_text(L, f)
    if need > T:
        hint = "use a longer text or a shorter --seq-len"
        if validation_size(T, f) < 2 and T - 2 >= L + 1:  # only the validation part is too small
            hint = "use a longer text or a larger --val-fraction"
        raise InputError(
            f"Argument `--text`: {source} is too short: it has {_plural(T, 'character')}, and "
            f"--seq-len {L} with --val-fraction {f:g} needs at least {need:,} ({L + 1} to "
            f"train on, 2 to validate on); {hint}."
        )
    train, val = train_val_split(T, f)
    train_ids, val_ids = ids[train], ids[val]
    if len(train_ids) - 1 < B * L:
        most = (len(train_ids) - 1) // L  # the most streams of L that fit (>= 1, see above)
        raise InputError(
            f"Argument `--text`: {_plural(len(train_ids), 'training character')} are too few "
            f"for --batch-size {B} streams of --seq-len {L} (needs {B * L + 1:,}); use "
            f"--batch-size {most} or less, or a shorter --seq-len."
        )
    # validation: as many streams as it can fill (at most B), chunks shortened if it is tiny
    Lv = min(L, len(val_ids) - 1)  # >= 1: shortest_text leaves 2 validation characters
    Bv = max(1, min(B, (len(val_ids) - 1) // Lv))
    return vocab, char_rnn_batches(train_ids, B, L), char_rnn_batches(val_ids, Bv, Lv)


@contextmanager
def _fresh_states(model):
    """Run the body from zero states, then give the training states back to every layer."""
    saved = [(layer, layer.states) for layer in model.layers if hasattr(layer, "states")]
    model.reset_states()
    try:
        yield
    finally:
        model.reset_states()
        for layer, states in saved:
            layer.states = states


def evaluate(model, X, Y):
    """Mean loss (nats/char) over chunks X, Y (K, B, L), state carried from chunk to chunk."""
    with _fresh_states(model):
        losses = [
            model.evaluate(X[k], Y[k], batch_size=X.shape[1], verbose=0) for k in range(len(X))
        ]
    return float(np.mean(losses))


def fit_chunk(model, X, Y, step):
    """Optimizer step `step` (from 1) on chunk (step - 1) mod K of X, Y (K, B, L); its loss.

    The stateful layers start the chunk from the states the previous chunk ended in, except at
    the start of each epoch, where every stream starts again from zeros.
    """
    k = (step - 1) % len(X)
    if k == 0:
        model.reset_states()
    history = model.fit(X[k], Y[k], batch_size=X.shape[1], epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][0] if history.history.get("loss") else math.nan


# what a model file records about how it was trained (besides the vocabulary)
SETTINGS = ("cell", "hidden", "layers", "embed_dim", "dropout", "seq_len", "batch_size", "lr")


def train(config):
    """Train, validate, sample and save (module docstring); returns a TrainResult."""
    _check(config)
    say = printer(config.json, config.quiet)
    started = time.perf_counter()
    unrolled_config.set_seed(config.seed)

    # 1) + 2) text, vocabulary and the streams; user errors come before anything is written
    text = fable_text() if config.text is None else read_text(config.text)
    source = "the built-in fable" if config.text is None else repr(config.text)
    vocab, (X, Y), (Xv, Yv) = make_batches(text, config, source)
    K, B, L = X.shape
    total = config.steps or (config.epochs * K if config.epochs else DEFAULT_STEPS)
    model = build_model(len(vocab), config)
    say(f"text: {source}, {len(text):,} characters; vocab size: {len(vocab)}")
    say(
        f"train: {K} chunks of {B} streams x {L} characters per epoch; validation: "
        f"{Xv.shape[0]} chunks of {Xv.shape[1]} x {Xv.shape[2]}"
    )
    say(
        f"model: Embedding({len(vocab)}, {config.embed_dim}) -> {config.layers} x "
        f"{config.cell.upper()}({config.hidden}) -> Dense({len(vocab)}), "
        f"{model.count_params():,} parameters; {total:,} steps ({total / K:.1f} epochs)"
    )
    out = run_dir(config.out, TASK)
    out.mkdir(parents=True, exist_ok=True)
    model_path, curve_path = out / "model.npz", out / "loss.png"
    extras = {
        "task": TASK,
        "vocabulary": vocab.to_state(),
        "source": source,
        "settings": {k: getattr(config, k) for k in (*SETTINGS, "clip")},
    }

    # 3) + 4) one step per chunk; evaluate and keep the best; sample now and then
    rng = np.random.default_rng(config.seed)
    history = {"step": [], "train_loss": [], "val_loss": []}
    samples, losses, train_seconds = [], [], 0.0
    prime = prime_text(None, vocab)  # every training-time sample starts from it
    talk = not (config.quiet or config.json)
    bar = _progress(total, talk)
    with one_blas_thread(), contextlib.closing(bar):
        for step in range(1, total + 1):
            tick = time.perf_counter()
            losses.append(fit_chunk(model, X, Y, step))
            train_seconds += time.perf_counter() - tick
            if not math.isfinite(losses[-1]):
                raise InputError(f"Training diverged at step {step}; try a lower --lr or --clip.")
            if step % config.eval_every == 0 or step == total:
                since = history["step"][-1] if history["step"] else 0
                val = evaluate(model, Xv, Yv)
                if val < min(history["val_loss"], default=math.inf):
                    model.save(model_path, extras={**extras, "step": step, "val_loss": val})
                history["step"].append(step)
                history["train_loss"].append(float(np.mean(losses[since:])))
                history["val_loss"].append(val)
                train_loss = history["train_loss"][-1]
                bar.set_postfix_str(
                    f"train {train_loss:.3f} nats ({train_loss / LN2:.2f} bpc), "
                    f"val {val:.3f} nats ({val / LN2:.2f} bpc)"
                )
            if config.sample_every and step % config.sample_every == 0:
                with _fresh_states(model):
                    chars = generate_text(
                        model,
                        vocab,
                        prime,
                        config.sample_length,
                        config.temperature,
                        None,
                        rng,
                    )
                    samples.append((step, "".join(chars)))
                if talk:
                    bar.write(f"--- sample at step {step} ---\n{samples[-1][1]}\n---")
            bar.update(1)

    # 5) the curve, metrics.json and the summary
    plot_curve(losses, history, curve_path)
    result = TrainResult(
        steps=total,
        train_loss=history["train_loss"][-1],
        val_loss=history["val_loss"][-1],
        best_val_loss=min(history["val_loss"]),
        tokens_per_second=total * B * L / train_seconds,
        seconds=time.perf_counter() - started,
        model_path=str(model_path),
        curve_path=str(curve_path),
        history=history,
        samples=samples,
        model=model,
        vocabulary=vocab,
    )
    result.metrics = metrics(config, result, len(vocab), source)
    write_json(out / "metrics.json", result.metrics)
    printer(config.json, quiet=False)(summary(result))  # --quiet still shows the summary
    if config.json:
        print(json.dumps(result.metrics, indent=2))
    return result


def _progress(total, show):
    """A tqdm bar over the steps; none with --quiet/--json or when stderr is not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="training", unit="step", disable=None if show else True)
