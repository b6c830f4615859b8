"""Indexing primitives: getitem and its adjoint index_add, concatenate, pad.

``index_add`` places a gradient into zeros of the source shape; with integer-array
indices repeated positions accumulate (``np.add.at``), otherwise it assigns.
"""
import numpy as np

from .registry import defprimitive
from .spec import Case

_MASK = np.array([[True, False, True], [False, False, True]])     # for getitem's cases

__all__ = ["getitem", "index_add", "concatenate", "pad", "is_basic_index"]


def is_basic_index(index):
    """True if ``index`` (a normalised tuple) has no integer-array parts."""
    for part in index:
        if isinstance(part, np.ndarray) and part.dtype != bool:
            return False
    return True


def _getitem_forward(x, index):
    return x[index]


getitem = defprimitive(
    "getitem", _getitem_forward,
    vjps=(lambda g, out, x, index: index_add(g, shape=x.shape, index=index),),
    rules=("d x[i]/dx: the gradient goes back to the selected places (zeros elsewhere)",),
    cases=[Case(lambda x: getitem(x, index=(slice(0, 2), 1)), (3, 3)),
           Case(lambda x: getitem(x, index=(np.array([0, 2, 0, 0]),)), (3, 2),
                label="repeated integer indices"),
           Case(lambda x: getitem(x, index=(_MASK,)), (2, 3), label="boolean mask"),
           Case(lambda x: getitem(x, index=(Ellipsis, None, slice(None, None, -1))),
                (2, 3), label="ellipsis/newaxis/negative step")])


def _index_add_forward(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


index_add = defprimitive(
    "index_add", _index_add_forward,
    vjps=(lambda g, out, x, shape, index: getitem(g, index=index),),
    rules=("d index_add(g)/dg: select the same places",),
    cases=[Case(lambda g: index_add(g, shape=(4, 3), index=(np.array([0, 2, 0]),)),
                (3, 3)),
           Case(lambda g: index_add(g, shape=(3, 4), index=(slice(None), slice(1, 3))),
                (3, 2))])


def _concatenate_forward(*xs, axis, starts=None):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(i, g, out, xs, axis, starts=None):
    # ``starts`` (each input's offset along ``axis``, given by ag.concatenate) makes
    # this O(1) per input, so a 10,000-way concatenate backprops in linear time.
    if starts is None:
        start = 0
        for x in xs[:i]:
            start += x.shape[axis]
    else:
        start = starts[i]
    index = (slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)
    return getitem(g, index=index)


concatenate = defprimitive(
    "concatenate", _concatenate_forward,
    vjps=(_concatenate_vjp,),
    rules=("d concat(x_1..x_n)/dx_i: the slice of the gradient where x_i sits",),
    variadic=True,
    cases=[Case(lambda a, b: concatenate(a, b, axis=1), (2, 3), (2, 2)),
           Case(lambda a, b, c: concatenate(a, b, c, axis=0), (1, 2), (2, 2), (1, 2))])


def _pad_forward(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _pad_vjp(g, out, x, pad_width, value=0.0):
    index = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
    return getitem(g, index=index)


pad = defprimitive(
    "pad", _pad_forward,
    vjps=(_pad_vjp,),
    rules=("d pad(x)/dx: crop the padding off the gradient",),
    cases=[Case(lambda x: pad(x, pad_width=((1, 0), (2, 1)), value=0.0), (2, 3)),
           Case(lambda x: pad(x, pad_width=((0, 2),), value=1.5), (3,))])
