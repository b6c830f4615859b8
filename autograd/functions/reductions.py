"""Reductions (NumPy names; ``dim=``/``keepdim=`` accepted as PyTorch aliases).

``sum``, ``max`` (amax), ``logsumexp`` and ``log_softmax`` are primitives; mean, var,
std, min, softmax are composed from them.
"""
import builtins

import numpy as np

from .. import ops as P
from ..dtypes import get_default_dtype
from ._common import as_tensor, call, constant, normalize_axis, normalize_one_axis
from .math import astype, div, exp, mul, neg, sqrt, sub

__all__ = ["sum", "mean", "var", "std", "max", "min", "amax", "amin", "logsumexp",
           "softmax", "log_softmax", "argmax", "argmin", "any", "all"]


def _reduce_args(x, axis, keepdims, dim, keepdim, opname):
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, opname, dim)
    return x, axis, bool(keepdims or keepdim)


def _count(x, axis):
    if axis is None:
        return x.data.size
    return int(np.prod([x.shape[a] for a in axis]))


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=False, dtype=None):  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "sum")
    if dtype is not None:
        x = astype(x, dtype)
    elif x.data.dtype == bool:
        x = astype(x, np.int64)
    return call(P.sum, x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Arithmetic mean: sum / count."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "mean")
    if x.data.dtype.kind in "iub":
        x = astype(x, get_default_dtype())
    return div(call(P.sum, x, axis=axis, keepdims=keepdims), _count(x, axis))


def var(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=False, correction=None):
    """Variance, sum((x - mean)²) / (n - ddof); ``ddof=0`` by default as in NumPy."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "var")
    if correction is not None:
        ddof = correction
    if x.data.dtype.kind in "iub":
        x = astype(x, get_default_dtype())
    centered = sub(x, mean(x, axis=axis, keepdims=True))
    total = call(P.sum, mul(centered, centered), axis=axis, keepdims=keepdims)
    return div(total, builtins.max(_count(x, axis) - ddof, 0))


def std(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=False, correction=None):
    """Standard deviation: sqrt(var)."""
    return sqrt(var(x, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction))


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=False):  # noqa: A001
    """Largest value over ``axis`` (values only; ties share the gradient)."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "max")
    _check_nonempty(x, axis, "max")
    return call(P.amax, x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=False):  # noqa: A001
    """Smallest value over ``axis``: -max(-x)."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "min")
    _check_nonempty(x, axis, "min")
    return neg(call(P.amax, neg(x), axis=axis, keepdims=keepdims))


amax = max
amin = min


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """log(sum(exp(x))) computed stably (shifted by the max)."""
    x, axis, keepdims = _reduce_args(x, axis, keepdims, dim, keepdim, "logsumexp")
    return call(P.logsumexp, x, axis=axis, keepdims=keepdims)


def log_softmax(x, axis=-1, *, dim=None):
    """x - logsumexp(x) along one axis (default: the last)."""
    x = as_tensor(x)
    axis = normalize_one_axis(axis if dim is None else dim, x.ndim, "log_softmax")
    if x.ndim == 0:
        return sub(x, x)
    return call(P.log_softmax, x, axis=axis)


def softmax(x, axis=-1, *, dim=None):
    """exp(log_softmax(x)) along one axis (default: the last)."""
    return exp(log_softmax(x, axis, dim=dim))


def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the largest value (an int64 tensor, no gradient)."""
    data = as_tensor(x).data
    axis = axis if dim is None else dim
    return constant(np.argmax(data, axis=axis, keepdims=bool(keepdims or keepdim)))


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the smallest value (an int64 tensor, no gradient)."""
    data = as_tensor(x).data
    axis = axis if dim is None else dim
    return constant(np.argmin(data, axis=axis, keepdims=bool(keepdims or keepdim)))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return constant(np.any(as_tensor(x).data, axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):  # noqa: A001
    return constant(np.all(as_tensor(x).data, axis=axis, keepdims=keepdims))


def _check_nonempty(x, axis, opname):
    if x.data.size == 0:
        raise ValueError(f"{opname}: cannot reduce an empty tensor of shape {x.shape}")
