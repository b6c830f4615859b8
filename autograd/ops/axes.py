"""Axis and shape arguments: how the public functions read them, and the errors that
name the op when they are wrong.

``normalize_axis`` gives what the reduction primitives take (None or a sorted tuple of
non-negative ints), so their VJPs can rebuild the keepdims shape directly.

>>> normalize_axis(-1, 3, "sum"), normalize_one_axis(-1, 3, "softmax")
((2,), 2)
"""
import numpy as np

__all__ = []        # helpers for the public functions, not ops: not in ``ag.ops``


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
