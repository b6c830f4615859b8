"""Elementwise composite ops: built from the elementwise primitives (``ops/elementwise.py``,
where add, exp, relu... are declared), no VJP of their own.

Each is declared in one block by ``defcomposite``: its public function, Tensor methods,
gradcheck cases and fuzz spec.

>>> x = ag.tensor([-1.0, 2.0], requires_grad=True)
>>> ag.abs(x)                # x * sign(x): the gradient at 0 is 0, as in PyTorch
tensor([1., 2.], grad_fn=<mul>)
"""
import numpy as np

from .. import ops as P
from ..dtypes import get_default_dtype
from ..ops.registry import defcomposite
from ..ops.spec import Case, Fuzz, unary_cases
from ..ops.coerce import as_tensor, binary, cast_to, constant, data_of, operand

# the elementwise primitives' public functions, which the composites here build on
add, sub, mul, div, neg = P.add.public, P.sub.public, P.mul.public, P.div.public, P.neg.public
exp, sqrt, where = P.exp.public, P.sqrt.public, P.where.public


@defcomposite(method=("abs", "__abs__"), cases=[Case(lambda x: abs(x), (2, 3),
                                                     domain="positive")],
              fuzz=Fuzz(np.abs))
def abs(x):  # noqa: A001
    """|x| = x * sign(x); the gradient at 0 is 0, as in PyTorch."""
    x = as_tensor(x)
    return mul(x, P.sign.public(x))


@defcomposite(method=True, cases=unary_cases(), fuzz=Fuzz(np.square))
def square(x):
    x = as_tensor(x)
    return mul(x, x)


def _clip_reference(x, min=None, max=None):  # noqa: A002
    """PyTorch's clamp: min(max(x, lo), hi) (hi wins when lo > hi)."""
    if min is None and max is None:
        raise ValueError("clip")
    out = x if min is None else np.where(x < min, min, x)
    return out if max is None else np.where(out > max, max, out)


@defcomposite(method=True, aliases=("clamp",),
              cases=[Case(lambda x: clip(x, -0.5, 0.5), (2, 3), domain="unit")],
              fuzz=Fuzz(_clip_reference, args="clip"))
def clip(x, min=None, max=None):  # noqa: A002 - NumPy/PyTorch names
    """Clamp to [min, max]; the gradient passes where min <= x <= max (PyTorch's rule)."""
    x = as_tensor(x)
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    if x.data.dtype.kind in "iub" and (isinstance(min, float) or isinstance(max, float)):
        x = astype(x, get_default_dtype())     # int tensor, float bound: default float
    out = x
    if min is not None:             # min first, then max: max wins if min > max (PyTorch)
        lo = operand(min, x)
        out = where(less(out, lo), lo, out)
    if max is not None:
        hi = operand(max, x)
        out = where(greater(out, hi), hi, out)
    return out


clamp = clip


def _exact(a, b):
    """Integer/bool operands: no gradient, so the exact NumPy result (no float tie value)."""
    return data_of(a).dtype.kind in "iub" and data_of(b).dtype.kind in "iub"


def _tie_or_nan(ta, tb):
    """Where neither a < b nor a > b: the tie value (each side gets half the gradient)
    if a == b, else NaN (a NaN operand) with the whole gradient to both, as PyTorch."""
    tie_value = add(mul(ta, 0.5), mul(tb, 0.5))     # (a+b)/2 would overflow at ±3e38
    with np.errstate(over="ignore"):    # a + b of equal huge values: not selected there
        unordered = add(ta, tb)
    return where(equal(ta, tb), tie_value, unordered)


def _select(a, b, first, second):
    """a where first(a, b), b where second(a, b), else the tie value or NaN."""
    ta, tb = as_tensor(a), as_tensor(b)
    return where(first(ta, tb), ta, where(second(ta, tb), tb, _tie_or_nan(ta, tb)))


@defcomposite(method=True, cases=[Case(lambda a, b: maximum(a, b), (2, 3), (2, 3))],
              fuzz=Fuzz(np.maximum, args="two"))
def maximum(a, b):
    """Elementwise max; at ties each side gets half the gradient (as in PyTorch)."""
    a, b = binary(a, b)
    if _exact(a, b):
        return _compare(np.maximum)(a, b)
    return _select(a, b, greater, less)


@defcomposite(method=True, cases=[Case(lambda a, b: minimum(a, b), (2, 3), (2, 3))],
              fuzz=Fuzz(np.minimum, args="two"))
def minimum(a, b):
    """Elementwise min; at ties each side gets half the gradient (as in PyTorch)."""
    a, b = binary(a, b)
    if _exact(a, b):
        return _compare(np.minimum)(a, b)
    return _select(a, b, less, greater)


@defcomposite(method=("astype", "to"), fuzz=Fuzz(lambda x, d: x.astype(d), args="astype"))
def astype(x, dtype):
    """Cast to ``dtype``; casting to a non-float dtype cuts the gradient."""
    return cast_to(as_tensor(x), dtype)


def _compare(ufunc):
    def fn(a, b):
        a, b = binary(a, b)
        try:
            return constant(ufunc(data_of(a), data_of(b)))
        except (ValueError, TypeError) as err:
            raise type(err)(f"{ufunc.__name__}: cannot compare shapes {np.shape(data_of(a))} "
                            f"and {np.shape(data_of(b))}: {err}") from None
    fn.__name__ = ufunc.__name__
    fn.__doc__ = f"Elementwise {ufunc.__name__} (a boolean tensor, no gradient)."
    return fn


def _declare_comparison(ufunc, operator_name):
    return defcomposite(ufunc.__name__, method=(operator_name,),
                        fuzz=Fuzz(ufunc, args="two"))(_compare(ufunc))


less = _declare_comparison(np.less, "__lt__")
less_equal = _declare_comparison(np.less_equal, "__le__")
greater = _declare_comparison(np.greater, "__gt__")
greater_equal = _declare_comparison(np.greater_equal, "__ge__")
equal = _declare_comparison(np.equal, "__eq__")
not_equal = _declare_comparison(np.not_equal, "__ne__")
logical_and = _declare_comparison(np.logical_and, "__and__")
logical_or = _declare_comparison(np.logical_or, "__or__")


@defcomposite(method=("__invert__",), fuzz=Fuzz(np.logical_not))
def logical_not(x):
    return constant(np.logical_not(data_of(x)))


@defcomposite(method=True, fuzz=Fuzz(np.isnan))
def isnan(x):
    return constant(np.isnan(data_of(x)))


@defcomposite(method=True, fuzz=Fuzz(np.isinf))
def isinf(x):
    return constant(np.isinf(data_of(x)))


@defcomposite(fuzz=Fuzz(np.isfinite))
def isfinite(x):
    return constant(np.isfinite(data_of(x)))
