"""Data utilities: scalers, vocabularies, windows, a price-CSV loader and built-in datasets.

NumPy only; pandas objects are accepted (through `np.asarray`) but pandas is never imported.

    MinMaxScaler, StandardScaler      sklearn-style scalers, JSON-able state for model files
    Vocabulary                        char/word symbols <-> ids, ordered by frequency
    lm_windows, sequence_chunks,      training examples from ids (T,) or a series (T, F)
    char_rnn_batches, sliding_windows,
    train_val_split
    load_prices, PriceSeries          Yahoo-style daily price CSVs (.csv or .csv.gz)
    pad_sequences, to_categorical     Keras's helpers: one length for all, ids to one-hot
    datasets                          fable_text(), list_datasets(), load_dataset("sp500") ...
"""

from unrolled.data import datasets
from unrolled.data.datasets import (
    dataset_path,
    fable_text,
    hello_text,
    list_datasets,
    load_dataset,
    load_series,
    load_text,
)
from unrolled.data.scalers import MinMaxScaler, StandardScaler, scaler_from_state
from unrolled.data.sequences import pad_sequences, to_categorical
from unrolled.data.series import PriceSeries, load_prices
from unrolled.data.vocab import Vocabulary
from unrolled.data.windows import (
    char_rnn_batches,
    lm_windows,
    sequence_chunks,
    sliding_windows,
    train_val_split,
)

__all__ = [
    "MinMaxScaler",
    "PriceSeries",
    "StandardScaler",
    "Vocabulary",
    "char_rnn_batches",
    "dataset_path",
    "datasets",
    "fable_text",
    "hello_text",
    "list_datasets",
    "lm_windows",
    "load_dataset",
    "load_prices",
    "load_series",
    "load_text",
    "pad_sequences",
    "scaler_from_state",
    "sequence_chunks",
    "sliding_windows",
    "to_categorical",
    "train_val_split",
]
