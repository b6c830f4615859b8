"""Elementwise functions and operators, composed from the elementwise primitives.

>>> x = ag.tensor([-1.0, 2.0], requires_grad=True)
>>> ag.relu(x)                # a primitive: max(x, 0), gradient 1 where x > 0
"""
import numpy as np

from .. import ops as P
from ..dtypes import get_default_dtype
from ..ops.registry import apply
from ._common import NO_PARAMS, as_tensor, binary, call, constant, data_of, operand

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "sin", "cos",
           "tanh", "sigmoid", "softplus", "erf", "sign", "abs", "relu", "square", "clip",
           "clamp", "maximum", "minimum", "where", "astype", "less", "less_equal",
           "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or",
           "logical_not", "isnan", "isinf", "isfinite", "true_divide", "subtract",
           "multiply", "negative", "power"]


def add(a, b):
    return apply(P.add, binary(a, b), NO_PARAMS)


def sub(a, b):
    return apply(P.sub, binary(a, b), NO_PARAMS)


def mul(a, b):
    return apply(P.mul, binary(a, b), NO_PARAMS)


def div(a, b):
    a, b = binary(a, b)
    if data_of(a).dtype.kind in "iub" and data_of(b).dtype.kind in "iub":
        a, b = astype(as_tensor(a), _default()), astype(as_tensor(b), _default())
    return apply(P.div, (a, b), NO_PARAMS)


def pow(a, b):  # noqa: A001 - mirrors the operator
    return apply(P.power, binary(a, b), NO_PARAMS)


def neg(x):
    return apply(P.neg, (as_tensor(x),), NO_PARAMS)


def _default():
    return get_default_dtype()


def _unary(prim):
    def fn(x):
        x = as_tensor(x)
        if x.data.dtype.kind in "iub":   # like NumPy/PyTorch: ints become floats here
            x = astype(x, _default())
        return apply(prim, (x,), NO_PARAMS)
    fn.__name__ = prim.name
    fn.__doc__ = f"Elementwise {prim.name}; {prim.rules[0]}."
    return fn


exp = _unary(P.exp)
log = _unary(P.log)
sqrt = _unary(P.sqrt)
sin = _unary(P.sin)
cos = _unary(P.cos)
tanh = _unary(P.tanh)
sigmoid = _unary(P.sigmoid)
softplus = _unary(P.softplus)
erf = _unary(P.erf)


def sign(x):
    return apply(P.sign, (as_tensor(x),), NO_PARAMS)


def abs(x):  # noqa: A001
    """|x| = x * sign(x); the gradient at 0 is 0, as in PyTorch."""
    x = as_tensor(x)
    return mul(x, sign(x))


def relu(x):
    """max(x, 0); the gradient at 0 is 0 and NaN stays NaN, as in PyTorch."""
    return apply(P.relu, (as_tensor(x),), NO_PARAMS)


def square(x):
    x = as_tensor(x)
    return mul(x, x)


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


def maximum(a, b):
    """Elementwise max; at ties each side gets half the gradient (as in PyTorch)."""
    a, b = binary(a, b)
    if _exact(a, b):
        return _compare(np.maximum)(a, b)
    ta, tb = as_tensor(a), as_tensor(b)
    return where(greater(ta, tb), ta, where(less(ta, tb), tb, _tie_or_nan(ta, tb)))


def minimum(a, b):
    """Elementwise min; at ties each side gets half the gradient (as in PyTorch)."""
    a, b = binary(a, b)
    if _exact(a, b):
        return _compare(np.minimum)(a, b)
    ta, tb = as_tensor(a), as_tensor(b)
    return where(less(ta, tb), ta, where(greater(ta, tb), tb, _tie_or_nan(ta, tb)))


def where(condition, a, b):
    """``a`` where ``condition`` else ``b``; the condition gets no gradient."""
    cond = data_of(condition)
    cond = np.asarray(cond)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    a, b = binary(a, b)
    return apply(P.where, (cond, a, b), NO_PARAMS)


def astype(x, dtype):
    """Cast to ``dtype``; casting to a non-float dtype cuts the gradient."""
    x = as_tensor(x)
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    return call(P.cast, x, dtype=dtype)


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


less = _compare(np.less)
less_equal = _compare(np.less_equal)
greater = _compare(np.greater)
greater_equal = _compare(np.greater_equal)
equal = _compare(np.equal)
not_equal = _compare(np.not_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)


def logical_not(x):
    return constant(np.logical_not(data_of(x)))


def isnan(x):
    return constant(np.isnan(data_of(x)))


def isinf(x):
    return constant(np.isinf(data_of(x)))


def isfinite(x):
    return constant(np.isfinite(data_of(x)))


# NumPy spellings
true_divide = div
subtract = sub
multiply = mul
negative = neg
power = pow
