"""Composite reductions (NumPy names; ``dim=``/``keepdim=`` accepted as PyTorch aliases).

``sum``, ``max`` (amax), ``logsumexp`` and ``log_softmax`` are primitives, declared in
``ops/reduce.py``; mean, var, std, min, softmax are composed from them, and argmax,
argmin, any, all give tensors without a gradient.
"""
import numpy as np

from .. import ops as P
from ..dtypes import get_default_dtype
from ..ops import references
from ..ops.axes import normalize_axis, normalize_one_axis
from ..ops.coerce import as_tensor, call, constant
from ..ops.reduce import check_nonempty, reduce_args
from ..ops.registry import defcomposite
from ..ops.spec import Fuzz
from .math import astype, div, equal, exp, mul, neg, sqrt, sub, where

__all__ = ["mean", "var", "std", "min", "amin", "softmax", "argmax", "argmin", "any",
           "all"]

# the reduction primitive that softmax builds on (its public function)
log_softmax = P.log_softmax.public


def _count(x, axis):
    if axis is None:
        return x.data.size
    return int(np.prod([x.shape[a] for a in axis]))


@defcomposite(method=True,
              fuzz=Fuzz(np.mean, args="reduce", floats_in=True, zero_d_axis=True))
def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Arithmetic mean: sum / count."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "mean")
    if x.data.dtype.kind in "iub":
        x = astype(x, get_default_dtype())
    total = call(P.sum, x, axis=axis, keepdims=keepdims)
    n = _count(x, axis)
    if n == 0:      # the mean of nothing is NaN (as in PyTorch), without a 0/0 warning
        return mul(total, np.nan)
    return div(total, n)


@defcomposite(method=True,
              fuzz=Fuzz(np.var, args="reduce_ddof", floats_in=True, zero_d_axis=True))
def var(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=False, correction=None):
    """Variance, sum((x - mean)²) / (n - ddof); ``ddof=0`` by default as in NumPy."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "var")
    if correction is not None:
        ddof = correction
    if x.data.dtype.kind in "iub":
        x = astype(x, get_default_dtype())
    centered = sub(x, mean(x, axis=axis, keepdims=True))
    total = call(P.sum, mul(centered, centered), axis=axis, keepdims=keepdims)
    if _count(x, axis) == 0:    # the variance of nothing is NaN, without a 0/0 warning
        return mul(total, np.nan)
    n = _count(x, axis) - ddof
    if n <= 0:      # no degrees of freedom: total/0 (inf, or NaN for 0), as NumPy/PyTorch
        return mul(total, np.inf)
    return div(total, n)


@defcomposite(method=True,
              fuzz=Fuzz(np.std, args="reduce_ddof", floats_in=True, zero_d_axis=True))
def std(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=False, correction=None):
    """Standard deviation: sqrt(var). Where the spread is zero the gradient is 0, as in
    PyTorch (not d sqrt(v)/dv = 1/(2*0) = inf times d var/dx = 0, which is NaN)."""
    v = var(x, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction)
    flat = equal(v, 0)
    return where(flat, 0, sqrt(where(flat, 1, v)))


@defcomposite(method=True, aliases=("amin",),
              fuzz=Fuzz(references.amin, args="reduce", zero_d_axis=True))
def min(x, axis=None, keepdims=False, *, dim=None, keepdim=False):  # noqa: A001
    """Smallest value over ``axis``: -max(-x)."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "min")
    check_nonempty(x, axis, "min")
    if x.data.dtype.kind in "iub":      # no gradient; -x would overflow at the int minimum
        return constant(np.min(x.data, axis=axis, keepdims=keepdims))
    return neg(call(P.amax, neg(x), axis=axis, keepdims=keepdims))


amin = min


@defcomposite(method=True,
              fuzz=Fuzz("scipy.special:softmax", args="one_axis", floats_in=True,
                        zero_d_axis=True))
def softmax(x, axis=-1, *, dim=None):
    """exp(log_softmax(x)) along one axis (default: the last)."""
    x = as_tensor(x)
    normalize_one_axis(axis if dim is None else dim, x.ndim, "softmax")   # names softmax
    return exp(log_softmax(x, axis, dim=dim))


def _arg_reduce(fn, opname, x, axis, keepdims):
    """argmax/argmin: one int axis (or None: the flat index); empty tensors refused."""
    data = as_tensor(x).data
    if axis is not None:
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{opname}: axis must be an int or None, got {axis!r}")
        axis = normalize_one_axis(int(axis), data.ndim, opname)
        if data.ndim == 0:
            axis = None
    if data.size == 0 and (axis is None or data.shape[axis] == 0):
        raise ValueError(f"{opname}: cannot take the {opname} of an empty tensor "
                         f"(shape {data.shape}) along axis {axis}")
    return constant(fn(data, axis=axis, keepdims=bool(keepdims)))


@defcomposite(method=True, fuzz=Fuzz(np.argmax, args="reduce", zero_d_axis=True))
def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the largest value (an int64 tensor, no gradient)."""
    return _arg_reduce(np.argmax, "argmax", x, axis if dim is None else dim,
                       keepdims or keepdim)


@defcomposite(method=True, fuzz=Fuzz(np.argmin, args="reduce", zero_d_axis=True))
def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Index of the smallest value (an int64 tensor, no gradient)."""
    return _arg_reduce(np.argmin, "argmin", x, axis if dim is None else dim,
                       keepdims or keepdim)


@defcomposite(method=True, fuzz=Fuzz(np.any, args="reduce", zero_d_axis=True))
def any(x, axis=None, keepdims=False):  # noqa: A001
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, "any")
    return constant(np.any(x.data, axis=axis, keepdims=keepdims))


@defcomposite(method=True, fuzz=Fuzz(np.all, args="reduce", zero_d_axis=True))
def all(x, axis=None, keepdims=False):  # noqa: A001
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, "all")
    return constant(np.all(x.data, axis=axis, keepdims=keepdims))

