"""Activation modules: thin wrappers over ``nn.functional`` (PReLU holds a parameter)."""
import warnings

import numpy as np

import autograd as ag
from .. import functional as F
from ..module import Module, Parameter
from . import checks

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
           "Mish", "Sigmoid", "Tanh", "Softplus", "Softsign", "LogSigmoid", "Hardtanh",
           "Hardsigmoid", "Hardswish", "Tanhshrink", "Threshold", "GLU", "Softmax",
           "LogSoftmax", "Softmin", "Softmax2d", "Hardshrink", "Softshrink", "RReLU"]


class _Elementwise(Module):
    """An activation without options: ``forward(x) = _fn(x)``."""

    _fn = None

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input)


class _Simple(_Elementwise):
    """The same with PyTorch's ``inplace`` flag: True writes the result into the input."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


def _inplace_str(module):
    return ", inplace=True" if module.inplace else ""


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

    def extra_repr(self):       # PyTorch does not print the flag for this one
        return ""


class Hardswish(_Simple):
    _fn = staticmethod(F.hardswish)

    def extra_repr(self):       # PyTorch does not print the flag for this one
        return ""


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
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_str(self)}"


class PReLU(Module):
    """x if x > 0 else a * x with a learnable ``weight`` a of shape (num_parameters,)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = checks.count("PReLU", "num_parameters", num_parameters)
        self.init = checks.real("PReLU", "init", init)
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
        self.alpha = checks.real(type(self).__name__, "alpha", alpha)
        if self.alpha == 0 and isinstance(self, CELU):
            raise ValueError("CELU: alpha must not be 0 (CELU divides by alpha)")
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_str(self)}"


class CELU(ELU):
    def forward(self, input):  # noqa: A002
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """x * Phi(x); ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = checks.choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (linear above ``threshold``)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = checks.real("Softplus", "beta", beta)
        if beta == 0:
            raise ValueError("Softplus: beta must not be 0 (softplus divides by beta)")
        self.threshold = checks.real("Softplus", "threshold", threshold)

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """clip(x, min_val, max_val) (``min_value``/``max_value``: PyTorch's deprecated names)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        if min_value is not None or max_value is not None:
            warnings.warn("keyword argument `min_value`/`max_value` is deprecated and "
                          "renamed to `min_val`/`max_val`", FutureWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val, self.max_val = min_val, max_val
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self)}"


class Threshold(Module):
    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value = threshold, value
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self)}"


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
        if dim is not None:
            checks.count(type(self).__name__, "dim", dim, minimum=-(2 ** 62))
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


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) at every position."""

    def forward(self, input):  # noqa: A002
        x = ag.as_tensor(input)
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-d or 4-d input (C, H, W) or "
                             f"(N, C, H, W), got shape {x.shape}")
        return F.softmax(x, -3)


class _Shrink(Module):
    _fn = None

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """x where |x| > lambd, else 0."""
    _fn = staticmethod(F.hardshrink)


class Softshrink(_Shrink):
    """x ∓ lambd beyond ±lambd, else 0 (soft thresholding)."""
    _fn = staticmethod(F.softshrink)


class RReLU(Module):
    """Randomized leaky ReLU: negative inputs are scaled by a ~ U(lower, upper) per
    element while training, by (lower + upper)/2 in eval mode."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU: expected 0 <= lower <= upper, got lower={lower} and "
                             f"upper={upper}")
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):  # noqa: A002
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self)}"
