"""Indexing primitives: getitem and its adjoint index_add, concatenate, pad; each block
is the public function (its argument checks) followed by its primitive.

``index_add`` places a gradient into zeros of the source shape; with integer-array
indices repeated positions accumulate (``np.add.at``), otherwise it assigns.
"""
import numpy as np

from ..inplace import mark_view
from . import references
from .axes import normalize_one_axis
from .coerce import as_tensor, call, data_of
from .registry import apply, defprimitive
from .spec import Case, Fuzz

_MASK = np.array([[True, False, True], [False, False, True]])     # for getitem's cases

__all__ = ["getitem", "index_add", "concatenate", "pad", "is_basic_index"]


def is_basic_index(index):
    """True if ``index`` (a normalised tuple) has no integer-array parts."""
    for part in index:
        if isinstance(part, np.ndarray) and part.dtype != bool:
            return False
    return True


_PLAIN_PARTS = frozenset((int, slice, type(None), type(Ellipsis)))


def normalize_index(index):
    """An index as a tuple whose parts are ints, slices, None, Ellipsis or integer/bool
    arrays (Tensors and lists become arrays)."""
    if type(index) is tuple:
        for part in index:
            if type(part) not in _PLAIN_PARTS:
                break
        else:
            return index        # ints and slices only (x[t], a[:, :H]): nothing to convert
    elif type(index) in _PLAIN_PARTS:
        return (index,)
    else:
        index = (index,)
    out = []
    for part in index:
        part = data_of(part)
        if isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
            raise IndexError(f"getitem: index arrays must be integer or boolean, "
                             f"got {part.dtype}")
        out.append(part)
    return tuple(out)


def _getitem_public(x, index):
    """NumPy indexing: ints, slices, None, Ellipsis, integer arrays and boolean masks.
    Integer-array indices may repeat: their gradients accumulate."""
    x = as_tensor(x)
    out = apply(getitem, (x,), {"index": normalize_index(index)})   # errors name op, shape
    return mark_view(out, x)       # basic indexing gives a view: one version counter


def _getitem_forward(x, index):
    return x[index]


getitem = defprimitive(
    "getitem", _getitem_forward,
    vjps=(lambda g, out, x, index: index_add(g, shape=x.shape, index=index),),
    rules=("d x[i]/dx: the gradient goes back to the selected places (zeros elsewhere)",),
    public=_getitem_public, method="__getitem__",
    fuzz=Fuzz(references.getitem, args="getitem"),
    cases=[Case(lambda x: getitem(x, index=(slice(0, 2), 1)), (3, 3)),
           Case(lambda x: getitem(x, index=(np.array([0, 2, 0, 0]),)), (3, 2),
                label="repeated integer indices"),
           Case(lambda x: getitem(x, index=(_MASK,)), (2, 3), label="boolean mask"),
           Case(lambda x: getitem(x, index=(Ellipsis, None, slice(None, None, -1))),
                (2, 3), label="ellipsis/newaxis/negative step")])


def _index_add_public(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (the adjoint of getitem)."""
    return call(index_add, as_tensor(g), shape=tuple(shape), index=normalize_index(index))


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
    public=_index_add_public, fuzz=Fuzz(references.index_add, args="index_add"),
    cases=[Case(lambda g: index_add(g, shape=(4, 3), index=(np.array([0, 2, 0]),)),
                (3, 3)),
           Case(lambda g: index_add(g, shape=(3, 4), index=(slice(None), slice(1, 3))),
                (3, 2))])


def _concatenate_public(tensors, axis=0, *, dim=None):
    """Join along an existing axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor")
    if tensors[0].ndim == 0:
        raise ValueError("concatenate: 0-d tensors have no axis to join along; use stack")
    axis = normalize_one_axis(axis if dim is None else dim, tensors[0].ndim, "concatenate")
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
                a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis):
            shapes = ", ".join(str(u.shape) for u in tensors)
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}")
    if len(tensors) == 1:
        return tensors[0]
    starts = np.cumsum([0] + [t.shape[axis] for t in tensors[:-1]]).tolist()
    return apply(concatenate, tuple(tensors), {"axis": axis, "starts": tuple(starts)})


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
    public=_concatenate_public, aliases=("cat",), fuzz=Fuzz(np.concatenate, args="join"),
    cases=[Case(lambda a, b: concatenate(a, b, axis=1), (2, 3), (2, 2)),
           Case(lambda a, b, c: concatenate(a, b, c, axis=0), (1, 2), (2, 2), (1, 2))])


def _pad_public(x, pad_width, mode="constant", constant_values=0.0, *, value=None):
    """NumPy's pad (constant mode): ``pad_width`` is an int, (before, after) or one pair
    per axis."""
    x = as_tensor(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except (ValueError, TypeError):
        raise ValueError(f"pad: pad_width {pad_width!r} is not an int, a (before, after) "
                         f"pair or one pair per axis of a tensor of shape {x.shape}") from None
    if (widths < 0).any():
        raise ValueError(f"pad: negative pad widths {pad_width!r}")
    widths = tuple((int(a), int(b)) for a, b in widths)
    fill = float(constant_values if value is None else value)
    if x.data.dtype.kind in "iub" and not np.isfinite(fill):
        raise ValueError(f"pad: cannot pad a {x.dtype} tensor with {fill}; convert it to a "
                         "float dtype first")
    return call(pad, x, pad_width=widths, value=fill)


def _pad_forward(x, pad_width, value=0.0):
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def _pad_vjp(g, out, x, pad_width, value=0.0):
    index = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
    return getitem(g, index=index)


pad = defprimitive(
    "pad", _pad_forward,
    vjps=(_pad_vjp,),
    rules=("d pad(x)/dx: crop the padding off the gradient",),
    public=_pad_public, method=True, fuzz=Fuzz(references.pad, args="pad"),
    cases=[Case(lambda x: pad(x, pad_width=((1, 0), (2, 1)), value=0.0), (2, 3)),
           Case(lambda x: pad(x, pad_width=((0, 2),), value=1.5), (3,))])
