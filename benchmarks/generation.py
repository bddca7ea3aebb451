"""Generation latency: one step of a character model at batch 1, ours against PyTorch.

    char model   Embedding(V=65, 64) -> LSTM(256) -> Dense(65, softmax)
                 unrolled: model.step(ids)           (state carried inside the model)
                 torch:    nn.Embedding, nn.LSTM, nn.Linear, softmax on one step, under
                           no_grad, (h, c) passed back in each call
    LSTM alone   one-hot (1, 65) input -> LSTM(256)
                 unrolled: layer.step(x_t, state);  torch: nn.LSTM on (1, 1, 65)

Each figure is microseconds per step: the best of 5 runs of 1000 steps, after 200 steps of
warm-up; one thread for both libraries. V = 65 is tiny Shakespeare's alphabet.

    python benchmarks/generation.py
"""

import os

os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

V, E, H = 65, 64, 256
STEPS, RUNS, WARMUP = 1000, 5, 200


def per_step_us(step):
    """Best-of-RUNS microseconds per call of `step(t)`."""
    for t in range(WARMUP):
        step(t)
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        for t in range(STEPS):
            step(t)
        best = min(best, (time.perf_counter() - start) / STEPS)
    return best * 1e6


def ours(ids, onehots):
    import unrolled
    from unrolled.layers import LSTM, Dense, Embedding
    from unrolled.models import Sequential

    unrolled.set_seed(0)
    model = Sequential(
        [Embedding(V, E, input_shape=(None,)), LSTM(H), Dense(V, activation="softmax")]
    )
    char = per_step_us(lambda t: model.step(ids[t]))
    lstm = LSTM(H)
    lstm.build((None, None, V))
    state = [None]

    def lstm_step(t):
        _, state[0] = lstm.step(onehots[t], state[0])

    return char, per_step_us(lstm_step)


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

    char = per_step_us(char_step)
    alone = torch.nn.LSTM(V, H)
    onehots_t = torch.from_numpy(onehots).unsqueeze(1)  # (STEPS, T=1, N=1, V)
    lstm_state = [None]

    @torch.no_grad()
    def lstm_step(t):
        _, lstm_state[0] = alone(onehots_t[t], lstm_state[0])

    return char, per_step_us(lstm_step)


def main():
    rng = np.random.default_rng(0)
    n = WARMUP + STEPS
    ids = rng.integers(0, V, (n, 1))  # (steps, N=1)
    onehots = np.eye(V, dtype=np.float32)[ids]  # (steps, N=1, V)
    ours_char, ours_lstm = ours(ids, onehots)
    torch_char, torch_lstm = theirs(ids, onehots)
    print(f"{'us per step (batch 1)':<24} {'unrolled':>9} {'torch':>9} {'speed-up':>9}")
    for name, a, b in [
        ("char model", ours_char, torch_char),
        ("LSTM(256) alone", ours_lstm, torch_lstm),
    ]:
        print(f"{name:<24} {a:>9.1f} {b:>9.1f} {b / a:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
