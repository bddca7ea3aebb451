"""Choosing the next symbol from a model's distribution, and generating text one step at a time.

A language model gives p(next symbol | what came before) as a vector of V probabilities.
Three ways to pick from it:

    greedy           argmax_i p_i                      (repeatable, often loops)
    temperature T    p_i^(1/T) / sum_j p_j^(1/T)       (T < 1 sharper, T > 1 flatter, T -> 0 greedy)
    top-k            keep the k largest p_i, renormalise, then sample

Both `unrolled nextword` and `unrolled charlm` use these functions. Randomness always comes
from a `np.random.Generator` passed in, so a fixed seed gives the same text every time.
"""

import numpy as np

from unrolled.config import default_rng
from unrolled.errors import invalid

__all__ = ["check_sampling", "distribution", "generate", "greedy", "most_likely", "sample"]


def check_sampling(temperature, top_k=None, names=("temperature", "top_k")):
    """Validate sampling settings at the boundary: temperature >= 0, top_k None or >= 1.

    names: how the caller calls the two arguments (a CLI passes ("--temperature", "--top-k")).
    """
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float, np.floating))
        or not np.isfinite(temperature)
        or temperature < 0
    ):
        raise invalid(names[0], "a number >= 0", temperature)
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1
    ):
        raise invalid(names[1], "an integer >= 1", top_k)  # None (not given) needs no word


def greedy(probs):
    """The most likely symbol of probs (V,): the lowest index among ties."""
    return int(np.argmax(probs))


def most_likely(probs, k):
    """The k most likely symbols of probs (V,) as [(index, p), ...], most likely first.

    Ties keep index order (a stable sort), so the listing is the same on every run.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1)
    order = np.argsort(-probs, kind="stable")[:k]
    return [(int(i), float(probs[i])) for i in order]


def distribution(probs, temperature=1.0, top_k=None):
    """The distribution actually sampled from: probs (V,) reshaped by temperature and top-k.

    Works in log space in float64, shifted by the max, so a tiny temperature never overflows:
    p_i^(1/T) = exp((log p_i - max_j log p_j) / T) up to the normalising constant.
    temperature 0 puts all the mass on the greedy choice.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1)
    if temperature == 0:
        out = np.zeros_like(probs)
        out[greedy(probs)] = 1.0
        return out
    with np.errstate(divide="ignore"):  # log 0 = -inf is fine: exp(-inf) = 0 again
        logp = np.log(np.clip(probs, 0.0, None))
    if top_k is not None and top_k < probs.size:
        # exactly k survive: the k largest, ties broken by index as in `most_likely`
        dropped = np.argsort(-probs, kind="stable")[top_k:]
        logp[dropped] = -np.inf
    weights = np.exp((logp - logp.max()) / temperature)
    return weights / weights.sum()


def sample(probs, temperature=1.0, top_k=None, rng=None):
    """Draw one symbol index from probs (V,) after temperature and top-k; temperature 0 is greedy.

    rng: a np.random.Generator (default: unrolled's default generator, see `set_seed`).
    One uniform draw per call, turned into an index through the cumulative distribution.
    """
    if temperature == 0:
        return greedy(probs)
    p = distribution(probs, temperature, top_k)
    rng = default_rng() if rng is None else rng
    cdf = np.cumsum(p)
    # side="right" never picks a symbol of probability 0 (its cdf step has zero width)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), p.size - 1))


def generate(step, prime_ids, length, temperature=1.0, top_k=None, rng=None):
    """Yield `length` ids, one at a time, from a model read through `step`.

    step(id) -> probs (V,): feeds one symbol id to the model (which keeps its own state or
    window) and returns the distribution of the symbol after it. The prime ids are fed first;
    then each sampled id is fed back. The caller streams the ids as they come.
    """
    probs = None
    for i in prime_ids:
        probs = step(int(i))
    if probs is None:
        raise invalid("prime", "at least one symbol", "an empty prime")
    rng = default_rng() if rng is None else rng
    for n in range(length):
        i = sample(probs, temperature, top_k, rng)
        yield i
        if n + 1 < length:  # no need to run the model past the last symbol
            probs = step(i)
