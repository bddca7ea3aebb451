"""unrolled: recurrent neural networks from scratch in NumPy, with exact BPTT.

Shape legend (batch-first at every public boundary):
    N batch, T time steps, D input features, H hidden units, V vocabulary,
    M outputs, G gates (1 SimpleRNN, 4 LSTM, 3 GRU).
"""

from unrolled.config import floatx, set_floatx, set_seed
from unrolled.errors import InputError, NotFittedError
from unrolled.gradcheck import gradcheck

__all__ = [
    "InputError",
    "NotFittedError",
    "floatx",
    "gradcheck",
    "set_floatx",
    "set_seed",
]
