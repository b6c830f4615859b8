"""Recurrent cells and the time loop, composed of autograd ops (PyTorch's gate order).

With input projections ``a_x = x W_ih^T + b_ih`` and ``a_h = h W_hh^T + b_hh``:

* RNN:  ``h' = tanh(a_x + a_h)`` (or relu)
* LSTM: ``i, f, g, o = split(a_x + a_h, 4)``; ``c' = σ(f) c + σ(i) tanh(g)``;
  ``h' = σ(o) tanh(c')``
* GRU:  ``r = σ(a_x[r] + a_h[r])``, ``z = σ(a_x[z] + a_h[z])``,
  ``n = tanh(a_x[n] + r * a_h[n])`` (``b_hn`` sits inside ``r * (...)``),
  ``h' = (1 - z) n + z h``

The LSTM's gates are one sigmoid node over all four blocks (the cell candidate's
pre-activation doubled: ``tanh(a) = 2 σ(2a) - 1``), combined by the primitive
``ag.ops.lstm_cell`` (state ``[h; c]`` in, ``[h'; c']`` out; see autograd/ops/rnn.py
for why); the other cells are composed. ``run_sequence`` is the time loop;
backprop through time is the engine walking that unrolled graph. Its design, each
choice measured on an LSTM with T=50, B=32, I=32, H=128 against hand-written NumPy:

* Each step projects its own input slice ``x[t]`` rather than slicing one
  ``(T, B, G*H)`` projection of the whole sequence: the adjoint of a slice is a
  zero-filled array of the sliced tensor's full shape, so T slices of a tensor that
  needs a gradient cost O(T^2) in the backward pass (5.2x -> 2.9x). Slicing the input
  is free when it needs no gradient (the usual first layer), and otherwise T times
  cheaper than slicing the projection (I features instead of G*H).
* RNN and LSTM steps are one matmul, ``[W_ih b W_hh] @ [x_t; 1; h]``: the bias is the
  weight of a constant row of ones, so a step has no bias add or bias reduction and
  the weights' gradients collect in one sum (2.1x -> 1.65x).
* The loop runs on transposed ``(features, batch)`` states: ``W @ h`` takes the weight
  as stored (``h @ W^T`` on the strided transpose is ~1.4x slower in BLAS), and each
  gate is a contiguous block of rows.

>>> import autograd as ag, nn.functional as F
>>> h = F.rnn_tanh_cell(ag.randn(3, 4), ag.zeros((3, 5)), ag.randn(5, 4), ag.randn(5, 5))
>>> h.shape
(3, 5)
"""
import numpy as np

import autograd as ag

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "run_sequence"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sum_bias(b_ih, b_hh):
    """b_ih + b_hh (either may be None): added once per step instead of twice."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


def _plus(a, b):
    return a if b is None else a + b


def _lstm_scale(hidden, dtype, ndim=2):
    """(4H, 1, ...) column [1; 1; 2; 1]: doubles the cell candidate's pre-activation, so
    that one sigmoid gives all four gate activations (``tanh(a) = 2 σ(2a) - 1``)."""
    scale = np.ones((4 * hidden,) + (1,) * (ndim - 1), dtype=dtype)
    scale[2 * hidden:3 * hidden] = 2
    return scale


def _rnn_gates(a, relu):
    return ag.relu(a) if relu else ag.tanh(a)


def _gru_gates(a_x, a_h, h, axis):
    """h' from the input and hidden projections, each stacked r, z, n along ``axis``."""
    x_r, x_z, x_n = ag.split(a_x, 3, axis=axis)
    h_r, h_z, h_n = ag.split(a_h, 3, axis=axis)
    r = ag.sigmoid(x_r + h_r)
    z = ag.sigmoid(x_z + h_z)
    n = ag.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def _check_cell(x, h, w_ih, w_hh, gates, opname):
    hidden = w_hh.shape[1]
    if w_ih.shape[0] != gates * hidden or w_hh.shape[0] != gates * hidden:
        raise ValueError(f"{opname}: weights {w_ih.shape} and {w_hh.shape} must have "
                         f"{gates} * hidden_size = {gates * hidden} rows")
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(f"{opname}: input of shape {x.shape} has {x.shape[-1]} features "
                         f"but weight_ih {w_ih.shape} expects {w_ih.shape[1]}")
    if h.shape[-1] != hidden or h.shape[:-1] != x.shape[:-1]:
        raise ValueError(f"{opname}: hidden state of shape {h.shape} does not fit input "
                         f"{x.shape} and hidden_size {hidden}")


def rnn_tanh_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 1, "rnn_tanh_cell")
    return _rnn_gates(_plus(x @ w_ih.T + h @ w_hh.T, _sum_bias(b_ih, b_hh)), relu=False)


