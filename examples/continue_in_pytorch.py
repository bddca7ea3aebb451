"""Prototype here, scale there: continue training an unrolled char-level model in PyTorch, on
one process or several with DistributedDataParallel.

    unrolled charlm train --text ../shared/data/tinyshakespeare.txt --steps 1000 --out runs/shake
    unrolled export runs/shake/model.npz --format torch --out runs/shake/model.pt
    python examples/continue_in_pytorch.py runs/shake/model.pt \
        --text ../shared/data/tinyshakespeare.txt --steps 1000 --out runs/shake/torch.pt
    torchrun --nproc_per_node 2 examples/continue_in_pytorch.py runs/shake/model.pt \
        --text ../shared/data/tinyshakespeare.txt --steps 1000        # DDP: gloo on CPUs

It trains the way `unrolled charlm train` did, so the numbers continue:
    1) the vocabulary comes from the file's extras; the text is split as charlm split it:
       the first 90% trains, the last 10% validates (--val-fraction)
    2) the training part is cut into B parallel streams read in chunks of L characters
       (B and L from the file's settings); the recurrent layers are stateful, so a chunk
       starts from the states the previous chunk ended in, and the gradient stops at the
       chunk's first character (truncated BPTT); the text is taken up where unrolled stopped
    3) one Adam step per chunk (charlm's learning rate and epsilon), gradient norm clipped
    4) every --eval-every steps, the validation loss in nats per character, from fresh states
Under torchrun, each of the W processes trains B / W of the streams and DDP averages the
gradients: the same step as one process on all B streams. The optimizer starts fresh: the
file holds the weights and the architecture, not Adam's moments.
"""

import argparse
import contextlib
import hashlib
import os
import time

import torch
import torch.distributed as dist
from torch.nn.functional import cross_entropy
from torch.nn.parallel import DistributedDataParallel

from unrolled.data import Vocabulary, char_rnn_batches, train_val_split
from unrolled.interop.torch import load_module, save_module


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a .pt file from `unrolled export --format torch`")
    parser.add_argument("--text", required=True, help="the text the model was trained on")
    parser.add_argument("--steps", type=int, default=1000, help="optimizer steps to take")
    parser.add_argument("--eval-every", type=int, default=250, help="steps between validations")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="charlm's held-out share")
    parser.add_argument("--lr", type=float, help="Adam's step size (default: the file's)")
    parser.add_argument("--out", help="write the trained module here (save_module)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (one GPU per process)")
    return parser.parse_args()


@contextlib.contextmanager
def fresh_states(module):
    """Run the body from zero states, then give the training states back (as charlm does)."""
    layers = [m for m in module.modules() if hasattr(m, "states")]
    saved = [m.states for m in layers]
    module.reset_states()
    try:
        yield
    finally:
        for m, states in zip(layers, saved, strict=True):
            m.states = states


@torch.no_grad()
def evaluate(module, X, Y):
    """Mean cross-entropy (nats/char) over chunks X, Y (K, B, L), states carried across."""
    module.eval()
    with fresh_states(module):
        losses = [
            cross_entropy(module(x).flatten(0, 1), y.flatten()).item()
            for x, y in zip(X, Y, strict=True)
        ]
    module.train()
    return sum(losses) / len(losses)


def main():
    args = parse_args()
    # 0) one process, or one of torchrun's: WORLD_SIZE processes, this one is RANK
    distributed = "WORLD_SIZE" in os.environ
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    device = torch.device(args.device)
    if args.device == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    # 1) the exported model, its vocabulary and settings; the text split as charlm split it
    module, extras = load_module(args.model, with_extras=True)
    module.to(device).train()
    vocab, settings = Vocabulary.from_state(extras["vocabulary"]), extras["settings"]
    B, L, V = settings["batch_size"], settings["seq_len"], len(vocab)
    with open(args.text, encoding="utf-8") as f:
        ids = vocab.encode(f.read())
    train, val = train_val_split(len(ids), args.val_fraction)
    X, Y = (torch.from_numpy(a).to(device) for a in char_rnn_batches(ids[train], B, L))
    Lv = min(L, len(ids[val]) - 1)  # validation chunks as charlm cut them
    Bv = max(1, min(B, (len(ids[val]) - 1) // Lv))
    Xv, Yv = (torch.from_numpy(a).to(device) for a in char_rnn_batches(ids[val], Bv, Lv))
    K = X.shape[0]

    # 2) this process's share of the streams; DDP averages the gradients of all shares
    if B % world:
        raise SystemExit(f"{B} streams do not split evenly over {world} processes")
    X, Y = X[:, rank::world], Y[:, rank::world]  # (K, B / W, L)
    model = DistributedDataParallel(module) if distributed else module
    params = [p for p in module.parameters() if p.requires_grad]
    lr = args.lr or settings["lr"]
    optimizer = torch.optim.Adam(params, lr=lr, eps=1e-7)  # Keras's epsilon, as unrolled's Adam

    def say(text):
        if rank == 0:
            print(text, flush=True)

    start = extras.get("step", 0)  # unrolled's steps so far: continue in the text from there
    say(
        f"{world} process(es) x {B // world} streams of {L} characters, {K} chunks per epoch; "
        f"Adam lr {lr}, clip {settings['clip']}"
    )
    step, val = start, evaluate(module, Xv, Yv)
    say(f"step {step:5d} (unrolled's model): validation {val:.4f} nats/char")

    # 3) + 4) one step per chunk; validate now and then
    seconds, losses = 0.0, []  # training time (validation not counted); losses since the last
    for step in range(start + 1, start + args.steps + 1):
        tick = time.perf_counter()
        k = (step - 1) % K
        if k == 0:
            module.reset_states()  # each epoch starts every stream from zeros
        logits = model(X[k])  # (B / W, L, V)
        loss = cross_entropy(logits.reshape(-1, V), Y[k].reshape(-1))
        optimizer.zero_grad()
        loss.backward()  # DDP: the gradients are averaged over the processes here
        torch.nn.utils.clip_grad_norm_(params, settings["clip"])
        optimizer.step()
        losses.append(loss.detach())
        seconds += time.perf_counter() - tick
        if (step - start) % args.eval_every == 0 or step == start + args.steps:
            train_loss = torch.stack(losses).mean()  # over the interval, as charlm reports it
            if distributed:  # of all the streams, not only this process's share
                dist.all_reduce(train_loss)
                train_loss /= world
            val, losses = evaluate(module, Xv, Yv), []
            say(f"step {step:5d}: train {train_loss.item():.4f}, validation {val:.4f} nats/char")
    speed = args.steps * B * L / seconds
    say(f"{args.steps} steps in {seconds:.1f} s of training ({speed:,.0f} characters/s)")

    # every process holds the same weights: DDP kept the replicas in step
    weights = b"".join(p.detach().cpu().numpy().tobytes() for p in module.parameters())
    digests = [hashlib.sha256(weights).hexdigest()[:16]]
    if distributed:  # one process prints them all: lines from several would interleave
        digests = digests * world
        dist.all_gather_object(digests, digests[rank])
    same = "identical" if len(set(digests)) == 1 else "DIFFERENT"
    say(f"weights sha256 by rank: {', '.join(digests)} ({same})")
    if args.out and rank == 0:
        save_module(module.cpu(), args.out, extras={**extras, "step": step, "val_loss": val})
        say(f"saved: {args.out}")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
