"""Engine throughput: our LSTM (lstm_forward / lstm_backward) against torch.nn.LSTM on the CPU.

    python benchmarks/engine.py            # the full run recorded in benchmarks/RESULTS.md
    python benchmarks/engine.py --quick    # a short run (one size, fewer repeats)

Setting: N=32 sequences of T=100 one-hot characters (D=65), H in {128, 256, 512}, float32,
1 and 2 threads (threadpoolctl's threadpool_limits for NumPy's BLAS, torch.set_num_threads for
torch). Training = forward + backward of every output's gradient (torch: requires_grad input
and parameters, .backward()); forward-only = our keep_cache=False path against torch under
no_grad(). Each measurement runs in a fresh subprocess, the two sides alternating, and a
table row is the median over the repeats. Throughput is tokens per second, N*T / seconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

N, T, D = 32, 100, 65


def one_hot_batch(np, rng):
    """x (N, T, D) float32, one 1 per time step."""
    x = np.zeros((N, T, D), dtype=np.float32)
    x[np.arange(N)[:, None], np.arange(T), rng.integers(0, D, (N, T))] = 1.0
    return x


def numpy_side(H, rng):
    """(train_step, forward_step) closures for our LSTM in float32."""
    import numpy as np

    from unrolled.functional.lstm import lstm_backward, lstm_forward

    x = one_hot_batch(np, rng)
    Wx = (0.1 * rng.standard_normal((D, 4 * H))).astype(np.float32)
    Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(np.float32)
    b = np.zeros(4 * H, dtype=np.float32)
    h0 = np.zeros((N, H), dtype=np.float32)
    dh = np.ones((N, T, H), dtype=np.float32)

    def train():
        _, _, _, cache = lstm_forward(x, h0, h0, Wx, Wh, b)
        lstm_backward(dh, None, None, cache)

    def forward():
        lstm_forward(x, h0, h0, Wx, Wh, b, keep_cache=False)

    return train, forward


def torch_side(H, rng):
    """(train_step, forward_step) closures for torch.nn.LSTM in float32."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    x = torch.from_numpy(one_hot_batch(np, rng)).requires_grad_(True)
    dy = torch.ones(N, T, H)

    def train():
        lstm.zero_grad(set_to_none=True)
        x.grad = None
        y, _ = lstm(x)
        y.backward(dy)

    def forward():
        with torch.no_grad():
            lstm(x)

    return train, forward


def median_seconds(step, iters):
    """Median wall and CPU (this process, all threads) seconds of `iters` calls after two
    warm-up calls. CPU time is what other load on a shared machine disturbs least."""
    step(), step()
    wall, cpu = [], []
    for _ in range(iters):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def worker(side, H, threads, iters):
    """Runs in a subprocess: limit the threads, time both modes, print one JSON line."""
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=threads):
        if side == "torch":
            import torch

            torch.set_num_threads(threads)
        train, forward = (numpy_side if side == "numpy" else torch_side)(
            H, np.random.default_rng(0)
        )
        result = {}
        for mode, step in (("train", train), ("forward", forward)):
            result[mode], result[mode + "_cpu"] = median_seconds(step, iters)
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        result["blas"] = [f"{i['internal_api']} {i['version']} {i['architecture']}" for i in blas]
    print(json.dumps(result))


def measure(side, H, threads, iters):
    cmd = [sys.executable, __file__, "--worker", side, "--H", str(H), "--threads", str(threads)]
    out = subprocess.run([*cmd, "--iters", str(iters)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="H=128, 1 thread, 3 repeats")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512], help="H values")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts")
    parser.add_argument("--repeats", type=int, default=5, help="subprocess runs per side")
    parser.add_argument("--iters", type=int, default=5, help="timed calls per run")
    parser.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--H", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.H, args.threads[0], args.iters)
        return 0
    if args.quick:
        args.sizes, args.threads, args.repeats = [128], [1], 3

    import numpy as np
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__}, N={N} T={T} D={D} float32")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min), CPUs: {os.cpu_count()}")
    print("tokens/s from wall time (median of the repeats); CPU ratio: the same from CPU time")
    columns = ["threads", "H"] + ["ours train", "torch train", "ratio", "CPU ratio"]
    columns += ["ours fwd", "torch fwd", "ratio", "CPU ratio"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    blas = set()
    for threads in args.threads:
        for H in args.sizes:
            runs = {"numpy": [], "torch": []}
            for rep in range(args.repeats):
                order = ["numpy", "torch"] if rep % 2 == 0 else ["torch", "numpy"]
                for side in order:
                    runs[side].append(measure(side, H, threads, args.iters))
            blas.update(runs["numpy"][0]["blas"])
            tok = {  # tokens per second, median over the repeats
                (side, mode): N * T / statistics.median(r[mode] for r in runs[side])
                for side in runs
                for mode in ("train", "forward", "train_cpu", "forward_cpu")
            }
            cells = []
            for mode in ("train", "forward"):
                ours, theirs = tok["numpy", mode], tok["torch", mode]
                cpu_ratio = tok["numpy", mode + "_cpu"] / tok["torch", mode + "_cpu"]
                cells += [f"{ours:,.0f}", f"{theirs:,.0f}", f"{ours / theirs:.2f}x"]
                cells.append(f"{cpu_ratio:.2f}x")
            print(f"| {threads} | {H} | " + " | ".join(cells) + " |", flush=True)
    print(f"NumPy BLAS (threadpoolctl): {', '.join(sorted(blas))}")
    print(f"torch oneDNN (mkldnn) available: {torch.backends.mkldnn.is_available()}")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
