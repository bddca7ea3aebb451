"""Embedding lookup: out = E[ids], a row of E per integer id.

The gradient of a lookup is a scatter-add: every position that read row v adds its upstream
gradient into dE[v], so an id that appears k times collects k contributions. We sort the ids
once and sum each run of equal ids with `np.add.reduceat`, which is several times faster
than `np.add.at` when ids repeat (as characters and words do).
"""

from typing import NamedTuple

import numpy as np


class EmbeddingCache(NamedTuple):
    ids: np.ndarray  # (...) the integer ids that were looked up
    V: int  # rows of E
    dtype: np.dtype  # E's dtype


def embedding_forward(ids, E):
    """Rows of E for integer ids.

    ids (...) ints in [0, V), E (V, D) -> out (..., D), cache.
    """
    return E[ids], EmbeddingCache(ids, E.shape[0], E.dtype)


def embedding_backward(dout, cache):
    """Scatter-add of the upstream gradient into the rows that were read.

    dout (..., D) -> dE (V, D); rows never looked up get 0.
    """
    ids, V, dtype = cache
    D = dout.shape[-1]
    flat_ids = ids.reshape(-1)
    order = np.argsort(flat_ids, kind="stable")
    sorted_ids = flat_ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first of each run
    dE = np.zeros((V, D), dtype=dtype)
    if flat_ids.size:
        dE[sorted_ids[starts]] = np.add.reduceat(dout.reshape(-1, D)[order], starts, axis=0)
    return dE
