"""Char LM: our NumPy model against an identical PyTorch model on tiny shakespeare.

    python benchmarks/charlm.py                  # the run recorded in benchmarks/RESULTS.md
    python benchmarks/charlm.py --steps 20 --speed-steps 5 --repeats 1    # a smoke run
    python benchmarks/charlm.py --write          # also replace "## Char LM" in RESULTS.md

Both sides get the same architecture (Embedding(65, E) -> LSTM(H) x layers -> Linear(65)),
the same initial weights (ours, copied into torch with unrolled.interop.torch), the same
batches (char_rnn_batches: B streams, chunks of L, state carried across chunks, gradient cut
at chunk edges, streams reset at each epoch), the same loss (mean softmax cross-entropy) and
the same optimizer (Adam, lr 2e-3, betas 0.9/0.999, global gradient norm clipped to 5), all in
float32. Two details make "the same" exact rather than nearly so (checked in float64: the two
losses then agree to ~1e-6 after 15 steps, against 2e-2 without them):
- torch's LSTM has two biases (b_ih, b_hh) where we keep their sum; b_hh is frozen at 0, or
  Adam would step both and move the sum twice as fast (and clipping would count it twice);
- Keras (ours) and torch place Adam's epsilon differently (Keras adds it to sqrt(v), torch
  to sqrt(v / (1 - beta_2^t))), so eps is 1e-10 on both sides, where the two rules coincide.
After --steps steps each side reports its validation loss on the same held-out 10% of the
text. Then tokens/s (training characters per second) on 1 and 2 threads (threadpoolctl for
NumPy's BLAS, torch.set_num_threads for torch), the two sides alternating, the median over
--repeats runs of --speed-steps steps each.
"""

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from unrolled import config as unrolled_config
from unrolled.data import load_text
from unrolled.interop.torch import layer_state_dict
from unrolled.tasks.charlm import TrainConfig, build_model
from unrolled.tasks.charlm.train import evaluate, fit_chunk, make_batches

RESULTS = Path(__file__).with_name("RESULTS.md")
EPS = 1e-10  # Adam's epsilon on both sides (module docstring)
SECTION = "## Char LM"


def torch_model(ours, config, V):
    """The same network in PyTorch, with our initial weights copied in."""
    import torch

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(V, config.embed_dim)
            self.rnn = torch.nn.LSTM(
                config.embed_dim, config.hidden, config.layers, batch_first=True
            )
            self.head = torch.nn.Linear(config.hidden, V)

        def forward(self, ids, state):
            h, state = self.rnn(self.embed(ids), state)  # (B, L, H)
            return self.head(h), state  # logits (B, L, V)

    net = CharLSTM()
    embedding, *recurrent, dense = ours.layers
    state = {"embed.weight": embedding.get_weights()[0]}
    for k, layer in enumerate(recurrent):  # our per-layer l0 keys -> torch's l{k}
        for key, value in layer_state_dict(layer).items():
            state["rnn." + key.replace("_l0", f"_l{k}")] = value
    kernel, bias = dense.get_weights()
    state.update({"head.weight": kernel.T, "head.bias": bias})  # Linear keeps (V, H)
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    # torch's LSTM adds two biases where we keep one (b = b_ih + b_hh): left trainable, each
    # would get its own Adam step, moving the sum twice as fast, and the clipping norm would
    # count the bias gradient twice. b_hh stays 0 and frozen, so the models are the same.
    for name, param in net.rnn.named_parameters():
        if name.startswith("bias_hh"):
            param.requires_grad_(False)
    return net


class TorchSide:
    """Training and evaluation in PyTorch, mirroring charlm_train.fit_chunk / evaluate."""

    def __init__(self, net, config):
        import torch

        self.torch, self.net, self.clip = torch, net, config.clip
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.opt = torch.optim.Adam(self.params, lr=config.lr, betas=(0.9, 0.999), eps=EPS)
        self.state = None

    def fit_chunk(self, X, Y, step):
        torch, k = self.torch, (step - 1) % len(X)
        if k == 0:
            self.state = None  # each epoch starts every stream from zeros
        logits, state = self.net(torch.from_numpy(X[k]), self.state)
        self.state = tuple(s.detach() for s in state)  # carry the state, cut the gradient
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), torch.from_numpy(Y[k]).flatten()
        )
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.opt.step()
        return loss.item()

    def evaluate(self, X, Y):
        torch, state, losses = self.torch, None, []
        with torch.no_grad():
            for k in range(len(X)):
                logits, state = self.net(torch.from_numpy(X[k]), state)
                loss = torch.nn.functional.cross_entropy(
                    logits.flatten(0, 1), torch.from_numpy(Y[k]).flatten()
                )
                losses.append(loss.item())
        return float(np.mean(losses))


class OurSide:
    def __init__(self, model):
        self.model = model

    def fit_chunk(self, X, Y, step):
        return fit_chunk(self.model, X, Y, step)

    def evaluate(self, X, Y):
        return evaluate(self.model, X, Y)


def sides(config, V, seed):
    """A fresh (ours, torch) pair starting from the same weights."""
    unrolled_config.set_seed(seed)
    model = build_model(V, config)
    model.optimizer.epsilon = EPS
    return OurSide(model), TorchSide(torch_model(model, config, V), config)


def train(side, X, Y, steps, start=1):
    """`steps` optimizer steps from step `start`; returns (last losses, seconds)."""
    losses, tick = [], time.perf_counter()
    for step in range(start, start + steps):
        losses.append(side.fit_chunk(X, Y, step))
    return losses, time.perf_counter() - tick


