"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the cells ``RNNCell``, ``LSTMCell``,
``GRUCell``, with PyTorch's parameter names, shapes, gate order and init.

For layer ``k`` and direction suffix ``""`` or ``"_reverse"`` the parameters are
``weight_ih_l{k}{suffix}`` (G*H, I_k), ``weight_hh_l{k}{suffix}`` (G*H, H),
``bias_ih_l{k}{suffix}`` and ``bias_hh_l{k}{suffix}`` (G*H,), where G is 1 (RNN),
4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n) and ``I_k`` is the input size for ``k = 0``
and ``D*H`` after that. An LSTM with ``proj_size=P`` also has ``weight_hr_l{k}{suffix}``
(P, H) projecting h to P features. All are drawn from U(-1/sqrt(H), 1/sqrt(H)).

>>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)
>>> out, (h_n, c_n) = lstm(ag.randn(3, 5, 10))
>>> out.shape, h_n.shape
((3, 5, 40), (4, 3, 20))
"""
import math

import autograd as ag
from .. import functional as F
from .. import init
from ..functional.rnn import GATES
from ..module import Module
from . import checks
from .device import check_device

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _reset_uniform(module):
    """PyTorch's recurrent init: every parameter ~ U(-1/√H, 1/√H), H = hidden_size."""
    bound = 1.0 / math.sqrt(module.hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


class RNNBase(Module):
    """The multi-layer, optionally bidirectional time loop shared by RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_device(device, name)
        checks.count(name, "input_size", input_size, minimum=0)
        checks.count(name, "hidden_size", hidden_size)
        checks.count(name, "num_layers", num_layers)
        if not (0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        if hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{name}: hidden_size and num_layers must be positive, got "
                             f"{hidden_size} and {num_layers}")
        if proj_size and (mode != "LSTM" or not 0 < proj_size < hidden_size):
            raise ValueError(f"{name}: proj_size must be 0, or (LSTM only) between 0 and "
                             f"hidden_size={hidden_size}, got {proj_size}")
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias = num_layers, bias
        self.batch_first, self.dropout = batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gates = GATES[mode] * hidden_size
        out_size = proj_size or hidden_size                           # features of h
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {f"weight_ih_l{layer}{suffix}": (gates, layer_in),
                          f"weight_hh_l{layer}{suffix}": (gates, out_size)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gates,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gates,)
                if proj_size:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for pname, shape in shapes.items():
                    setattr(self, pname, init._new_parameter(*shape, dtype=dtype))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def flatten_parameters(self):
        """A no-op, as in PyTorch on the CPU (there it packs the weights into one cuDNN
        buffer); kept so that ported code which calls it before ``forward`` runs."""
        return None

    @property
    def _all_weights(self):
        """Parameter names per layer and direction, e.g. ``[["weight_ih_l0", ...], ...]``."""
        per = len(self._flat_weights_names) // (self.num_layers
                                                * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [names[i:i + per] for i in range(0, len(names), per)]

    @property
    def all_weights(self):
        """The parameters per layer and direction (layer 0, its reverse, layer 1, ...):
        ``[w_ih, w_hh, b_ih, b_hh(, w_hr)]`` each, as ``torch.nn.LSTM.all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    def _weights(self, layer, suffix):
        get = getattr
        w_ih = get(self, f"weight_ih_l{layer}{suffix}")
        w_hh = get(self, f"weight_hh_l{layer}{suffix}")
        b_ih = get(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
        b_hh = get(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
        return w_ih, w_hh, b_ih, b_hh

    def _check_state(self, state, batch, what, size):
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, size)
        if state.shape != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {expected} "
                             f"(num_layers*directions, batch, hidden_size), got {state.shape}")

    def forward(self, input, hx=None):  # noqa: A002
        """``input`` (T, B, I) (``(B, T, I)`` if batch_first, or unbatched (T, I));
        returns ``(output (T, B, D*H), h_n (L*D, B, H))``, for LSTM
        ``(output, (h_n, c_n))``."""
        x = ag.as_tensor(input)
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        unbatched = x.ndim == 2
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input (seq, batch, {self.input_size}) "
                             f"(batch first if batch_first) or (seq, {self.input_size}), "
                             f"got shape {x.shape}")
        if unbatched:
            x = x.unsqueeze(1)                                        # (T, 1, I)
            if hx is not None:
                hx = tuple(ag.as_tensor(s).unsqueeze(1) for s in hx) if lstm \
                    else ag.as_tensor(hx).unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(1, 0, 2)                                  # (T, B, I)
        batch = x.shape[1]
        directions = 2 if self.bidirectional else 1
        h_size = self.proj_size or self.hidden_size
        if hx is None:
            states = self.num_layers * directions
            h0 = ag.zeros((states, batch, h_size), dtype=x.dtype)
            c0 = ag.zeros((states, batch, self.hidden_size), dtype=x.dtype) if lstm else None
        elif lstm:
            h0, c0 = (ag.as_tensor(s) for s in hx)
            self._check_state(h0, batch, "h_0", h_size)
            self._check_state(c0, batch, "c_0", self.hidden_size)
        else:
            h0, c0 = ag.as_tensor(hx), None
            self._check_state(h0, batch, "h_0", h_size)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[:directions]):
                k = layer * directions + d
                w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size else None
                out, h, c = F.run_sequence(self.mode, x, h0[k], c0[k] if lstm else None,
                                           *self._weights(layer, suffix), reverse=d == 1,
                                           w_hr=w_hr)
                outs.append(out)                                      # (T, B, H)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if directions == 1 else ag.concatenate(outs, axis=-1)  # (T, B, D*H)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, p=self.dropout, training=True)
        h_n = ag.stack(h_n, axis=0)                                   # (L*D, B, H)
        c_n = ag.stack(c_n, axis=0) if lstm else None
        if unbatched:
            x, h_n = x[:, 0], h_n[:, 0]                               # (T, D*H), (L*D, H)
            c_n = c_n[:, 0] if lstm else None
        elif self.batch_first:
            x = x.transpose(1, 0, 2)                                  # (B, T, D*H)
        return (x, (h_n, c_n)) if lstm else (x, h_n)

    def extra_repr(self):
        """PyTorch's: the sizes, then the options that differ from the defaults (the
        nonlinearity is not shown, as in PyTorch)."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM (gates i, f, g, o): ``c_t = f c_{t-1} + i g``, ``h_t = o tanh(c_t)``;
    ``forward(input, (h_0, c_0))`` returns ``(output, (h_n, c_n))``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """GRU (gates r, z, n): ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
    ``h_t = (1 - z) n + z h_{t-1}``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step; parameters ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H),
    ``bias_ih``, ``bias_hh`` (G*H,), all U(-1/sqrt(H), 1/sqrt(H))."""

    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, num_chunks=None, device=None,
                 dtype=None):
        super().__init__()
        check_device(device, type(self).__name__)
        checks.count(type(self).__name__, "input_size", input_size, minimum=0)
        checks.count(type(self).__name__, "hidden_size", hidden_size)
        if num_chunks is not None and num_chunks != self._gates:
            raise ValueError(f"{type(self).__name__}: num_chunks is {self._gates} for this "
                             f"cell, got {num_chunks}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = self._gates * hidden_size
        self.weight_ih = init._new_parameter(gates, input_size, dtype=dtype)
        self.weight_hh = init._new_parameter(gates, hidden_size, dtype=dtype)
        if bias:
            self.bias_ih = init._new_parameter(gates, dtype=dtype)
            self.bias_hh = init._new_parameter(gates, dtype=dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_uniform(self)

    def _prepare(self, input, hx):  # noqa: A002
        """Batch an unbatched (I,) input; zeros for a missing state."""
        x = ag.as_tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (batch, "
                             f"{self.input_size}) or ({self.input_size},), got {x.shape}")
        unbatched = x.ndim == 1
        if unbatched:
            x = x.unsqueeze(0)                                        # (1, I)
        if hx is None:
            zeros = ag.zeros((x.shape[0], self.hidden_size), dtype=x.dtype)
            hx = (zeros, zeros) if self._gates == 4 else zeros
        elif unbatched:
            hx = tuple(ag.as_tensor(s).unsqueeze(0) for s in hx) if self._gates == 4 \
                else ag.as_tensor(hx).unsqueeze(0)
        return x, hx, unbatched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        x, h, unbatched = self._prepare(input, hx)
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        h = cell(x, h, *self._weights())
        return h[0] if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c))`` returns ``(h', c')``."""

    _gates = 4

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        x, state, unbatched = self._prepare(input, hx)
        h, c = F.lstm_cell(x, state, *self._weights())
        return (h[0], c[0]) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): returns ``h'``."""

    _gates = 3

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):  # noqa: A002
        x, h, unbatched = self._prepare(input, hx)
        h = F.gru_cell(x, h, *self._weights())
        return h[0] if unbatched else h