def rnn_relu_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with ReLU: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 1, "rnn_relu_cell")
    return _rnn_gates(_plus(x @ w_ih.T + h @ w_hh.T, _sum_bias(b_ih, b_hh)), relu=True)


def lstm_cell(x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``state = (h, c)``; returns ``(h', c')`` (gate order i, f, g, o)."""
    x = ag.as_tensor(x)
    h, c = (ag.as_tensor(s) for s in state)
    _check_cell(x, h, w_ih, w_hh, 4, "lstm_cell")
    gates = _plus(x @ w_ih.T + h @ w_hh.T, _sum_bias(b_ih, b_hh))    # (B, 4H)
    n = c.shape[-1]
    acts = ag.sigmoid(gates.T * _lstm_scale(n, gates.dtype, gates.ndim))  # (4H, B)
    state = ag.ops.lstm_cell(acts, ag.concatenate([h.T, c.T], axis=0))  # (2H, B)
    return state[:n].T, state[n:].T


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gate order r, z, n; ``b_hn`` inside ``r * (h W_hn^T + b_hn)``)."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 3, "gru_cell")
    return _gru_gates(_plus(x @ w_ih.T, b_ih), _plus(h @ w_hh.T, b_hh), h, axis=-1)


def run_sequence(mode, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False,
                 w_hr=None):
    """One layer, one direction over a whole sequence ``x`` (T, B, I).

    Returns ``(outputs (T, B, H), h_T, c_T)`` (``c_T`` is None unless LSTM); with
    ``reverse`` the sequence is read from the last step to the first and the outputs
    are put back in the original time order. ``w_hr`` (P, H) is an LSTM's output
    projection (``proj_size``): then ``h`` and the outputs have P features.
    """
    if mode not in GATES:
        raise ValueError(f"run_sequence: mode must be one of {sorted(GATES)}, got {mode!r}")
    x = ag.as_tensor(x)
    steps, batch = x.shape[:2]
    # The loop runs on transposed (features, batch) states so that every matmul takes
    # the weights as stored: W @ h (contiguous) rather than h @ W^T (a strided view,
    # ~1.5x slower in BLAS), and each gate is a contiguous block of rows.
    if x.requires_grad:
        xs = x.transpose(0, 2, 1)                                     # (T, I, B) view
    else:   # a constant input is sliced as a plain array: no node per step
        xs = np.ascontiguousarray(x.data.transpose(0, 2, 1))          # (T, I, B)
    h = h0.T                                                          # (H, B)
    c = None if c0 is None else c0.T                                  # (H, B)
    outputs = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    if mode == "GRU":
        b_x, b_h = (None if b is None else b.reshape(-1, 1) for b in (b_ih, b_hh))
        for t in order:
            h = _gru_gates(_plus(w_ih @ xs[t], b_x), _plus(w_hh @ h, b_h), h, axis=0)
            outputs[t] = h
    else:
        # RNN and LSTM: one matmul per step, [W_ih b W_hh] @ [x_t; 1; h] (the bias as
        # the weight of a constant row of ones), so that a step is 2 nodes before the
        # cell and the weights' gradients collect in one (G*H, I+1+H) sum.
        bias = _sum_bias(b_ih, b_hh)
        w = [w_ih, w_hh] if bias is None else [w_ih, bias.reshape(-1, 1), w_hh]
        w_cat = ag.concatenate(w, axis=1)                             # (G*H, I+1+H)
        ones = [] if bias is None else [np.ones((1, batch), dtype=x.dtype)]
        if mode == "LSTM":   # one sigmoid for all 4 gates; the cell maps [h; c] -> [h'; c']
            n = c.shape[0]
            w_cat = w_cat * _lstm_scale(n, w_cat.dtype)
            state = ag.concatenate([np.zeros((n, batch), dtype=x.dtype), c], axis=0)
        for t in order:
            gates = w_cat @ ag.concatenate([xs[t]] + ones + [h], axis=0)  # (G*H, B)
            if mode == "LSTM":
                state = ag.ops.lstm_cell(ag.sigmoid(gates), state)    # (2H, B) = [h'; c']
                h = state[:n]
                if w_hr is not None:
                    h = w_hr @ h                                      # (P, B) projection
            else:
                h = _rnn_gates(gates, relu=mode == "RNN_RELU")
            outputs[t] = h
        if mode == "LSTM":
            c = state[n:]
    # Joined along the batch axis, (H, T*B) -> (H, T, B) -> (T, B, H): the gradient of
    # the (T, B, H) output maps back to (H, T*B) as a view (T and B stay adjacent),
    # where joining along axis 0 would need a strided copy of the whole sequence.
    out = ag.concatenate(outputs, axis=1).reshape((h.shape[0], steps, batch))
    out = out.transpose(1, 2, 0)                                      # (T, B, H) view
    return out, h.T, None if c is None else c.T
