"""Reductions: sum, amax, logsumexp, log_softmax (the stable ones are primitives).

``axis`` arrives normalised by ``autograd.functions`` (None or a tuple of
non-negative ints), so the VJPs can rebuild the keepdims shape directly.
"""
import numpy as np

from .elementwise import exp
from .registry import defprimitive
from .spec import Case
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


def _sum_forward(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)   # np.sum without its ~1.5 µs wrapper


def _sum_vjp(g, out, x, axis=None, keepdims=False):
    return broadcast_to(_expand_back(g, x, axis, keepdims), shape=x.shape)


sum = defprimitive(  # noqa: A001 - the public name is `sum`
    "sum", _sum_forward,
    vjps=(_sum_vjp,),
    rules=("d sum(x)/dx_i = 1",),
    cases=[Case(lambda x: sum(x), (2, 3)),
           Case(lambda x: sum(x, axis=(1,)), (2, 3)),
           Case(lambda x: sum(x, axis=(0, 2), keepdims=True), (2, 3, 2)),
           Case(lambda x: sum(x), ())])


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
    cases=[Case(lambda x: amax(x), (2, 3), domain="distinct"),
           Case(lambda x: amax(x, axis=(1,)), (3, 4), domain="distinct"),
           Case(lambda x: amax(x, axis=(0,), keepdims=True), (3, 2), domain="distinct")])


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
    cases=[Case(lambda x: logsumexp(x), (2, 3)),
           Case(lambda x: logsumexp(x, axis=(1,)), (2, 3)),
           Case(lambda x: logsumexp(x, axis=(0,), keepdims=True), (3, 2))])


def _log_softmax_of_shifted(shifted, axis):
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _log_softmax_forward(x, axis):
    m = np.amax(x, axis=axis, keepdims=True)
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
    return g - exp(out) * sum(g, axis=(axis,), keepdims=True)


log_softmax = defprimitive(
    "log_softmax", _log_softmax_forward,
    vjps=(_log_softmax_vjp,),
    rules=("d log_softmax(x)/dx: g - softmax(x) * sum(g)",),
    cases=[Case(lambda x: log_softmax(x, axis=1), (2, 3)),
           Case(lambda x: log_softmax(x, axis=0), (3, 2))])
