"""The seed workload: the tutorial's Google-stock LSTM, trained for 200 epochs, six ways.

    unrolled   Sequential([LSTM(4, activation="sigmoid"), Dense(1)]), adam, mse (our fit)
    functional the same model from our functional cells and our Adam, driven by a plain loop:
               our math without the layers, the model and fit (same weights, same updates)
    torch      a hand-written PyTorch loop with the same model: the LSTM cell in torch ops
               (torch.nn.LSTM cannot use a sigmoid cell activation), torch.optim.Adam
    torch_module  the textbook PyTorch version of the same: an nn.Module cell of two
               nn.Linear layers started from zero states, nn.MSELoss and a shuffling
               DataLoader (what most PyTorch code looks like; context for the tight loop
               above, which is the peer our targets are measured against)
    keras      the same script in Keras 3 with the torch backend
    bare       the floor: the same model as one hand-written NumPy function with the fewest
               NumPy calls we found (lookback 1 and the zero initial state written in, so no
               recurrent product; no layers, no checks). Not a product: a yardstick for how
               much of our time is framework.

Same data (Open column scaled to [0, 1], lookback 1: 1257 samples of shape (1, 1)), batch
32, 200 epochs, shuffled, one thread everywhere. Each variant runs in its own subprocess so
its peak memory (getrusage maxrss: interpreter, libraries and data included) is its own.
The subprocesses run in rounds, every variant once per round in a rotating order, and each
variant's figure is its best fit over all rounds: a shared machine's speed drifts by tens of
percent over minutes, and interleaving gives every variant the same chance at a quiet one.
Keras fits twice per subprocess (each fit a new model), so its best fit is a warm one too.

    python benchmarks/seed_workload.py                      # all six, a table
    python benchmarks/seed_workload.py --only unrolled --repeats 3
    python benchmarks/seed_workload.py --keras-python /work/venv-keras/bin/python

Keras lives in its own environment (KERAS_BACKEND=torch); without one its row says so.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "Google_Stock_Price_Train.csv"
KERAS_PYTHON = "/work/venv-keras/bin/python"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def load_data(path=DATA):
    """X (1257, 1, 1) and y (1257, 1) as float32: today's scaled Open -> tomorrow's."""
    import numpy as np

    with open(path, newline="") as f:
        opens = np.array([float(row["Open"]) for row in csv.DictReader(f)])
    scaled = (opens - opens.min()) / (opens.max() - opens.min())  # MinMaxScaler((0, 1))
    X = scaled[0:1257].reshape(1257, 1, 1).astype(np.float32)
    y = scaled[1:1258].reshape(1257, 1).astype(np.float32)
    return X, y


def run_unrolled(X, y, epochs, seed):
    import unrolled
    from unrolled.layers import LSTM, Dense
    from unrolled.models import Sequential

    unrolled.set_seed(seed)
    model = Sequential([LSTM(units=4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mean_squared_error")
    start = time.perf_counter()
    history = model.fit(X, y, batch_size=32, epochs=epochs, verbose=0)
    return time.perf_counter() - start, history.history["loss"][-1]


def run_functional(X, y, epochs, seed):
    import numpy as np

    import unrolled
    from unrolled.functional.dense import dense_backward, dense_forward
    from unrolled.functional.losses import mean_squared_error
    from unrolled.functional.lstm import lstm_backward, lstm_forward
    from unrolled.layers import LSTM, Dense
    from unrolled.models import Sequential

    unrolled.set_seed(seed)  # the model only provides the initial weights and the flat arrays
    model = Sequential([LSTM(units=4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    model.compile(optimizer="adam", loss="mean_squared_error")
    lstm, dense = model.layers
    Wx, Wh, b = (lstm.params[k] for k in ("kernel", "recurrent_kernel", "bias"))
    W, bd = dense.params["kernel"], dense.params["bias"]
    grads = [lstm.grads[k] for k in ("kernel", "recurrent_kernel", "bias")]
    adam, params, flat_grads = model.optimizer, model._params, model._grads
    adam.build(params, model._sizes)
    rng = unrolled.config.default_rng()
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        epoch_x, epoch_y, total = X[order], y[order], 0.0
        for s in range(0, len(X), 32):
            x, target = epoch_x[s : s + 32], epoch_y[s : s + 32]
            _, h, _, cache = lstm_forward(
                x, None, None, Wx, Wh, b, "sigmoid", return_sequences=False
            )
            pred, dense_cache = dense_forward(h, W, bd)
            loss, dpred = mean_squared_error(target, pred)
            total += loss * len(x)
            dh, _, _ = dense_backward(
                dpred, dense_cache, True, (dense.grads["kernel"], dense.grads["bias"])
            )
            *_, dWx, dWh, db = lstm_backward(None, dh, None, cache, input_gradient=False)
            for g, new in zip(grads, (dWx, dWh, db), strict=True):
                g[...] = new
            assert np.isfinite(loss)
            adam.apply(params, flat_grads)
    return time.perf_counter() - start, total / len(X)


def run_torch(X, y, epochs, seed):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    D, H = 1, 4
    # Keras layout and initial values: glorot kernel, orthogonal recurrent kernel, forget bias 1
    Wx = torch.nn.Parameter(torch.nn.init.xavier_uniform_(torch.empty(4 * H, D)).T.contiguous())
    Wh = torch.nn.Parameter(torch.nn.init.orthogonal_(torch.empty(4 * H, H)).T.contiguous())
    b = torch.nn.Parameter(torch.cat([torch.zeros(H), torch.ones(H), torch.zeros(2 * H)]))
    dense = torch.nn.Linear(H, 1)
    torch.nn.init.xavier_uniform_(dense.weight)
    torch.nn.init.zeros_(dense.bias)
    params = [Wx, Wh, b, *dense.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)

    def forward(x):  # x (N, T, D); the LSTM with sigmoid as its cell activation
        N, T, _ = x.shape
        h = c = None  # the zero state: step 0 skips its products, as ours does
        for t in range(T):
            z = x[:, t] @ Wx + b if h is None else x[:, t] @ Wx + h @ Wh + b
            i, f, g, o = torch.sigmoid(z).chunk(4, dim=1)  # every activation is a sigmoid
            c = i * g if c is None else f * c + i * g
            h = o * torch.sigmoid(c)
        return dense(h)

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X_t))
        total = 0.0
        for s in range(0, len(X_t), 32):
            rows = order[s : s + 32]
            loss = torch.nn.functional.mse_loss(forward(X_t[rows]), y_t[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
    return time.perf_counter() - start, total / len(X_t)


def run_torch_module(X, y, epochs, seed):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    torch.manual_seed(seed)

    class SigmoidLSTMCell(nn.Module):  # nn.LSTMCell's cell activation is always tanh
        def __init__(self, D, H):
            super().__init__()
            self.x2h, self.h2h = nn.Linear(D, 4 * H), nn.Linear(H, 4 * H, bias=False)
            nn.init.xavier_uniform_(self.x2h.weight)  # Keras's initial values, as above
            nn.init.orthogonal_(self.h2h.weight)
            with torch.no_grad():
                self.x2h.bias.copy_(torch.cat([torch.zeros(H), torch.ones(H), torch.zeros(2 * H)]))

        def forward(self, x, state):
            h, c = state
            i, f, g, o = torch.sigmoid(self.x2h(x) + self.h2h(h)).chunk(4, dim=1)
            c = f * c + i * g
            return o * torch.sigmoid(c), c

    class Regressor(nn.Module):
        def __init__(self, D=1, H=4):
            super().__init__()
            self.H, self.cell, self.dense = H, SigmoidLSTMCell(D, H), nn.Linear(H, 1)
            nn.init.xavier_uniform_(self.dense.weight)
            nn.init.zeros_(self.dense.bias)

        def forward(self, x):
            state = (x.new_zeros(len(x), self.H), x.new_zeros(len(x), self.H))
            for t in range(x.shape[1]):
                state = self.cell(x[:, t], state)
            return self.dense(state[0])

    model, criterion = Regressor(), nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=32, shuffle=True
    )
    start = time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
    return time.perf_counter() - start, total / len(X)


def run_bare(X, y, epochs, seed):
    import math

    import numpy as np

    rng = np.random.default_rng(seed)
    H, lr, eps = 4, 1e-3, 1e-7
    sizes = [4 * H, 4 * H * H, 4 * H, H, 1]  # Wx, Wh, b, Wd, bd: one flat array, like ours
    P = np.zeros(sum(sizes), np.float32)
    G = np.zeros_like(P)
    ends = np.cumsum(sizes)
    Wx, Wh, b, Wd, bd = np.split(P, ends[:-1])
    gWx, _, gb, gWd, gbd = np.split(G, ends[:-1])
    Wx[...] = rng.uniform(-1, 1, 4 * H) * math.sqrt(6 / (1 + 4 * H))  # glorot_uniform
    Wh[...] = np.linalg.qr(rng.standard_normal((4 * H, H)))[0].T.ravel()  # orthogonal
    b[H : 2 * H] = 1  # unit forget bias
    Wd[...] = rng.uniform(-1, 1, H) * math.sqrt(6 / (H + 1))
    moments, targets = np.zeros((2, P.size), np.float32), np.empty((2, P.size), np.float32)
    rates, step = np.array([[0.1], [0.001]], np.float32), np.empty_like(P)
    iterations, total = 0, 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        epoch_x, epoch_y, total = X[order, 0, 0], y[order, 0], 0.0
        for s in range(0, len(X), 32):
            x, target = epoch_x[s : s + 32], epoch_y[s : s + 32]
            N = len(x)
            a = np.multiply.outer(Wx, x)  # (4H, N): feature-major pre-activations
            a += b[:, None]
            a *= 0.5  # every gate and the cell activation are sigmoids: 0.5 tanh(a/2) + 0.5
            np.tanh(a, out=a)
            a *= 0.5
            a += 0.5
            i, _, g, o = a.reshape(4, H, N)
            act_c = i * g  # c = i g (the previous c is 0), then sigmoid(c)
            act_c *= 0.5
            np.tanh(act_c, out=act_c)
            act_c *= 0.5
            act_c += 0.5
            h = o * act_c  # (H, N)
            d = Wd @ h  # (N,) prediction, then the error
            d += bd - target
            total += float(d @ d)
            d *= 2 / N
            gWd[...] = h @ d
            gbd[0] = d.sum()
            dh = np.multiply.outer(Wd, d)  # (H, N)
            da = np.zeros_like(a)
            da_i, _, da_g, da_o = da.reshape(4, H, N)
            np.multiply(dh, act_c, out=da_o)
            dc = dh * o
            dc *= act_c
            dc *= 1 - act_c
            np.multiply(dc, g, out=da_i)
            np.multiply(dc, i, out=da_g)
            da *= a
            da *= 1 - a
            gWx[...] = da @ x
            gb[...] = da.sum(axis=1)
            iterations += 1  # Adam, Keras's form, both moments in one array
            targets[0] = G
            np.multiply(G, G, out=targets[1])
            targets -= moments
            targets *= rates
            moments += targets
            alpha = lr * math.sqrt(1 - 0.999**iterations) / (1 - 0.9**iterations)
            np.sqrt(moments[1], out=step)
            step += eps
            np.divide(moments[0], step, out=step)
            step *= alpha
            P -= step
    return time.perf_counter() - start, total / len(X)


def run_keras(X, y, epochs, seed):
    import keras
    import torch

    torch.set_num_threads(1)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((None, 1)),
            keras.layers.LSTM(units=4, activation="sigmoid"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mean_squared_error")
    start = time.perf_counter()
    history = model.fit(X, y, batch_size=32, epochs=epochs, verbose=0)
    return time.perf_counter() - start, history.history["loss"][-1]


RUNNERS = {
    "unrolled": run_unrolled,
    "functional": run_functional,
    "bare": run_bare,
    "torch": run_torch,
    "torch_module": run_torch_module,
    "keras": run_keras,
}


def child(variant, epochs, repeats):
    """Inside the subprocess: fit `repeats` times, print one JSON line."""
    X, y = load_data()
    times, losses = [], []
    for seed in range(repeats):
        seconds, loss = RUNNERS[variant](X, y, epochs, seed)
        times.append(seconds)
        losses.append(loss)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"variant": variant, "seconds": times, "loss": losses, "peak_mib": peak_mib}))


def measure(variant, python, epochs, repeats):
    """Run one variant in a fresh one-threaded process; its JSON result or an error note."""
    command = [
        python,
        __file__,
        "--child",
        variant,
        "--epochs",
        str(epochs),
        "--repeats",
        str(repeats),
    ]
    env = {**os.environ, **ONE_THREAD, "KERAS_BACKEND": "torch"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return {"variant": variant, "error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(RUNNERS), action="append")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="fits per subprocess (keras: 2)")
    parser.add_argument("--rounds", type=int, default=3, help="subprocesses per variant")
    parser.add_argument("--keras-python", default=KERAS_PYTHON)
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.epochs, args.repeats)
        return 0
    variants = args.only or list(RUNNERS)
    results = {variant: [] for variant in variants}
    for r in range(args.rounds):  # rounds interleave the variants, in a rotating order
        for variant in variants[r % len(variants) :] + variants[: r % len(variants)]:
            python = sys.executable
            if variant == "keras":
                if not Path(args.keras_python).exists():
                    results[variant] = [{"error": f"no Keras environment at {args.keras_python}"}]
                    continue
                python = args.keras_python
            repeats = min(args.repeats, 2) if variant == "keras" else args.repeats
            results[variant].append(measure(variant, python, args.epochs, repeats))
            print(json.dumps(results[variant][-1]), file=sys.stderr)
    print_table(results)
    return 0


def print_table(results):
    """Each variant's best fit over its rounds, against ours; then every round's best."""
    done = {v: [r for r in runs if "error" not in r] for v, runs in results.items()}
    best = {v: min(s for r in runs for s in r["seconds"]) for v, runs in done.items() if runs}
    ours = best.get("unrolled", float("nan"))
    print(f"{'variant':<12} {'fit s (best)':>12} {'x ours':>7} {'final loss':>11} {'peak MiB':>9}")
    for variant, runs in results.items():
        errors = [r["error"] for r in runs if "error" in r]
        if variant not in best:
            print(f"{variant:<12} {errors[0] if errors else 'skipped'}")
            continue
        ok = done[variant]
        loss, peak = ok[0]["loss"][0], max(r["peak_mib"] for r in ok)
        row = f"{variant:<12} {best[variant]:>12.2f} {best[variant] / ours:>7.1f} {loss:>11.3e}"
        failed = f"  ({len(errors)} round(s) failed: {errors[0]})" if errors else ""
        print(f"{row} {peak:>9.0f}{failed}")
    print("best fit of each round, s: ", end="")
    print("; ".join(f"{v} " + " ".join(f"{min(r['seconds']):.2f}" for r in done[v]) for v in best))


if __name__ == "__main__":
    sys.exit(main())
