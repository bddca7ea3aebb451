"""Layers with a Keras surface over the functional math (see base.py for the protocol).

`LAYERS` maps class names to classes; `serialize(layer)` / `deserialize(config)` turn a layer
into {"class_name": ..., "config": ...} and back (what the model file stores).
"""

from unrolled.errors import invalid
from unrolled.layers.base import Layer, serialize
from unrolled.layers.bidirectional import Bidirectional
from unrolled.layers.dense import Dense
from unrolled.layers.dropout import Dropout
from unrolled.layers.embedding import Embedding
from unrolled.layers.gru import GRU
from unrolled.layers.input import Input
from unrolled.layers.lstm import LSTM
from unrolled.layers.masking import Masking
from unrolled.layers.recurrent import Recurrent
from unrolled.layers.repeat_vector import RepeatVector
from unrolled.layers.rnn import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from unrolled.layers.simple_rnn import SimpleRNN
from unrolled.layers.time_distributed import TimeDistributed

LAYERS = {
    cls.__name__: cls
    for cls in (
        SimpleRNN,
        LSTM,
        GRU,
        Dense,
        Embedding,
        Dropout,
        Bidirectional,
        TimeDistributed,
        Masking,
        RepeatVector,
        RNN,
    )
}


def deserialize(config):
    """A new, unbuilt layer from `serialize`'s output."""
    class_name = config.get("class_name") if isinstance(config, dict) else None
    if class_name not in LAYERS:
        raise invalid("class_name", f"one of {sorted(LAYERS)}", class_name)
    return LAYERS[class_name].from_config(config.get("config", {}))


__all__ = [
    "GRU",
    "GRUCell",
    "LAYERS",
    "LSTMCell",
    "RNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "Input",
    "LSTM",
    "Bidirectional",
    "Dense",
    "Dropout",
    "Embedding",
    "Layer",
    "Masking",
    "Recurrent",
    "RepeatVector",
    "SimpleRNN",
    "TimeDistributed",
    "deserialize",
    "serialize",
]
