"""Engine throughput: our LSTM (lstm_forward / lstm_backward) against torch.nn.LSTM on the CPU.

    python benchmarks/engine.py            # the full run recorded in benchmarks/RESULTS.md
    python benchmarks/engine.py --quick    # a short run (one size, fewer repeats)
    python benchmarks/engine.py --floor    # 1 thread: our GEMMs alone against torch's whole step

Setting: N=32 sequences of T=100 one-hot characters (D=65), H in {128, 256, 512}, float32,
1 and 2 threads (threadpoolctl's threadpool_limits for NumPy's BLAS, torch.set_num_threads for
torch). Training = forward + backward of every output's gradient (torch: requires_grad input
and parameters, .backward()); forward-only = our keep_cache=False path against torch under
no_grad(). Each measurement runs in a fresh subprocess, the two sides alternating, and a
table row is the median over the repeats. Throughput is tokens per second, N*T / seconds.

--floor (1 thread) times only the matrix products our forward and backward do, next to both
sides' whole steps in the same subprocess: the best speed ratio NumPy's BLAS allows us with
our current GEMM shapes and layouts.
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


def gemm_floor(H, rng):
    """(train, forward, recurrent) closures doing only the matrix products of numpy_side's
    lstm_forward / lstm_backward, in the shapes and layouts that code uses (feature-major).

    numpy_side passes h0 and c0 as arrays, so all T steps do the recurrent GEMM each way.
    forward: input projection Wx^T (4H, D) @ xs (T, D, N), then T of Wh^T (4H, H) @ h (H, N).
    train adds T of Wh (H, 4H) @ da_t (4H, N) and, over the flattened steps (T*N columns),
    dWh = (dA (4H, T*N) @ H_prev^T)^T, dWx = (dA @ X^T)^T, dx = dA^T @ Wx^T (T*N, D).
    recurrent: the T per-step forward GEMMs alone. The copies that flatten the steps are not
    GEMMs and are made here, once.
    """
    import numpy as np

    from unrolled.functional import _sequence as seq

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    Wx, Wh = normal(D, 4 * H), normal(H, 4 * H)
    Wx_, Wh_ = 0.5 * Wx, 0.5 * Wh  # the forward multiplies by halved copies
    xs = seq.step_inputs(one_hot_batch(np, rng), np.float32)  # (T, D, N)
    hs, dA = normal(T + 1, H, N), normal(T, 4 * H, N)  # states, gate gradients
    dA2, H_prev, X = seq.flat_steps(dA), seq.flat_steps(hs[:-1]), seq.flat_steps(xs)
    rec, dprev_h = np.empty((4 * H, N), np.float32), np.empty((H, N), np.float32)

    def recurrent():
        for t in range(T):
            np.dot(Wh_.T, hs[t], out=rec)

    def forward():
        np.matmul(Wx_.T, xs)
        recurrent()

    def train():
        forward()
        for t in reversed(range(T)):
            np.dot(Wh, dA[t], out=dprev_h)
        np.dot(dA2, H_prev.T)
        np.dot(dA2, X.T)
        np.dot(dA2.T, Wx.T)

    return train, forward, recurrent


def torch_recurrent(H, rng):
    """A closure doing T batch-major recurrent GEMMs with torch.mm: h (N, H) @ Wh (H, 4H)."""
    import torch

    hs = torch.from_numpy(rng.standard_normal((T, N, H), dtype="float32"))
    Wh = torch.from_numpy(rng.standard_normal((H, 4 * H), dtype="float32"))
    out = torch.empty(N, 4 * H)

    def recurrent():
        for t in range(T):
            torch.mm(hs[t], Wh, out=out)

    return recurrent


def median_seconds(step, iters):
    """Median wall and CPU (this process, all threads) seconds of `iters` calls after two
    warm-up calls. CPU time is what other load on a shared machine disturbs least."""
    seconds = interleaved_seconds({"step": step}, iters)
    return seconds["step"], seconds["step_cpu"]


def interleaved_seconds(steps, iters):
    """Median wall and CPU seconds per call of each closure in `steps` (name -> closure), after
    two warm-up calls each, as {name: wall, name + "_cpu": cpu}. The closures take turns call
    by call, so a change of load on a shared machine hits them all alike."""
    for step in steps.values():
        step(), step()
    seconds = {key: [] for name in steps for key in (name, name + "_cpu")}
    for _ in range(iters):
        for name, step in steps.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            step()
            seconds[name].append(time.perf_counter() - start)
            seconds[name + "_cpu"].append(time.process_time() - start_cpu)
    return {key: statistics.median(values) for key, values in seconds.items()}


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


def floor_worker(H, iters, reverse):
    """Runs in a subprocess, on 1 thread: time the GEMM floor, both whole steps of both sides
    and T recurrent GEMMs of both libraries, taking turns (in reverse order when `reverse`);
    print one JSON line of median wall and CPU seconds per call."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=1):
        torch.set_num_threads(1)
        gemm_train, gemm_forward, numpy_rec = gemm_floor(H, np.random.default_rng(0))
        torch_train, torch_forward = torch_side(H, np.random.default_rng(0))
        ours_train, ours_forward = numpy_side(H, np.random.default_rng(0))
        steps = {
            "gemm_train": gemm_train,
            "gemm_forward": gemm_forward,
            "torch_train": torch_train,
            "torch_forward": torch_forward,
            "ours_train": ours_train,
            "ours_forward": ours_forward,
            "numpy_rec": numpy_rec,
            "torch_rec": torch_recurrent(H, np.random.default_rng(0)),
        }
        order = reversed(steps) if reverse else steps
        result = interleaved_seconds({name: steps[name] for name in order}, iters)
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        result["blas"] = [f"{i['internal_api']} {i['version']} {i['architecture']}" for i in blas]
    print(json.dumps(result))


