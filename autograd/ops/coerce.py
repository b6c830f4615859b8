"""How public functions turn their arguments into operands, and the public functions
that an op declaration generates from a coercion rule (``coerce=`` in ``defprimitive``).

A Python scalar next to a Tensor becomes a 0-d array of the Tensor's dtype (so
``x * 2`` keeps float32), an integer tensor meeting a Python float becomes the default
float dtype (PyTorch's rule), and anything else becomes an array.
"""
import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .registry import REGISTRY, apply

NO_PARAMS = {}


def operand(x, like=None):
    """A Tensor stays; a Python scalar becomes a 0-d array that won't upcast ``like``."""
    if isinstance(x, Tensor):
        return x
    if like is not None and (type(x) is float or type(x) is int or (
            isinstance(x, numbers.Number) and not isinstance(x, np.generic))):
        const = dtypes.scalar_operand(x, like.data.dtype)
        # Next to a NumPy scalar (a 0-d result) the constant is one too: scalar-scalar
        # arithmetic is NumPy's fast path, ~7x cheaper than scalar with 0-d array.
        return const[()] if isinstance(like.data, np.generic) else const
    return dtypes.as_array(x)


def binary(a, b):
    """Coerce the two operands of a binary op (at least one may be a Tensor)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return (a, b)
        return (_promote_for_scalar(a, b), operand(b, a))
    if isinstance(b, Tensor):
        return (operand(a, b), _promote_for_scalar(b, a))
    return (dtypes.as_array(a), dtypes.as_array(b))


def _promote_for_scalar(t, scalar):
    """An integer tensor meeting a Python float becomes the default float dtype
    (PyTorch's rule; NumPy would give float64)."""
    if isinstance(scalar, float) and t.data.dtype.kind in "iub":
        return apply(REGISTRY["cast"], (t,), {"dtype": dtypes.get_default_dtype()})
    return t


def as_tensor(x):
    """A Tensor for any input (no copy for Tensors and arrays)."""
    if isinstance(x, Tensor):
        return x
    out = Tensor.__new__(Tensor)
    out._init(dtypes.as_array(x))
    return out


def constant(data):
    """Wrap an array that never requires grad (comparisons, argmax, ...)."""
    out = Tensor.__new__(Tensor)
    out._init(np.asarray(data))
    return out


def data_of(x):
    return x.data if isinstance(x, Tensor) else x


def call(op, *args, **params):
    """Apply a primitive and always return a Tensor."""
    return apply(op, args, params)


def cast_to(x, dtype):
    """Tensor ``x`` in ``dtype``: ``x`` itself if it has it, else a (recorded) cast."""
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    return apply(REGISTRY["cast"], (x,), {"dtype": dtype})


def as_float(x):
    """Integer and bool tensors become the default float dtype (as NumPy and PyTorch do
    for exp, mean...); float tensors stay."""
    if x.data.dtype.kind in "iub":
        return apply(REGISTRY["cast"], (x,), {"dtype": dtypes.get_default_dtype()})
    return x


# --------------------------------------------- coercion rules: the generated publics
def tensor_unary(prim):
    """``f(x)``: any input becomes a Tensor, its dtype kept."""
    def fn(x):
        return apply(prim, (as_tensor(x),), NO_PARAMS)
    return fn


def float_unary(prim):
    """``f(x)``: as ``tensor_unary``, but integer and bool inputs become the default
    float dtype first (as in NumPy and PyTorch: exp of an int is a float)."""
    def fn(x):
        x = as_tensor(x)
        if x.data.dtype.kind in "iub":
            x = apply(REGISTRY["cast"], (x,), {"dtype": dtypes.get_default_dtype()})
        return apply(prim, (x,), NO_PARAMS)
    return fn


def binary_operands(prim):
    """``f(a, b)``: two operands coerced together (see ``binary``)."""
    def fn(a, b):
        if isinstance(a, Tensor) and isinstance(b, Tensor):    # ``binary``'s first case
            return apply(prim, (a, b), NO_PARAMS)
        return apply(prim, binary(a, b), NO_PARAMS)
    return fn
