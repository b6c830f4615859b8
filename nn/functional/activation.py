"""Activation functions, composed of autograd ops (PyTorch's names and formulas).

Where a formula has a branch, the unused branch is computed on a clamped input so
that it can never produce inf/nan that would leak into the gradient (0 * inf).

``inplace=True`` (and the ``relu_``-style names) modify the input itself, with
PyTorch's checks (``autograd.inplace.rebase_``): refused on a leaf that requires grad,
and ``backward`` refuses when the op that made the input needs its output.

>>> import autograd as ag, nn.functional as F
>>> F.gelu(ag.tensor([-1.0, 0.0, 1.0]))          # x * Phi(x), the exact erf form
tensor([-0.1587,  0.    ,  0.8413])
>>> F.softplus(ag.tensor([0.0, 30.0]), beta=2)   # log(1 + exp(2x)) / 2; x above threshold
tensor([ 0.3466, 30.    ])
"""
import functools
import math
import warnings

import numpy as np

import autograd as ag
from autograd.inplace import rebase_

__all__ = ["relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu",
           "mish", "sigmoid", "tanh", "softplus", "softsign", "logsigmoid", "hardtanh",
           "hardsigmoid", "hardswish", "tanhshrink", "softmax", "log_softmax", "softmin",
           "threshold", "glu", "hardshrink", "softshrink", "rrelu", "gumbel_softmax", "relu_",
           "elu_",
           "leaky_relu_", "hardtanh_", "rrelu_", "selu_", "celu_", "threshold_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _t(x):
    return ag.as_tensor(x)


def _apply(input, inplace, fn, opname):  # noqa: A002
    """``fn(x)``, or with ``inplace`` x itself set to it (``opname`` names the write)."""
    x = _t(input)
    return rebase_(x, fn, opname) if inplace else fn(x)


def relu(input, inplace=False):  # noqa: A002 - PyTorch's argument names throughout
    """max(x, 0); the gradient at 0 is 0."""
    return _apply(input, inplace, ag.relu, "relu_")


def relu6(input, inplace=False):  # noqa: A002
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _threshold(x, threshold, value):
    return ag.where(x.data <= threshold, value, x)


def threshold(input, threshold, value, inplace=False):  # noqa: A002
    """x where x > threshold, else ``value`` (NaN stays NaN, as in PyTorch)."""
    fn = functools.partial(_threshold, threshold=threshold, value=value)
    return _apply(input, inplace, fn, "threshold_")


def _leaky_relu(x, negative_slope):
    return ag.where(x.data > 0, x, x * negative_slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x if x > 0 else negative_slope * x."""
    fn = functools.partial(_leaky_relu, negative_slope=negative_slope)
    return _apply(input, inplace, fn, "leaky_relu_")


def _rrelu_slopes(x, lower, upper, training):
    """RReLU's slope per element: U(lower, upper) draws while training, else the mean."""
    if training:
        return ag.get_rng().uniform(lower, upper, size=x.shape).astype(x.dtype)
    return (lower + upper) / 2


def _rrelu(x, slopes):
    return ag.where(x.data >= 0, x, x * slopes)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):  # noqa: A002
    """Randomized leaky ReLU: x if x >= 0 else a x, with a ~ U(lower, upper) drawn per
    element while ``training`` (from ``ag.get_rng()``) and a = (lower + upper)/2 else."""
    x = _t(input)
    slopes = _rrelu_slopes(x, lower, upper, training)
    return _apply(x, inplace, functools.partial(_rrelu, slopes=slopes), "rrelu_")


def hardshrink(input, lambd=0.5):  # noqa: A002
    """x where |x| > lambd, else 0."""
    x = _t(input)
    return ag.where(np.abs(x.data) > lambd, x, 0.0)


def softshrink(input, lambd=0.5):  # noqa: A002
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    x = _t(input)
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be greater or equal to 0, got {lambd}")
    return ag.where(x.data > lambd, x - lambd, ag.where(x.data < -lambd, x + lambd, 0.0))


def prelu(input, weight):  # noqa: A002
    """x if x > 0 else a * x, with one learnable slope per channel (dim 1) or a shared one.

    ``weight`` has shape (1,) or (C,) where C = input.shape[1].
    """
    x = _t(input)
    a = weight if isinstance(weight, ag.Tensor) else ag.Tensor(
        ag.dtypes.as_array(weight, x.dtype if x.dtype.kind == "f" else None))
    if a.size != 1:
        if x.ndim < 2 or x.shape[1] != a.size:
            raise ValueError(
                f"prelu: weight has {a.size} slopes but the input of shape {x.shape} has "
                f"{x.shape[1] if x.ndim >= 2 else 1} channels (dim 1)")
        a = ag.reshape(a, (a.size,) + (1,) * (x.ndim - 2))  # (C, 1, ..., 1)
    elif a.ndim > 0:
        a = ag.reshape(a, ())
    return ag.where(x.data > 0, x, a * x)


def _expm1_neg(x):
    """exp(min(x, 0)) - 1: the negative branch of elu, safe for large positive x."""
    safe = ag.where(x.data > 0, 0.0, x)
    return ag.exp(safe) - 1.0


def _elu(x, alpha):
    return ag.where(x.data > 0, x, _expm1_neg(x) * alpha)


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _apply(input, inplace, functools.partial(_elu, alpha=alpha), "elu_")


def _selu(x):
    return _elu(x, _SELU_ALPHA) * _SELU_SCALE


def selu(input, inplace=False):  # noqa: A002
    """scale * elu(x, alpha) with PyTorch's fixed scale and alpha."""
    return _apply(input, inplace, _selu, "selu_")


def _celu(x, alpha):
    return ag.where(x.data > 0, x, _expm1_neg(x / alpha) * alpha)


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _apply(input, inplace, functools.partial(_celu, alpha=alpha), "celu_")


def gelu(input, approximate="none"):  # noqa: A002
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); with ``approximate='tanh'``
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))."""
    x = _t(input)
    if approximate == "none":
        return 0.5 * x * (1.0 + ag.erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        xb = ag.clip(x, -10.0, 10.0)      # tanh is ±1 beyond; x³ of huge x would overflow
        inner = (xb + 0.044715 * xb * xb * xb) * math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + ag.tanh(inner))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _silu(x):
    return x * ag.sigmoid(x)


def silu(input, inplace=False):  # noqa: A002
    """x * sigmoid(x) (a.k.a. swish)."""
    return _apply(input, inplace, _silu, "silu_")


def _mish(x):
    return x * ag.tanh(ag.softplus(x))


def mish(input, inplace=False):  # noqa: A002
    """x * tanh(softplus(x))."""
    return _apply(input, inplace, _mish, "mish_")


def sigmoid(input):  # noqa: A002
    """1 / (1 + exp(-x))."""
    return ag.sigmoid(_t(input))


def tanh(input):  # noqa: A002
    return ag.tanh(_t(input))


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    x = _t(input)
    with np.errstate(over="ignore"):        # only tests; an overflowing beta x is not used
        bx = x.data * beta
    above, tiny = bx > threshold, bx < -1e4  # tiny: exp(beta x) < 1e-4000, 0 in any dtype
    xs = ag.where(above | tiny, 0.0, x)     # the smooth branch only where it is used
    smooth = ag.softplus(xs * beta) / beta if beta != 1 else ag.softplus(xs)
    return ag.where(above, x, ag.where(tiny, 0.0, smooth))


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    x = _t(input)
    return x / (1.0 + ag.abs(x))


def logsigmoid(input):  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), computed stably."""
    return -ag.softplus(-_t(input))


