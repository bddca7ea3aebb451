"""The recurrent cells the tasks compare, named once: a task's `kind` and its Keras layer.

    kind   layer       G   gate blocks of the G*H axis (Keras layout)    bias
    rnn    SimpleRNN   1   -                                              (H,)
    lstm   LSTM        4   i, f, c, o (the candidate c written g here)    (4H,)
    gru    GRU         3   z, r, h                                        (2, 3H)
Every table is read off the layer classes (their `kind`, `gates` and class name), so a task
names a cell by its kind ("lstm") and prints it by its Keras name ("LSTM").
"""

import numpy as np

from unrolled.layers import GRU, LSTM, SimpleRNN

LAYERS = {cls.kind: cls for cls in (SimpleRNN, LSTM, GRU)}  # kind -> layer class
KINDS = tuple(LAYERS)  # rnn, lstm, gru: the order of tables, and seeds use the index
NAMES = {kind: cls.__name__ for kind, cls in LAYERS.items()}  # kind -> Keras class name
KIND_OF = {name: kind for kind, name in NAMES.items()}  # Keras class name -> kind
GATES = {kind: cls.gates for kind, cls in LAYERS.items()}  # G: the kernel is (D, G*H)
GATE_LABELS = {"lstm": ("i", "f", "g", "o"), "gru": ("z", "r", "h")}  # the gated cells' blocks


def initial_bias(kind, H):
    """Keras's initial bias, float64, in the layer's layout: zeros, (G*H,) or the GRU's (2, 3H)
    (input row, recurrent row), with the LSTM's forget gate at 1 (`unit_forget_bias`)."""
    G = GATES[kind]
    b = np.zeros((2, G * H)) if kind == "gru" else np.zeros(G * H)
    if kind == "lstm":
        b[H : 2 * H] = 1.0  # gate order i, f, c, o: the second block is f
    return b
