"""The charlm network: build it, stream text from it, load it from a file, check a prime.

    Embedding(V, E) -> [LSTM or GRU (H, stateful), Dropout] x layers -> Dense(V) logits
Sampling feeds one character at a time through `model.step` (single-step inference carrying
the state, no predict() per character).
"""

import numpy as np

from unrolled.data import Vocabulary
from unrolled.errors import InputError, invalid
from unrolled.functional.activations import softmax
from unrolled.generate import generate
from unrolled.tasks._shared.user_files import load_task_model

TASK = "charlm"
CELLS = ("lstm", "gru")


def build_model(V, config):
    """Embedding(V, E) -> [cell(H, stateful), Dropout] x layers -> Dense(V) logits, compiled."""
    from unrolled.layers import Dense, Dropout, Embedding
    from unrolled.losses import SparseCategoricalCrossentropy
    from unrolled.models import Sequential
    from unrolled.optimizers import Adam
    from unrolled.tasks._shared.cells import LAYERS

    Cell = LAYERS[config.cell]
    layers = [Embedding(V, config.embed_dim, input_shape=(None,))]
    for _ in range(config.layers):
        layers.append(Cell(config.hidden, return_sequences=True, stateful=True))
        if config.dropout:
            layers.append(Dropout(config.dropout))
    layers.append(Dense(V))  # logits (N, T, V); softmax lives in the loss and in sampling
    model = Sequential(layers, name="charlm")
    model.compile(
        optimizer=Adam(learning_rate=config.lr, global_clipnorm=config.clip),
        loss=SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def generate_text(model, vocab, prime, length, temperature=1.0, top_k=None, rng=None):
    """Yield `length` characters after `prime`, one `model.step` per character.

    The model's step state starts from zeros; the prime is fed through it one character at a
    time, then every sampled character is fed back. rng: a np.random.Generator.
    """
    model.reset_states()

    def step(i):
        logits = model.step(np.array([i]))  # (1, V) from ids (1,)
        return softmax(logits[0].astype(np.float64))  # (V,)

    for i in generate(step, vocab.encode(prime), length, temperature, top_k, rng):
        yield vocab.symbols_[i]


def load(path):
    """(model, vocabulary, extras) from a charlm model file, or one clear line."""
    model, extras = load_task_model(path, TASK)
    return model, Vocabulary.from_state(extras["vocabulary"]), extras


def prime_text(prime, vocab):
    """The prime, checked character by character against the vocabulary."""
    if prime is None:
        return "\n" if "\n" in vocab else vocab.symbols_[0]
    if not prime:
        raise invalid("--prime", "at least one character", prime)
    unknown = [c for c in dict.fromkeys(prime) if c not in vocab]
    if unknown:
        raise InputError(
            f"Argument `--prime`: character{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))} never appeared in the training text "
            f"(the model knows {len(vocab)} characters)."
        )
    return prime