def _hardtanh(x, min_val, max_val):
    inside = (x.data > min_val) & (x.data < max_val)
    return ag.where(inside, x, ag.clip(x.detach(), min_val, max_val))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """clip(x, min_val, max_val); the gradient is 1 strictly inside, 0 outside and at
    the ends (PyTorch's rule)."""
    fn = functools.partial(_hardtanh, min_val=min_val, max_val=max_val)
    return _apply(input, inplace, fn, "hardtanh_")


def _hardsigmoid(x):        # NaN fails both tests and stays NaN (as in PyTorch)
    return ag.where(x.data <= -3.0, 0.0, ag.where(x.data >= 3.0, 1.0, x / 6.0 + 0.5))


def hardsigmoid(input, inplace=False):  # noqa: A002
    """relu6(x + 3) / 6."""
    return _apply(input, inplace, _hardsigmoid, "hardsigmoid_")


def _hardswish(x):
    xm = ag.where((x.data <= -3.0) | (x.data >= 3.0), 0.0, x)   # no x² overflow; NaN kept
    mid = xm * (xm + 3.0) / 6.0
    return ag.where(x.data <= -3.0, 0.0, ag.where(x.data >= 3.0, x, mid))


def hardswish(input, inplace=False):  # noqa: A002
    """x * relu6(x + 3) / 6."""
    return _apply(input, inplace, _hardswish, "hardswish_")


def tanhshrink(input):  # noqa: A002
    x = _t(input)
    return x - ag.tanh(x)


def glu(input, dim=-1):  # noqa: A002
    """a * sigmoid(b) where (a, b) are the two halves of ``input`` along ``dim``."""
    x = _t(input)
    if x.shape[dim] % 2:
        raise ValueError(
            f"glu: halving dimension {dim} of shape {x.shape} needs an even size")
    a, b = ag.split(x, 2, axis=dim)
    return a * ag.sigmoid(b)


def _softmax_dim(name, ndim, dim):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    x = _t(input) if dtype is None else ag.astype(_t(input), dtype)
    return ag.softmax(x, axis=_softmax_dim("softmax", x.ndim, dim))


def softmin(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """softmax(-x)."""
    x = _t(input) if dtype is None else ag.astype(_t(input), dtype)
    return ag.softmax(-x, axis=_softmax_dim("softmin", x.ndim, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """x_i - logsumexp(x) along ``dim``."""
    x = _t(input) if dtype is None else ag.astype(_t(input), dtype)
    return ag.log_softmax(x, axis=_softmax_dim("log_softmax", x.ndim, dim))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn from ``ag.get_rng()``;
    ``hard`` returns the one-hot of its argmax with the soft sample's gradient
    (straight-through: y_hard - y_soft.detach() + y_soft). ``eps`` is unused, as in
    PyTorch."""
    x = _t(logits)
    gumbels = -np.log(ag.get_rng().exponential(size=x.shape)).astype(x.dtype)
    y_soft = ag.softmax((x + gumbels) / tau, axis=dim)
    if not hard:
        return y_soft
    axis = dim % x.ndim
    index = np.expand_dims(np.argmax(y_soft.data, axis=axis), axis)
    y_hard = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(y_hard, index, 1.0, axis=axis)
    return y_hard - y_soft.detach() + y_soft


# PyTorch's in-place spellings: F.relu_(x) is F.relu(x, inplace=True), and so on.
def relu_(input):  # noqa: A002
    return relu(input, inplace=True)


def elu_(input, alpha=1.0):  # noqa: A002
    return elu(input, alpha, inplace=True)


def leaky_relu_(input, negative_slope=0.01):  # noqa: A002
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)


def selu_(input):  # noqa: A002
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):  # noqa: A002
    return celu(input, alpha, inplace=True)


def threshold_(input, threshold, value):  # noqa: A002
    return _apply(input, True, functools.partial(_threshold, threshold=threshold,
                                                 value=value), "threshold_")
