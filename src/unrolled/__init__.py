"""unrolled: recurrent neural networks from scratch in NumPy, with exact BPTT.

    import unrolled
    from unrolled.layers import LSTM, Dense

    model = unrolled.Sequential([LSTM(32, input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=10)

Shape legend (batch-first at every public boundary):
    N batch, T time steps, D input features, H hidden units, V vocabulary,
    M outputs, G gates (1 SimpleRNN, 4 LSTM, 3 GRU).

`import unrolled` imports NumPy only; matplotlib and tqdm load inside the tasks that use them.
"""

from unrolled.config import floatx, set_floatx, set_seed
from unrolled.errors import InputError, NotFittedError
from unrolled.gradcheck import gradcheck
from unrolled.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Input,
    Masking,
    RepeatVector,
    SimpleRNN,
    TimeDistributed,
)
from unrolled.models import Sequential, load_model

__all__ = [
    "GRU",
    "LSTM",
    "Bidirectional",
    "Dense",
    "Dropout",
    "Embedding",
    "Input",
    "InputError",
    "Masking",
    "NotFittedError",
    "RepeatVector",
    "Sequential",
    "SimpleRNN",
    "TimeDistributed",
    "floatx",
    "gradcheck",
    "load_model",
    "set_floatx",
    "set_seed",
]
