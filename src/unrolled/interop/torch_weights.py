"""Weights between our Keras layout and PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU` state_dict.

NumPy only: this module never imports torch. Values going out are NumPy arrays (wrap them with
`torch.from_numpy` or pass them to `load_state_dict`, which copies); values coming in may be
NumPy arrays or tensors (anything with `.detach()` is detached and moved to the CPU first).

One layer, one direction (`suffix="_reverse"` for the backward direction of a bidirectional
layer), keys `weight_ih_l0{suffix}`, `weight_hh_l0{suffix}`, `bias_ih_l0{suffix}`,
`bias_hh_l0{suffix}`:

    weight_ih = kernel^T (G*H, D)         weight_hh = recurrent_kernel^T (G*H, H)
    SimpleRNN, LSTM: PyTorch adds two biases, we keep their sum:
        to torch: bias_ih = bias, bias_hh = 0        from torch: bias = bias_ih + bias_hh
    GRU: bias (2, 3H) holds both: bias_ih = bias[0], bias_hh = bias[1]; PyTorch's gate order is
        r, z, n where ours (Keras) is z, r, h, so the first two blocks swap on the way.

LSTM gates (i, f, g, o) are in the same order in both. A layer without bias has no bias keys.
"""

import numpy as np

from unrolled.errors import InputError, invalid

KINDS = ("rnn", "lstm", "gru")


def _check_kind(kind):
    if kind not in KINDS:
        raise invalid("kind", f"one of {list(KINDS)}", kind)


def _numpy(value):
    """A state_dict value as a NumPy array (tensors are detached and copied to the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _swap_zr(a, axis):
    """Swap the first two of three equal gate blocks along `axis` (z, r, h <-> r, z, n)."""
    z, r, h = np.split(a, 3, axis=axis)
    return np.concatenate([r, z, h], axis=axis)


def to_torch(kind, kernel, recurrent_kernel, bias, suffix=""):
    """Our weights -> a PyTorch state_dict for one direction of a one-layer RNN/LSTM/GRU.

    kernel (D, G*H), recurrent_kernel (H, G*H), bias (G*H,) or for GRU (2, 3H), or None.
    Returns dict key -> ndarray: weight_ih (G*H, D), weight_hh (G*H, H), bias_ih and
    bias_hh (G*H,) (no bias keys when bias is None).
    """
    _check_kind(kind)
    Wx, Wh = np.asarray(kernel), np.asarray(recurrent_kernel)
    if kind == "gru":
        Wx, Wh = _swap_zr(Wx, axis=1), _swap_zr(Wh, axis=1)
    state = {f"weight_ih_l0{suffix}": Wx.T.copy(), f"weight_hh_l0{suffix}": Wh.T.copy()}
    if bias is not None:
        b = np.asarray(bias)
        if kind == "gru":
            b_ih, b_hh = _swap_zr(b[0], axis=0), _swap_zr(b[1], axis=0)
        else:
            b_ih, b_hh = b.copy(), np.zeros_like(b)  # torch adds the two
        state.update({f"bias_ih_l0{suffix}": b_ih, f"bias_hh_l0{suffix}": b_hh})
    return state


def from_torch(kind, state_dict, suffix=""):
    """A PyTorch state_dict (one direction of a one-layer RNN/LSTM/GRU) -> our weights.

    Returns kernel (D, G*H), recurrent_kernel (H, G*H) and bias ((G*H,), for GRU (2, 3H),
    or None when the state_dict has no bias keys).
    """
    _check_kind(kind)
    keys = [f"{name}_l0{suffix}" for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    has_bias = keys[2] in state_dict or keys[3] in state_dict
    for key in keys[: 4 if has_bias else 2]:
        if key not in state_dict:
            raise invalid("state_dict", f"a value for {key!r}", sorted(state_dict))
    Wx, Wh = (_numpy(state_dict[key]).T for key in keys[:2])
    bias = None
    if has_bias:
        b_ih, b_hh = _numpy(state_dict[keys[2]]), _numpy(state_dict[keys[3]])
        bias = np.stack([_swap_zr(b_ih, 0), _swap_zr(b_hh, 0)]) if kind == "gru" else b_ih + b_hh
    if kind == "gru":
        Wx, Wh = _swap_zr(Wx, axis=1), _swap_zr(Wh, axis=1)
    return np.ascontiguousarray(Wx), np.ascontiguousarray(Wh), bias


def check_torch_form(layer):
    """One line for a GRU with reset_after=False: nn.GRU resets after the recurrent product
    only, so no PyTorch layer computes it."""
    if getattr(layer, "reset_after", True) is False:
        raise InputError(
            f"layer '{layer.name}' is a GRU with reset_after=False, which PyTorch has no layer "
            "for (nn.GRU applies the reset gate after the recurrent product); ONNX export and "
            "Keras files carry it"
        )


def _directions(layer):
    """(suffix, single-direction layer) pairs: one for a plain layer, two for a Bidirectional."""
    pairs = [("", layer)]
    if hasattr(layer, "forward_layer"):
        pairs = [("", layer.forward_layer), ("_reverse", layer.backward_layer)]
    for _, single in pairs:
        check_torch_form(single)
    return pairs


def layer_state_dict(layer):
    """A built recurrent layer (or a Bidirectional of one) -> its PyTorch state_dict.

    Works on anything with `.kind` and `get_weights()` -> [kernel, recurrent_kernel(, bias)].
    """
    state = {}
    for suffix, single in _directions(layer):
        kernel, recurrent_kernel, *bias = single.get_weights()
        state.update(to_torch(single.kind, kernel, recurrent_kernel, *(bias or [None]), suffix))
    return state


def load_layer_state_dict(layer, state_dict):
    """Set a built layer's (or Bidirectional's) weights from a PyTorch state_dict.

    The layer's `set_weights` checks the shapes; bias keys must be present exactly when the
    layer has a bias (dropping a trained bias silently would change the model).
    """
    for suffix, single in _directions(layer):
        kernel, recurrent_kernel, bias = from_torch(single.kind, state_dict, suffix)
        has_bias = len(single.get_weights()) == 3
        if has_bias != (bias is not None):
            expected = "bias keys" if has_bias else "no bias keys (the layer has use_bias=False)"
            raise invalid(
                "state_dict",
                f"{expected} for direction {suffix or 'forward'!r}",
                sorted(state_dict),
            )
        single.set_weights([kernel, recurrent_kernel] + ([bias] if has_bias else []))
