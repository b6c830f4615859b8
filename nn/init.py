"""Weight initialisation (``nn.init``), PyTorch's formulas and defaults.

Every function fills its tensor in place (no graph is recorded), returns it, and
draws from ``ag.get_rng()``, so ``ag.manual_seed(s)`` makes initialisation
reproducible::

    ag.manual_seed(0)
    w = nn.Parameter(ag.zeros((64, 32)))
    nn.init.kaiming_uniform_(w, nonlinearity="relu")   # U(-b, b), b = sqrt(6 / fan_in)

Fans of a weight of shape (out, in, *kernel): fan_in = in * prod(kernel),
fan_out = out * prod(kernel).
"""
import math
import warnings

import numpy as np

import autograd as ag
from autograd import Tensor

from .overwrite import overwrite_

from .parameter import Parameter

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "trunc_normal_", "orthogonal_", "dirac_", "sparse_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "sigmoid", "identity")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1, tanh: 5/3, relu: sqrt(2),
    leaky_relu: sqrt(2 / (1 + slope²)) (slope defaults to 0.01), selu: 3/4.
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _array(tensor, fn):
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"nn.init.{fn}: expected a Tensor or numpy array, "
                    f"got {type(tensor).__name__}")


def _fill(tensor, values, fn):
    """Write ``values`` into ``tensor`` in place (its dtype is kept)."""
    _array(tensor, fn)                  # checks the type
    return overwrite_(tensor, values)


def _calculate_fan_in_and_fan_out(tensor):
    shape = _array(tensor, "fan").shape
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 "
            f"dimensions (got shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _rng(generator):
    """``generator`` (an ``np.random.Generator``) or the shared one of ``ag.get_rng()``."""
    if generator is None:
        return ag.get_rng()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"nn.init: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    shape = _array(tensor, "uniform_").shape
    return _fill(tensor, _rng(generator).uniform(a, b, size=shape), "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std²)."""
    shape = _array(tensor, "normal_").shape
    return _fill(tensor, _rng(generator).normal(mean, std, size=shape), "normal_")


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std²) restricted to [a, b] (redrawing values outside)."""
    arr = _array(tensor, "trunc_normal_")
    rng = _rng(generator)
    out = rng.normal(mean, std, size=arr.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out, "trunc_normal_")


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    return _fill(tensor, val, "constant_")


def zeros_(tensor):
    return _fill(tensor, 0, "zeros_")


def ones_(tensor):
    return _fill(tensor, 1, "ones_")


def eye_(tensor):
    """Fill a 2-d tensor with the identity (ones on the diagonal)."""
    arr = _array(tensor, "eye_")
    if arr.ndim != 2:
        raise ValueError(f"eye_: only 2-d tensors are supported, got shape {arr.shape}")
    return _fill(tensor, np.eye(*arr.shape), "eye_")


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-d convolution weight (out, in, *kernel) with the Dirac delta:
    each group's first min(out/groups, in) channels pass through unchanged."""
    arr = _array(tensor, "dirac_")
    if arr.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3, 4 and 5-d tensors are supported, got shape "
                         f"{arr.shape}")
    if arr.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({arr.shape[0]}) must be divisible by groups "
                         f"({groups})")
    out_per_group = arr.shape[0] // groups
    values = np.zeros(arr.shape)
    centre = tuple(k // 2 for k in arr.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, arr.shape[1])):
            values[(g * out_per_group + d, d) + centre] = 1.0
    return _fill(tensor, values, "dirac_")


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill a 2-d tensor with N(0, std²) and zero ceil(sparsity * rows) random rows in
    each column (Martens' sparse initialisation)."""
    arr = _array(tensor, "sparse_")
    if arr.ndim != 2:
        raise ValueError(f"sparse_: only 2-d tensors are supported, got shape {arr.shape}")
    rows, cols = arr.shape
    rng = _rng(generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0.0
    return _fill(tensor, values, "sparse_")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu",
                     generator=None):
    """He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    if _array(tensor, "kaiming_uniform_").size == 0:
        return tensor
    fan = _fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu",
                    generator=None):
    """He normal: N(0, std²), std = gain / sqrt(fan)."""
    if _array(tensor, "kaiming_normal_").size == 0:
        return tensor
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian, times gain."""
    arr = _array(tensor, "orthogonal_")
    if arr.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported")
    rows, cols = arr.shape[0], arr.size // arr.shape[0]
    flat = _rng(generator).normal(size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(arr.shape), "orthogonal_")


def _new_parameter(*shape, dtype=None):
    """A zero-filled Parameter of ``shape`` in ``dtype`` (default: the default dtype), for
    a layer's constructor to create and then fill with one of the rules above."""
    return Parameter(np.zeros(shape, dtype=np.dtype(dtype or ag.get_default_dtype())))


def _default_weight_and_bias_(weight, bias):
    """PyTorch's default init of Linear and Conv layers, in place::

        W ~ kaiming_uniform_(a=√5) = U(-1/√fan_in, 1/√fan_in)
        b ~ U(-1/√fan_in, 1/√fan_in)          (when ``bias`` is not None)
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)


def _deprecated(fn):
    """PyTorch's old spelling without the trailing underscore: warns, then fills."""
    old = fn.__name__[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(f"nn.init.{old} is now deprecated in favor of nn.init.{fn.__name__}.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    deprecated.__name__ = old
    deprecated.__doc__ = f"Deprecated: use ``{fn.__name__}``."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