def threads(n):
    """Limit NumPy's BLAS and torch to n threads (a context manager for the BLAS part)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    return threadpool_limits(n)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="steps before the validation loss")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=50)
    parser.add_argument("--speed-steps", type=int, default=20, help="steps per speed run")
    parser.add_argument("--repeats", type=int, default=3, help="speed runs per side and threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    args = parser.parse_args(argv)

    config = TrainConfig(
        hidden=args.hidden,
        layers=args.layers,
        embed_dim=args.embed_dim,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
    )
    load = [os.getloadavg()[0]]  # the machine may be shared: the timings say under what load
    text = load_text("tinyshakespeare")
    vocab, (X, Y), (Xv, Yv) = make_batches(text, config)
    K, B, L = X.shape
    print(
        f"tiny shakespeare: {len(text):,} characters, V={len(vocab)}; train {K} chunks of "
        f"{B}x{L}, validation {len(Xv)} chunks of {Xv.shape[1]}x{Xv.shape[2]}",
        flush=True,
    )

    # 1) agreement: same start, same batches, same optimizer; validation loss after N steps
    ours, theirs = sides(config, len(vocab), args.seed)
    with threads(1):  # the numbers do not depend on it; 1 thread is kindest to a shared machine
        start = [ours.evaluate(Xv, Yv), theirs.evaluate(Xv, Yv)]
        print(f"step 0 validation loss: ours {start[0]:.6f}, torch {start[1]:.6f}", flush=True)
        ours_losses, _ = train(ours, X, Y, args.steps)
        torch_losses, _ = train(theirs, X, Y, args.steps)
        val = [ours.evaluate(Xv, Yv), theirs.evaluate(Xv, Yv)]
    gap = abs(val[0] - val[1]) / val[1]
    print(
        f"step {args.steps} validation loss: ours {val[0]:.4f}, torch {val[1]:.4f} "
        f"(relative gap {gap:.2%}); train loss of the last 20 steps: ours "
        f"{np.mean(ours_losses[-20:]):.4f}, torch {np.mean(torch_losses[-20:]):.4f}",
        flush=True,
    )

    # 2) speed: fresh pairs, alternating sides, median tokens/s per thread count
    speed = {}
    for n in (1, 2):
        runs = {"ours": [], "torch": []}
        with threads(n):
            for _ in range(args.repeats):
                pair = dict(
                    zip(("ours", "torch"), sides(config, len(vocab), args.seed), strict=True)
                )
                for name, side in pair.items():
                    train(side, X, Y, 2)  # warm-up (allocations, BLAS threads)
                    _, seconds = train(side, X, Y, args.speed_steps, start=3)
                    runs[name].append(args.speed_steps * B * L / seconds)
        speed[n] = {name: statistics.median(v) for name, v in runs.items()}
        print(
            f"{n} thread(s): ours {speed[n]['ours']:,.0f} tokens/s, "
            f"torch {speed[n]['torch']:,.0f} tokens/s",
            flush=True,
        )

    load.append(os.getloadavg()[0])
    table = report(args, config, vocab, (K, B, L), start, val, gap, speed, load)
    print("\n" + table)
    if args.write:
        write_section(table)
    return 0 if gap <= 0.02 else 1


def report(args, config, vocab, shape, start, val, gap, speed, load):
    import torch

    K, B, L = shape
    bpc = [v / math.log(2) for v in val]
    lines = [
        SECTION,
        "",
        f"`python benchmarks/charlm.py{' --steps ' + str(args.steps) if args.steps != 300 else ''}`"
        f" on tiny shakespeare ({len(vocab)} characters): Embedding({len(vocab)}, "
        f"{config.embed_dim}) -> LSTM({config.hidden}) x {config.layers} -> Dense({len(vocab)}),"
        f" B={B} streams x L={L} characters per step ({K} steps per epoch), Adam lr "
        f"{config.lr} (eps {EPS:g}), global norm clip {config.clip}, float32, the same initial "
        "weights and batches on both sides.",
        "",
        "| | ours (NumPy) | PyTorch |",
        "|---|---:|---:|",
        f"| validation loss at step 0 (nats/char) | {start[0]:.4f} | {start[1]:.4f} |",
        f"| validation loss after {args.steps} steps (nats/char) | {val[0]:.4f} | {val[1]:.4f} |",
        f"| ... in bits/char | {bpc[0]:.3f} | {bpc[1]:.3f} |",
        f"| tokens/s, 1 thread | {speed[1]['ours']:,.0f} | {speed[1]['torch']:,.0f} |",
        f"| tokens/s, 2 threads | {speed[2]['ours']:,.0f} | {speed[2]['torch']:,.0f} |",
        "",
        f"Validation losses agree within {gap:.2%} (required: 2%). Speed: median of "
        f"{args.repeats} runs of {args.speed_steps} steps after 2 warm-up steps, sides "
        f"alternating; Python {platform.python_version()}, NumPy {np.__version__}, torch "
        f"{torch.__version__}, {platform.machine()} with {os.cpu_count()} CPUs, 1-minute load "
        f"average {load[0]:.1f} at the start and {load[1]:.1f} at the end.",
    ]
    return "\n".join(lines) + "\n"


def write_section(table):
    """Replace (or append) our section of RESULTS.md, leaving every other section alone."""
    from unrolled.files import write_text

    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if SECTION in text:
        head, rest = text.split(SECTION, 1)
        tail = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
        text = head + table + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + table
    write_text(RESULTS, text)


if __name__ == "__main__":
    sys.exit(main())
