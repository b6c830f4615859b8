"""Recurrent cells and the time loop, composed of autograd ops (PyTorch's gate order).

With input projections ``a_x = x W_ih^T + b_ih`` and ``a_h = h W_hh^T + b_hh``:

* RNN:  ``h' = tanh(a_x + a_h)`` (or relu)
* LSTM: ``i, f, g, o = split(a_x + a_h, 4)``; ``c' = σ(f) c + σ(i) tanh(g)``;
  ``h' = σ(o) tanh(c')``
* GRU:  ``r = σ(a_x[r] + a_h[r])``, ``z = σ(a_x[z] + a_h[z])``,
  ``n = tanh(a_x[n] + r * a_h[n])`` (``b_hn`` sits inside ``r * (...)``),
  ``h' = (1 - z) n + z h``

``run_sequence`` transposes the weights and sums the biases once, then loops over
time; backprop through time is just the engine walking that unrolled graph.

Each step projects its own input slice ``x[t]``, rather than slicing one
``(T, B, G*H)`` projection of the whole sequence: the adjoint of a slice is a
zero-filled array of the sliced tensor's full shape, so T slices of a tensor that
needs a gradient cost O(T^2) in the backward pass. Slicing the input is free when it
needs no gradient (the usual first layer) and otherwise T times cheaper than slicing
the projection (I features instead of G*H). The state is carried as ``(1, B, H)`` so
the outputs are joined by one concatenate, with no reshape per step.

>>> import autograd as ag, nn.functional as F
>>> h = F.rnn_tanh_cell(ag.randn(3, 4), ag.zeros((3, 5)), ag.randn(5, 4), ag.randn(5, 5))
>>> h.shape
(3, 5)
"""
import autograd as ag

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "run_sequence"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _project(x, w_t, bias):
    """x W^T (+ b) with ``w_t = W^T`` (in, out) already transposed."""
    y = x @ w_t                                                       # (..., out)
    return y if bias is None else y + bias


def _sum_bias(b_ih, b_hh):
    """b_ih + b_hh (either may be None): added once per step instead of twice."""
    if b_ih is None or b_hh is None:
        return b_hh if b_ih is None else b_ih
    return b_ih + b_hh


def _rnn_step(x, h, w_ih_t, w_hh_t, bias, relu):
    a = _project(h, w_hh_t, bias) + x @ w_ih_t                        # (B, H)
    return ag.relu(a) if relu else ag.tanh(a)


def _lstm_step(x, h, c, w_ih_t, w_hh_t, bias, w_hr_t=None):
    gates = _project(h, w_hh_t, bias) + x @ w_ih_t                    # (B, 4H)
    i, f, g, o = ag.split(gates, 4, axis=-1)                          # 4 x (B, H)
    c_new = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
    h_new = ag.sigmoid(o) * ag.tanh(c_new)                            # (B, H)
    if w_hr_t is not None:
        h_new = h_new @ w_hr_t                                        # (B, P) projection
    return h_new, c_new


def _gru_step(x, h, w_ih_t, w_hh_t, b_ih, b_hh):
    x_r, x_z, x_n = ag.split(_project(x, w_ih_t, b_ih), 3, axis=-1)   # 3 x (B, H)
    h_r, h_z, h_n = ag.split(_project(h, w_hh_t, b_hh), 3, axis=-1)   # 3 x (B, H)
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
    return _rnn_step(x, h, w_ih.T, w_hh.T, _sum_bias(b_ih, b_hh), relu=False)


def rnn_relu_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with ReLU: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 1, "rnn_relu_cell")
    return _rnn_step(x, h, w_ih.T, w_hh.T, _sum_bias(b_ih, b_hh), relu=True)


def lstm_cell(x, state, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``state = (h, c)``; returns ``(h', c')`` (gate order i, f, g, o)."""
    x = ag.as_tensor(x)
    h, c = (ag.as_tensor(s) for s in state)
    _check_cell(x, h, w_ih, w_hh, 4, "lstm_cell")
    return _lstm_step(x, h, c, w_ih.T, w_hh.T, _sum_bias(b_ih, b_hh))


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gate order r, z, n; ``b_hn`` inside ``r * (h W_hn^T + b_hn)``)."""
    x, h = ag.as_tensor(x), ag.as_tensor(h)
    _check_cell(x, h, w_ih, w_hh, 3, "gru_cell")
    return _gru_step(x, h, w_ih.T, w_hh.T, b_ih, b_hh)


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
    # A constant input is sliced as a plain array: no node per step.
    xs = x if x.requires_grad else x.data
    w_ih_t, w_hh_t = w_ih.T, w_hh.T                                   # (I, G*H), (H, G*H)
    w_hr_t = None if w_hr is None else w_hr.T                         # (H, P)
    bias = None if mode == "GRU" else _sum_bias(b_ih, b_hh)           # (G*H,)
    h = h0.reshape((1,) + tuple(h0.shape))                            # (1, B, H)
    c = None if c0 is None else c0.reshape((1,) + tuple(c0.shape))    # (1, B, H)
    outputs = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        xt = xs[t:t + 1]                                              # (1, B, I)
        if mode == "LSTM":
            h, c = _lstm_step(xt, h, c, w_ih_t, w_hh_t, bias, w_hr_t)
        elif mode == "GRU":
            h = _gru_step(xt, h, w_ih_t, w_hh_t, b_ih, b_hh)
        else:
            h = _rnn_step(xt, h, w_ih_t, w_hh_t, bias, relu=mode == "RNN_RELU")
        outputs[t] = h
    h_t = h.reshape(tuple(h.shape[1:]))                               # (B, H)
    c_t = None if c is None else c.reshape(tuple(c.shape[1:]))
    return ag.concatenate(outputs, axis=0), h_t, c_t                  # (T, B, H)
