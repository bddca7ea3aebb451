import numpy as np
import pytest

from unrolled.errors import InputError
from unrolled.generate import (
    check_sampling,
    distribution,
    generate,
    greedy,
    most_likely,
    sample,
)

PROBS = np.array([0.1, 0.4, 0.05, 0.3, 0.15])


def draws(seed, n=200, **kwargs):
    rng = np.random.default_rng(seed)
    return [sample(PROBS, rng=rng, **kwargs) for _ in range(n)]


def test_greedy_and_most_likely():
    assert greedy(PROBS) == 1
    assert most_likely(PROBS, 3) == [(1, 0.4), (3, 0.3), (4, 0.15)]
    # ties keep index order
    assert [i for i, _ in most_likely([0.25, 0.25, 0.5], 3)] == [2, 0, 1]


def test_sampling_with_a_fixed_seed_is_repeatable():
    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert draws(7, temperature=0.7, top_k=3) == draws(7, temperature=0.7, top_k=3)


def test_sampling_follows_the_distribution():
    counts = np.bincount(draws(0, n=20_000), minlength=5) / 20_000
    np.testing.assert_allclose(counts, PROBS, atol=0.015)


def test_temperature_to_zero_equals_greedy():
    assert set(draws(3, temperature=0)) == {1}
    assert set(draws(3, temperature=1e-6)) == {1}
    np.testing.assert_array_equal(distribution(PROBS, 1e-9), [0, 1, 0, 0, 0])


def test_temperature_reshapes_in_log_space():
    p = distribution(PROBS, temperature=0.5)
    np.testing.assert_allclose(p, PROBS**2 / (PROBS**2).sum())
    np.testing.assert_allclose(distribution(PROBS, 1.0), PROBS)
    # a large temperature flattens towards uniform
    assert np.ptp(distribution(PROBS, 100.0)) < 0.01


def test_top_k_keeps_exactly_k():
    p = distribution(PROBS, top_k=2)
    np.testing.assert_allclose(p, [0, 0.4 / 0.7, 0, 0.3 / 0.7, 0])
    assert set(draws(1, top_k=2)) == {1, 3}
    assert set(draws(1, top_k=1)) == {1}
    np.testing.assert_allclose(distribution([0.5, 0.5, 0.0], top_k=1), [1, 0, 0])


def test_zero_probability_is_never_drawn():
    rng = np.random.default_rng(0)
    probs = np.array([0.0, 0.5, 0.0, 0.5], dtype=np.float32)
    assert {sample(probs, rng=rng) for _ in range(500)} == {1, 3}


def test_generate_feeds_the_prime_then_each_draw_back():
    fed = []

    def step(i):  # a "model" that always predicts (last id + 1) mod 5
        fed.append(i)
        p = np.zeros(5)
        p[(i + 1) % 5] = 1.0
        return p

    ids = list(generate(step, [0, 1], 4, temperature=1.0, rng=np.random.default_rng(0)))
    assert ids == [2, 3, 4, 0]
    assert fed == [0, 1, 2, 3, 4]  # the last draw is not fed: nothing needs its prediction


def test_generate_needs_a_prime():
    with pytest.raises(InputError, match="prime"):
        list(generate(lambda i: PROBS, [], 3))


@pytest.mark.parametrize(
    "temperature, k, match",
    [
        (-1.0, None, "temperature"),
        (float("nan"), None, "temperature"),
        ("hot", None, "temperature"),
        (1.0, 0, "top_k"),
        (1.0, 2.5, "top_k"),
        (1.0, True, "top_k"),
    ],
)
def test_check_sampling_errors(temperature, k, match):
    with pytest.raises(InputError, match=match):
        check_sampling(temperature, k)


def test_check_sampling_uses_the_callers_names():
    with pytest.raises(InputError, match="`--top-k`"):
        check_sampling(1.0, -2, names=("--temperature", "--top-k"))
    check_sampling(0, None)
    check_sampling(0.8, 5)
