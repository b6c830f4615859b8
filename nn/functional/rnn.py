"""Recurrent cells and the time loop, composed of autograd ops (PyTorch's gate order).

With input projections ``a_x = x W_ih^T + b_ih`` and ``a_h = h W_hh^T + b_hh``:

* RNN:  ``h' = tanh(a_x + a_h)`` (or relu)
* LSTM: ``i, f, g, o = split(a_x + a_h, 4)``; ``c' = σ(f) c + σ(i) tanh(g)``;
  ``h' = σ(o) tanh(c')``
* GRU:  ``r = σ(a_x[r] + a_h[r])``, ``z = σ(a_x[z] + a_h[z])``,
  ``n = tanh(a_x[n] + r * a_h[n])`` (``b_hn`` sits inside ``r * (...)``),
  ``h' = (1 - z) n + z h``

``run_sequence`` computes ``a_x`` for every time step with one matmul, then loops
over time with only the hidden projection inside the loop; backprop through time is
just the engine walking that unrolled graph.

>>> import autograd as ag, nn.functional as F
>>> h = F.rnn_tanh_cell(ag.randn(3, 4), ag.zeros((3, 5)), ag.randn(5, 4), ag.randn(5, 5))
>>> h.shape
(3, 5)
"""
import autograd as ag

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "run_sequence"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _affine(x, weight, bias):
    """x W^T + b for x (..., in) and W (out, in)."""
    y = x @ weight.T                                                  # (..., out)
    return y if bias is None else y + bias


def _rnn_step(ax, h, w_hh, b_hh, relu):
    a = ax + _affine(h, w_hh, b_hh)                                   # (B, H)
    return ag.relu(a) if relu else ag.tanh(a)


def _lstm_step(ax, h, c, w_hh, b_hh, w_hr=None):
    gates = ax + _affine(h, w_hh, b_hh)                               # (B, 4H)
    i, f, g, o = ag.split(gates, 4, axis=-1)                          # 4 x (B, H)
    c_new = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
    h_new = ag.sigmoid(o) * ag.tanh(c_new)                            # (B, H)
    if w_hr is not None:
        h_new = h_new @ w_hr.T                                        # (B, P) projection
    return h_new, c_new


def _gru_step(ax, h, w_hh, b_hh):
    x_r, x_z, x_n = ag.split(ax, 3, axis=-1)                          # 3 x (B, H)
    h_r, h_z, h_n = ag.split(_affine(h, w_hh, b_hh), 3, axis=-1)      # 3 x (B, H)
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
    return _rnn_step(_affine(x, w_ih, b_ih), h, w_hh, b_hh, relu=False)


def rnn_relu_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with ReLU: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 1, "rnn_relu_cell")
    return _rnn_step(_affine(x, w_ih, b_ih), h, w_hh, b_hh, relu=True)


def lstm_cell(x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``state = (h, c)``; returns ``(h', c')`` (gate order i, f, g, o)."""
    x = ag.as_tensor(x)
    h, c = (ag.as_tensor(s) for s in state)
    _check_cell(x, h, w_ih, w_hh, 4, "lstm_cell")
    return _lstm_step(_affine(x, w_ih, b_ih), h, c, w_hh, b_hh)


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gate order r, z, n; ``b_hn`` inside ``r * (h W_hn^T + b_hn)``)."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 3, "gru_cell")
    return _gru_step(_affine(x, w_ih, b_ih), h, w_hh, b_hh)


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
    steps = x.shape[0]
    ax_all = _affine(x, w_ih, b_ih)                                   # (T, B, G*H), 1 matmul
    h, c = h0, c0
    outputs = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        ax = ax_all[t]                                                # (B, G*H)
        if mode == "LSTM":
            h, c = _lstm_step(ax, h, c, w_hh, b_hh, w_hr)
        elif mode == "GRU":
            h = _gru_step(ax, h, w_hh, b_hh)
        else:
            h = _rnn_step(ax, h, w_hh, b_hh, relu=mode == "RNN_RELU")
        outputs[t] = h
    return ag.stack(outputs, axis=0), h, c                            # (T, B, H)
