"""Activation modules: thin wrappers over ``nn.functional`` (PReLU holds a parameter)."""
import numpy as np

import autograd as ag
from .. import functional as F
from ..module import Module, Parameter

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
           "Mish", "Sigmoid", "Tanh", "Softplus", "Softsign", "LogSigmoid", "Hardtanh",
           "Hardsigmoid", "Hardswish", "Tanhshrink", "Threshold", "GLU", "Softmax",
           "LogSoftmax", "Softmin"]


class _Elementwise(Module):
    """An activation without options: ``forward(x) = _fn(x)``."""

    _fn = None

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input)


class _Simple(_Elementwise):
    """The same with PyTorch's ``inplace`` flag (kept for the repr; results are new)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Simple):
    """max(x, 0)."""
    _fn = staticmethod(F.relu)


class ReLU6(_Simple):
    """min(max(x, 0), 6)."""
    _fn = staticmethod(F.relu6)


class SELU(_Simple):
    _fn = staticmethod(F.selu)


class SiLU(_Simple):
    """x * sigmoid(x)."""
    _fn = staticmethod(F.silu)


class Mish(_Simple):
    _fn = staticmethod(F.mish)


class Hardsigmoid(_Simple):
    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Simple):
    _fn = staticmethod(F.hardswish)


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x))."""
    _fn = staticmethod(F.sigmoid)


class Tanh(_Elementwise):
    _fn = staticmethod(F.tanh)


class Softsign(_Elementwise):
    """x / (1 + |x|)."""
    _fn = staticmethod(F.softsign)


class LogSigmoid(_Elementwise):
    """log(sigmoid(x)) = -softplus(-x)."""
    _fn = staticmethod(F.logsigmoid)


class Tanhshrink(_Elementwise):
    """x - tanh(x)."""
    _fn = staticmethod(F.tanhshrink)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class PReLU(Module):
    """x if x > 0 else a * x with a learnable ``weight`` a of shape (num_parameters,)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        dtype = np.dtype(dtype or ag.get_default_dtype())
        self.weight = Parameter(np.full((num_parameters,), init, dtype=dtype))

    def forward(self, input):  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class CELU(ELU):
    def forward(self, input):  # noqa: A002
        return F.celu(input, self.alpha)


class GELU(Module):
    """x * Phi(x); ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (linear above ``threshold``)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val = min_val, max_val
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Threshold(Module):
    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value = threshold, value
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"


class GLU(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Softmax):
    def forward(self, input):  # noqa: A002
        return F.softmin(input, self.dim)


class LogSoftmax(Softmax):
    """x_i - logsumexp(x) along ``dim``."""

    def forward(self, input):  # noqa: A002
        return F.log_softmax(input, self.dim)