def measure(side, H, threads, iters, *extra):
    cmd = [sys.executable, __file__, "--worker", side, "--H", str(H), "--threads", str(threads)]
    cmd += ["--iters", str(iters), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def throughput_table(sizes, thread_counts, repeats, iters):
    """The default run: tokens/s of both sides per thread count and H, one subprocess per
    measurement, the sides alternating. Returns the BLAS lines threadpoolctl saw."""
    print("tokens/s from wall time (median of the repeats); CPU ratio: the same from CPU time")
    columns = ["threads", "H"] + ["ours train", "torch train", "ratio", "CPU ratio"]
    columns += ["ours fwd", "torch fwd", "ratio", "CPU ratio"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    blas = set()
    for threads in thread_counts:
        for H in sizes:
            runs = {"numpy": [], "torch": []}
            for rep in range(repeats):
                order = ["numpy", "torch"] if rep % 2 == 0 else ["torch", "numpy"]
                for side in order:
                    runs[side].append(measure(side, H, threads, iters))
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
    return blas


def floor_ratios(ms, mode):
    """best = torch whole / our GEMMs (our speed ratio with zero non-GEMM cost) and now = torch
    whole / ours whole, for mode "forward" or "train"; ms: milliseconds per call by name."""
    torch_ = ms["torch_" + mode]
    return [f"{torch_ / ms['gemm_' + mode]:.2f}x", f"{torch_ / ms['ours_' + mode]:.2f}x"]


def floor_rows(H, runs):
    """The wall-time row (ms per call, then the ratios) and the CPU-time row (ratios only) for
    one H, from the medians over the repeats' results `runs`."""
    ms = {key: 1e3 * statistics.median(r[key] for r in runs) for key in runs[0] if key != "blas"}
    cpu_ms = {key: ms[key + "_cpu"] for key in ms if not key.endswith("_cpu")}
    wall, cpu = [], []
    for mode in ("forward", "train"):
        wall += [f"{ms[side + '_' + mode]:.2f}" for side in ("gemm", "torch", "ours")]
        wall += floor_ratios(ms, mode)
        cpu += floor_ratios(cpu_ms, mode)
    return f"| {H} | " + " | ".join(wall) + " |", f"| {H} | " + " | ".join(cpu) + " |"


def recurrent_rates(H, runs):
    """GFLOP/s of one recurrent GEMM (2 * 4H * H * N flops): NumPy (4H, H) @ (H, N) as our
    forward does it, torch.mm (N, H) @ (H, 4H); from the median over the repeats."""
    flops = 2 * 4 * H * H * N * T  # T GEMMs per timed call
    numpy_, torch_ = (
        flops / statistics.median(r[k] for r in runs) for k in ("numpy_rec", "torch_rec")
    )
    return f"| {H} | {numpy_ / 1e9:.1f} | {torch_ / 1e9:.1f} |"


def floor_tables(sizes, repeats, iters):
    """--floor: for each H, `repeats` subprocesses (odd ones time in reverse order); the floor
    table row by row, then the same ratios from CPU time and the recurrent GEMM rates.
    Returns the BLAS lines threadpoolctl saw."""
    print("1 thread; ms per call (wall), median of the repeats. best = torch whole / our GEMMs")
    print("(our speed ratio with zero non-GEMM cost); now = torch whole / ours whole")
    columns = ["H", "our GEMMs fwd", "torch whole fwd", "our whole fwd", "best fwd", "now fwd"]
    columns += ["our GEMMs train", "torch whole train", "our whole train"]
    columns += ["best train", "now train"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    cpu_rows, rates, blas = [], [], set()
    for H in sizes:
        runs = [measure("floor", H, 1, iters, *["--reverse"] * (rep % 2)) for rep in range(repeats)]
        blas.update(runs[0]["blas"])
        wall_row, cpu_row = floor_rows(H, runs)
        print(wall_row, flush=True)
        cpu_rows.append(cpu_row)
        rates.append(recurrent_rates(H, runs))
    print("\nThe same ratios from CPU time (this process), which other jobs disturb less")
    print("| H | best fwd | now fwd | best train | now train |")
    print("|---|---|---|---|---|")
    print("\n".join(cpu_rows))
    print("\nPer-step recurrent GEMM, GFLOP/s (wall, median of the repeats)")
    print(f"| H | NumPy (4H,H)@(H,{N}) | torch.mm ({N},H)@(H,4H) |")
    print("|---|---|---|")
    print("\n".join(rates))
    return blas


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="H=128, 1 thread, 3 repeats")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512], help="H values")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts")
    parser.add_argument(
        "--repeats", type=int, default=5, help="subprocess runs per side (--floor: per H)"
    )
    parser.add_argument("--iters", type=int, default=5, help="timed calls per run")
    parser.add_argument("--floor", action="store_true", help="GEMM floor against torch, 1 thread")
    parser.add_argument("--worker", choices=["numpy", "torch", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--H", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reverse", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "floor":
        floor_worker(args.H, args.iters, args.reverse)
        return 0
    if args.worker:
        worker(args.worker, args.H, args.threads[0], args.iters)
        return 0
    if args.quick:
        args.sizes, args.threads, args.repeats = [128], [1], 3

    import numpy as np
    import torch

    print(f"numpy {np.__version__}, torch {torch.__version__}, N={N} T={T} D={D} float32")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min), CPUs: {os.cpu_count()}")
    if args.floor:
        blas = floor_tables(args.sizes, args.repeats, args.iters)
    else:
        blas = throughput_table(args.sizes, args.threads, args.repeats, args.iters)
    print(f"NumPy BLAS (threadpoolctl): {', '.join(sorted(blas))}")
    print(f"torch oneDNN (mkldnn) available: {torch.backends.mkldnn.is_available()}")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (1 min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
