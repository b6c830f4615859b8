"""Reductions: sum, max (amax), logsumexp, log_softmax (the stable ones are primitives);
NumPy names, with ``dim=``/``keepdim=`` accepted as PyTorch aliases.

Each block is the public function followed by its primitive. The public function
normalises ``axis`` (None or a sorted tuple of non-negative ints, ``axes.normalize_axis``),
so the VJPs can rebuild the keepdims shape directly.
"""
import numpy as np

from . import references
from .axes import normalize_axis, normalize_one_axis
from .coerce import as_float, as_tensor, call, cast_to
from .elementwise import exp, sub
from .registry import defprimitive
from .spec import Case, Fuzz
from .shape import broadcast_to, reshape

__all__ = ["sum", "amax", "logsumexp", "log_softmax", "keepdims_shape"]


def keepdims_shape(shape, axis):
    """``shape`` with the reduced axes kept as 1s."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _expand_back(g, x, axis, keepdims):
    """Reshape a reduced gradient to keepdims form (broadcasting does the rest)."""
    if keepdims:
        return g
    return reshape(g, shape=keepdims_shape(x.shape, axis))


def reduce_args(x, axis, keepdims, dim, keepdim, opname):
    """A reduction's arguments read: the Tensor, its normalised axes and keepdims."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, opname, dim)
    return x, axis, bool(keepdims or keepdim)


def check_nonempty(x, axis, opname):
    if x.data.size == 0:
        raise ValueError(f"{opname}: cannot reduce an empty tensor of shape {x.shape}")


def _sum_public(x, axis=None, keepdims=False, *, dim=None, keepdim=False, dtype=None):
    """Sum over ``axis`` (all axes by default)."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "sum")
    if dtype is not None:
        x = cast_to(x, dtype)
    elif x.data.dtype == bool:
        x = cast_to(x, np.int64)
    return call(sum, x, axis=axis, keepdims=keepdims)


def _sum_forward(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)   # np.sum without its ~1.5 µs wrapper


def _sum_vjp(g, out, x, axis=None, keepdims=False):
    return broadcast_to(_expand_back(g, x, axis, keepdims), shape=x.shape)


sum = defprimitive(  # noqa: A001 - the public name is `sum`
    "sum", _sum_forward,
    vjps=(_sum_vjp,),
    rules=("d sum(x)/dx_i = 1",),
    public=_sum_public, method=True, fuzz=Fuzz(np.sum, args="reduce", zero_d_axis=True),
    cases=[Case(lambda x: sum(x), (2, 3)),
           Case(lambda x: sum(x, axis=(1,)), (2, 3)),
           Case(lambda x: sum(x, axis=(0, 2), keepdims=True), (2, 3, 2)),
           Case(lambda x: sum(x), ())])


def _max_public(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """Largest value over ``axis`` (values only; ties share the gradient)."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "max")
    check_nonempty(x, axis, "max")
    return call(amax, x, axis=axis, keepdims=keepdims)


def _amax_forward(x, axis=None, keepdims=False):
    return np.amax(x, axis=axis, keepdims=keepdims)


def _amax_vjp(g, out, x, axis=None, keepdims=False):
    # Ties share the gradient evenly (as torch.amax does).
    mask = x == _expand_back(out, x, axis, keepdims)
    count = sum(mask, axis=axis, keepdims=True)
    return _expand_back(g, x, axis, keepdims) * mask / count


amax = defprimitive(
    "max", _amax_forward,
    vjps=(_amax_vjp,),
    rules=("d max(x)/dx_i = 1 where x_i is the max (ties share), else 0",),
    public=_max_public, method=True, aliases=("amax",),
    fuzz=Fuzz(references.amax, args="reduce", zero_d_axis=True),
    cases=[Case(lambda x: amax(x), (2, 3), domain="distinct"),
           Case(lambda x: amax(x, axis=(1,)), (3, 4), domain="distinct"),
           Case(lambda x: amax(x, axis=(0,), keepdims=True), (3, 2), domain="distinct")])


def _logsumexp_public(x, axis=None, keepdims=False, *, dim=None, keepdim=False):
    """log(sum(exp(x))) computed stably (shifted by the max)."""
    x, axis, keepdims = reduce_args(x, axis, keepdims, dim, keepdim, "logsumexp")
    return call(logsumexp, as_float(x), axis=axis, keepdims=keepdims)


def _logsumexp_forward(x, axis=None, keepdims=False):
    m = np.amax(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # an all -inf slice is -inf, as in PyTorch
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = out.reshape(()) if axis is None else np.squeeze(out, axis=axis)
    return out


def _logsumexp_vjp(g, out, x, axis=None, keepdims=False):
    return _expand_back(g, x, axis, keepdims) * exp(x - _expand_back(out, x, axis, keepdims))


logsumexp = defprimitive(
    "logsumexp", _logsumexp_forward,
    vjps=(_logsumexp_vjp,),
    rules=("d logsumexp(x)/dx = softmax(x)",),
    public=_logsumexp_public, method=True,
    fuzz=Fuzz(references.logsumexp, args="reduce", floats_in=True, zero_d_axis=True),
    cases=[Case(lambda x: logsumexp(x), (2, 3)),
           Case(lambda x: logsumexp(x, axis=(1,)), (2, 3)),
           Case(lambda x: logsumexp(x, axis=(0,), keepdims=True), (3, 2))])


def _log_softmax_public(x, axis=-1, *, dim=None):
    """x - logsumexp(x) along one axis (default: the last)."""
    x = as_float(as_tensor(x))
    axis = normalize_one_axis(axis if dim is None else dim, x.ndim, "log_softmax")
    if x.ndim == 0:
        return call(sub, x, x)
    return call(log_softmax, x, axis=axis)


# log_softmax calls the ufuncs' reductions, which np.amax and np.sum call after ~1.5 µs
# of argument handling each: a classifier's logits are small, so that was a tenth of
# the forward (the same reductions, bit for bit).

def _log_softmax_of_shifted(shifted, axis):
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_forward(x, axis):
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if np.isfinite(m).all():
        # Nothing can warn (exp of x - max is at most 1 and each sum at least 1): no
        # errstate, whose few µs matter for the small logits of a classifier.
        return _log_softmax_of_shifted(x - m, axis)
    # Only an all -inf row is unshifted; a +inf entry makes the row NaN (inf/inf), as in
    # PyTorch and SciPy, instead of a half-defined [-inf, nan].
    m = np.where(np.isneginf(m), 0, m)
    # An all -inf row (a query that may attend to nothing) is NaN, as in PyTorch; that is
    # the documented result, not a numerical accident, so NumPy is not asked to warn.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _log_softmax_of_shifted(x - m, axis)


def _log_softmax_vjp(g, out, x, axis):
    if isinstance(g, np.ndarray) and isinstance(out, np.ndarray):   # a plain backward:
        # exp's and sum's forwards called directly, without the primitives' dispatch
        return g - np.exp(out) * np.add.reduce(g, axis=(axis,), keepdims=True)
    return g - exp(out) * sum(g, axis=(axis,), keepdims=True)


log_softmax = defprimitive(
    "log_softmax", _log_softmax_forward,
    vjps=(_log_softmax_vjp,),
    rules=("d log_softmax(x)/dx: g - softmax(x) * sum(g)",),
    public=_log_softmax_public, method=True,
    fuzz=Fuzz(references.log_softmax, args="one_axis", floats_in=True, zero_d_axis=True),
    cases=[Case(lambda x: log_softmax(x, axis=1), (2, 3)),
           Case(lambda x: log_softmax(x, axis=0), (3, 2))])
