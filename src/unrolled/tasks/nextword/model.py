"""The nextword task's network: build it, feed it windows, train it, score it, ask it.

    Embedding(V, E) or one-hot -> LSTM(units) x layers -> Dense(V, softmax)
trained with RMSprop on sparse categorical cross-entropy (one tqdm bar over the epochs);
a prompt's last C words give the 5 likeliest next words and a generated continuation.
"""

import difflib
import sys
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from unrolled import config as unrolled_config
from unrolled.callbacks import Callback
from unrolled.errors import InputError
from unrolled.generate import generate, most_likely
from unrolled.tasks._shared.blas import one_blas_thread
from unrolled.tasks._shared.printing import format_table
from unrolled.tasks._shared.user_files import load_task_model


@dataclass
class Answer:
    """The model's reply to one prompt."""

    prompt: str  # as typed
    top: list  # [(word, probability), ...] the 5 likeliest next words, likeliest first
    continuation: str  # the prompt followed by --length generated words


def build_model(V, config):
    """Embedding(V, E) or one-hot -> LSTM(units) x layers -> Dense(V, softmax), compiled."""
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential
    from unrolled.optimizers import RMSprop

    C = config.context
    layers = (
        [Embedding(V, config.embed_dim, input_shape=(C,))] if config.input == "embedding" else []
    )
    for k in range(config.layers):
        first = k == 0 and config.input == "onehot"
        layers.append(
            LSTM(
                config.units,
                return_sequences=k < config.layers - 1,  # the last layer gives one vector
                **({"input_shape": (C, V)} if first else {}),
            )
        )
    layers.append(Dense(V, activation="softmax"))
    model = Sequential(layers, name="nextword")
    model.compile(
        optimizer=RMSprop(learning_rate=config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def load(path):
    """(model, vocabulary, extras) from a model file `unrolled nextword` saved, or one line."""
    from unrolled.data import Vocabulary

    model, extras = load_task_model(path, "nextword")
    return model, Vocabulary.from_state(extras["vocabulary"]), extras


def saved_settings(model, vocab, extras):
    """The network settings of a loaded model file (the Config fields it fixes): context and
    input from its extras, lower from its vocabulary, the sizes from its layers."""
    lstms = [layer for layer in model.layers if getattr(layer, "kind", None) == "lstm"]
    embedded = extras["input"] == "embedding"
    return dict(
        context=extras["context"],
        lower=bool(vocab.lower),
        input=extras["input"],
        embed_dim=model.layers[0].output_dim if embedded else None,  # one-hot: no embedding
        units=lstms[0].units if lstms else None,
        layers=len(lstms),
    )


def model_inputs(X, V, kind):
    """Window ids (W, C) -> what the model reads: the ids, or one-hot floats (W, C, V)."""
    if kind == "embedding":
        return X
    onehot = np.zeros((*X.shape, V), dtype=unrolled_config.floatx())  # (W, C, V)
    np.put_along_axis(onehot, X[..., None], 1.0, axis=-1)
    return onehot


class EpochBar(Callback):
    """One tqdm bar over the epochs showing loss and accuracy (tqdm is imported lazily)."""

    def __init__(self, epochs, quiet):
        self.epochs, self.quiet = epochs, quiet

    def on_train_begin(self, logs=None):
        from tqdm.auto import tqdm

        # disable=None: no bar when stderr is not a terminal, so logs stay readable
        self.bar = tqdm(
            total=self.epochs, desc="training", unit="epoch", disable=self.quiet or None
        )

    def on_epoch_end(self, epoch, logs=None):
        self.bar.set_postfix(loss=f"{logs['loss']:.4f}", acc=f"{logs['accuracy']:.3f}")
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()


def train(model, inputs, y, config):
    """fit on `inputs` (model_inputs of the windows) with a tqdm bar over the epochs;
    returns (history dict, seconds)."""
    started = time.perf_counter()
    with one_blas_thread():
        fit = model.fit(
            inputs,
            y,
            epochs=config.epochs,
            batch_size=config.batch_size,
            shuffle=True,
            verbose=0,
            callbacks=[EpochBar(config.epochs, config.quiet or config.json)],
        )
    seconds = time.perf_counter() - started
    return {k: [float(v) for v in values] for k, values in fit.history.items()}, seconds


def accuracy(model, inputs, y):
    """(top-1, top-5) accuracy of the model on `inputs` (model_inputs of the windows (W, C))
    with next words y (W,)."""
    probs = model.predict(inputs)  # (W, V)
    top5 = np.argsort(-probs, axis=-1, kind="stable")[:, :5]  # (W, 5)
    return float((top5[:, 0] == y).mean()), float((top5 == y[:, None]).any(axis=-1).mean())


def prompt_ids(prompt, vocab, context):
    """The ids (at least `context`) of a prompt, or an error naming an unknown word or the
    count."""
    words = vocab.tokenize(prompt)
    for word in words:
        if word not in vocab:
            close = difflib.get_close_matches(word, vocab.symbols_, n=3, cutoff=0.0)
            raise InputError(
                f"Argument `--prompt`: the word {word!r} is not in the vocabulary of "
                f"{len(vocab)} words; closest known: {', '.join(map(repr, close))}."
            )
    if len(words) < context:
        raise InputError(
            f"Argument `--prompt`: {prompt!r} has {len(words)} word"
            f"{'s' if len(words) != 1 else ''}, the model needs {context} (its --context)."
        )
    return vocab.encode(words)


def answer(model, vocab, prompt, config, rng):
    """The top-5 next words after `prompt` and a continuation of config.length words.

    config: the task's resolved Config (its context and input are the model's).
    rng: np.random.Generator for sampling (unused when greedy).
    """
    C, kind, V = config.context, config.input, len(vocab)
    ids = prompt_ids(prompt, vocab, C)

    def window_step():
        """step(id) for `generate`: slide a window of the last C ids on, predict the next."""
        window = deque(ids[-C:-1].tolist(), maxlen=C)  # the prompt's last id is fed first

        def step(i):
            window.append(i)
            return model.predict(model_inputs(np.array([window]), V, kind))[0]  # (V,)

        return step

    probs = window_step()(int(ids[-1]))  # p(next word | the prompt's last C words)
    top = [(vocab.symbols_[i], p) for i, p in most_likely(probs, 5)]
    new = generate(window_step(), ids[-1:], config.length, config.temperature, config.top_k, rng)
    return Answer(prompt, top, vocab.decode([*ids.tolist(), *new]))


def format_answer(a):
    """An Answer as the lines the CLI prints."""
    table = format_table(["next word", "p"], [(w, f"{p:.4f}") for w, p in a.top])
    indented = "\n".join("  " + line for line in table.splitlines())
    return f"prompt: {a.prompt}\n{indented}\ncontinuation: {a.continuation}"


def interactive(model, vocab, config, rng, stdin, result, stream):
    """Answer each non-blank line of stdin; a bad line prints an error and the loop goes on."""
    if getattr(stdin, "isatty", lambda: False)():
        print(f"type {config.context} or more words, Ctrl-D to quit", file=sys.stderr)
    for line in stdin:
        prompt = line.strip()
        if not prompt:
            continue
        try:
            result.answers.append(answer(model, vocab, prompt, config, rng))
        except InputError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            continue
        print(format_answer(result.answers[-1]), file=stream, flush=True)
