"""Serving: onnxruntime on the exported graph against `model.predict`, the same model and the
same inputs, in the same run.

    char model   Embedding(65, 64) -> LSTM(128) -> LSTM(128) -> Dense(65): charlm's default
                 network (tiny Shakespeare's 65 characters), ids (N, 100) in
    tutorial     LSTM(4, activation="sigmoid") -> Dense(1) on (N, 60, 1) windows: the
                 forecast tutorial's network

Each figure is milliseconds per call (predict with batch_size=N; session.run on the whole
batch): the best of 7 runs, after 3 warm-up calls. The runs alternate between the two sides,
so a slow moment of a shared machine falls on both. One thread for both (BLAS and
onnxruntime's intra-op pool). The outputs are compared too: the largest difference is printed.

    python benchmarks/export.py
"""

import os

os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

RUNS, WARMUP = 7, 3
BATCHES = (1, 32)


def models():
    """(name, model, inputs(N)) for the two networks, weights seeded."""
    import unrolled
    from unrolled.layers import LSTM, Dense, Embedding

    unrolled.set_seed(0)
    rng = np.random.default_rng(0)
    char = unrolled.Sequential(
        [
            Embedding(65, 64, input_shape=(None,)),
            LSTM(128, return_sequences=True),
            LSTM(128, return_sequences=True),
            Dense(65),
        ]
    )
    tutorial = unrolled.Sequential([LSTM(4, activation="sigmoid", input_shape=(None, 1)), Dense(1)])
    return [
        ("char model, T=100", char, lambda N: rng.integers(0, 65, (N, 100))),
        ("tutorial, T=60", tutorial, lambda N: rng.uniform(0, 1, (N, 60, 1))),
    ]


def best_ms(calls):
    """{name: call()} -> {name: best-of-RUNS milliseconds}, the runs interleaved."""
    for call in calls.values():
        for _ in range(WARMUP):
            call()
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(RUNS):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds * 1e3 for name, seconds in best.items()}


def row(name, model, session, x):
    """One table row: both sides on batch x, their times, ratio and largest difference."""
    N = len(x)
    feed = {"x": x.astype(np.int64 if x.dtype.kind == "i" else np.float32)}
    diff = np.abs(model.predict(x, batch_size=N) - session.run(None, feed)[0]).max()
    ms = best_ms(
        {
            "predict": lambda: model.predict(x, batch_size=N),
            "onnxruntime": lambda: session.run(None, feed),
        }
    )
    ratio = ms["predict"] / ms["onnxruntime"]
    return (
        f"{name + f', N={N}':<26} {ms['predict']:>9.2f} {ms['onnxruntime']:>12.2f} "
        f"{ratio:>6.2f}x {diff:>9.1e}"
    )


def main():
    import onnxruntime
    from threadpoolctl import threadpool_limits

    from unrolled.interop.onnx import to_onnx

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    print(f"{'ms per call':<26} {'predict':>9} {'onnxruntime':>12} {'ratio':>7} {'max diff':>9}")
    with threadpool_limits(limits=1):
        for name, model, inputs in models():
            graph = to_onnx(model).SerializeToString()
            session = onnxruntime.InferenceSession(
                graph, options, providers=["CPUExecutionProvider"]
            )
            for N in BATCHES:
                print(row(name, model, session, inputs(N)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
