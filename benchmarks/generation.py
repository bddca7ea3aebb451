"""Generation latency: one step of a character model at batch 1, ours against PyTorch.

    char model   Embedding(V=65, 64) -> LSTM(256) -> Dense(65, softmax)
                 unrolled: model.step(ids)           (state carried inside the model)
                 torch:    nn.Embedding, nn.LSTM, nn.Linear, softmax on one step, under
                           no_grad, (h, c) passed back in each call
    LSTM alone   one-hot (1, 65) input -> LSTM(256)
                 unrolled: layer.step(x_t, state);  torch: nn.LSTM on (1, 1, 65)

Each figure is microseconds per step: the best of 7 runs of 1000 steps, after 200 steps of
warm-up; one thread for both libraries. The runs alternate between the four step functions,
so each meets the same minutes of a machine whose speed drifts. V = 65 is tiny Shakespeare's
alphabet.

    python benchmarks/generation.py
"""

import os

os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

V, E, H = 65, 64, 256
STEPS, RUNS, WARMUP = 1000, 7, 200


def per_step_us(steps):
    """{name: step(t)} -> {name: best-of-RUNS microseconds per call}, the runs interleaved."""
    for step in steps.values():
        for t in range(WARMUP):
            step(t)
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(RUNS):
        for name, step in steps.items():
            start = time.perf_counter()
            for t in range(STEPS):
                step(t)
            best[name] = min(best[name], (time.perf_counter() - start) / STEPS)
    return {name: seconds * 1e6 for name, seconds in best.items()}


def ours(ids, onehots):
    import unrolled
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential

    unrolled.set_seed(0)
    model = Sequential(
        [Embedding(V, E, input_shape=(None,)), LSTM(H), Dense(V, activation="softmax")]
    )
    lstm = LSTM(H)
    lstm.build((None, None, V))
    state = [None]

    def lstm_step(t):
        _, state[0] = lstm.step(onehots[t], state[0])

    return (lambda t: model.step(ids[t])), lstm_step


def theirs(ids, onehots):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    embedding, lstm, dense = torch.nn.Embedding(V, E), torch.nn.LSTM(E, H), torch.nn.Linear(H, V)
    ids_t = torch.from_numpy(ids)  # (STEPS, 1)
    state = [None]

    @torch.no_grad()
    def char_step(t):
        x = embedding(ids_t[t]).unsqueeze(0)  # (T=1, N=1, E)
        out, state[0] = lstm(x, state[0])
        return torch.softmax(dense(out[0]), dim=-1)  # (1, V)

    alone = torch.nn.LSTM(V, H)
    onehots_t = torch.from_numpy(onehots).unsqueeze(1)  # (STEPS, T=1, N=1, V)
    lstm_state = [None]

    @torch.no_grad()
    def lstm_step(t):
        _, lstm_state[0] = alone(onehots_t[t], lstm_state[0])

    return char_step, lstm_step


def main():
    rng = np.random.default_rng(0)
    n = WARMUP + STEPS
    ids = rng.integers(0, V, (n, 1))  # (steps, N=1)
    onehots = np.eye(V, dtype=np.float32)[ids]  # (steps, N=1, V)
    (ours_char, ours_lstm), (torch_char, torch_lstm) = ours(ids, onehots), theirs(ids, onehots)
    us = per_step_us(
        {
            "ours char": ours_char,
            "torch char": torch_char,
            "ours lstm": ours_lstm,
            "torch lstm": torch_lstm,
        }
    )
    print(f"{'us per step (batch 1)':<24} {'unrolled':>9} {'torch':>9} {'speed-up':>9}")
    for name, key in [("char model", "char"), ("LSTM(256) alone", "lstm")]:
        a, b = us[f"ours {key}"], us[f"torch {key}"]
        print(f"{name:<24} {a:>9.1f} {b:>9.1f} {b / a:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
