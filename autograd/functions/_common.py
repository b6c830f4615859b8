"""Helpers shared by the public functions: operand coercion and axis normalisation."""
import numbers

import numpy as np

from .. import dtypes
from ..ops.registry import apply
from ..tensor import Tensor

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
        from ..ops import cast
        return apply(cast, (t,), {"dtype": dtypes.get_default_dtype()})
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


def normalize_axis(axis, ndim, opname, dim=None):
    """None, an int or a sequence of ints -> None or a sorted tuple of non-negative ints."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{opname}: give either axis= or dim=, not both")
        axis = dim
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        a = int(a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(
                f"{opname}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % max(ndim, 1) if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{opname}: repeated axis in {tuple(axis)}")
    if ndim == 0:
        return None
    return tuple(sorted(out))


def normalize_one_axis(axis, ndim, opname):
    """A single axis as a non-negative int."""
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{opname}: axis must be an int, got {axis!r}")
    if ndim == 0:
        if axis in (0, -1):
            return 0
        raise ValueError(f"{opname}: axis {axis} is out of range for a 0-d tensor")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{opname}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


def shape_args(shape, opname):
    """Accept f(2, 3) and f((2, 3)) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{opname}: expected a shape made of ints, got {shape!r}") from None
