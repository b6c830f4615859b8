"""Shape, index and join functions (NumPy semantics), composed from shape primitives."""
import builtins

import numpy as np

from .. import ops as P
from ..inplace import check_allowed, mark_view, record_write, records
from ..ops.registry import apply
from ..ops import references
from ..ops.registry import defcomposite, defpublic
from ..ops.spec import Fuzz
from ..tensor import Tensor
from ._common import (NO_PARAMS, as_tensor, call, data_of, normalize_axis,
                      normalize_one_axis, shape_args)
from .math import astype, where

__all__ = ["reshape", "view", "transpose", "permute", "swapaxes", "moveaxis", "flatten",
           "squeeze", "unsqueeze", "expand_dims", "expand", "expand_as", "broadcast_to",
           "concatenate", "cat", "stack", "split", "chunk", "pad", "getitem", "setitem",
           "index_add"]


@defpublic(P.reshape, method=("reshape", "view"), aliases=("view",),
           fuzz=Fuzz(np.reshape, args="reshape"))
def reshape(x, *shape):
    """New shape with the same data (one -1 is inferred), as ``np.reshape``."""
    x = as_tensor(x)
    shape = shape_args(shape, "reshape")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if shape.count(-1) > 1 or known == 0 or x.data.size % known:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"into {shape}")
        shape = tuple(x.data.size // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != x.data.size:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.data.size} elements) into {shape}")
    if shape == x.shape:
        return x
    return mark_view(call(P.reshape, x, shape=shape), x)


view = reshape


@defpublic(P.transpose, method=True, fuzz=Fuzz(np.transpose, args="transpose"))
def transpose(x, *axes):
    """Permute axes; with no axes, reverse them (NumPy's rule, so ``x.T`` works)."""
    x = as_tensor(x)
    if not axes:                    # x.T: the axes reversed (an RNN's W.T every step)
        nd = x.data.ndim
        if nd < 2:
            return x
        return mark_view(call(P.transpose, x, axes=tuple(range(nd - 1, -1, -1))), x)
    explicit = len(axes) == 1 and isinstance(axes[0], (tuple, list))
    if len(axes) == 1 and (axes[0] is None or explicit):
        axes = axes[0]
    if not axes and not explicit:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(int(a) for a in axes)
    if not builtins.all(-x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"transpose: axes {axes} are out of range for a tensor of shape "
                         f"{x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        hint = " (to swap two axes use swapaxes)" if len(axes) == 2 else ""
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{x.ndim} axes of a tensor of shape {x.shape}{hint}")
    if axes == tuple(range(x.ndim)):
        return x
    return mark_view(call(P.transpose, x, axes=axes), x)


@defcomposite(method=True, fuzz=Fuzz(np.transpose, args="transpose"))
def permute(x, *dims):
    """PyTorch's name for transpose with an explicit permutation."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return transpose(x, tuple(dims))


@defcomposite(method=True, fuzz=Fuzz(references.swapaxes, args="two_axes"))
def swapaxes(x, axis1, axis2):
    x = as_tensor(x)
    a = normalize_one_axis(axis1, x.ndim, "swapaxes")
    b = normalize_one_axis(axis2, x.ndim, "swapaxes")
    if x.ndim == 0:         # axis 0 / -1 of a 0-d tensor (PyTorch's rule): nothing to do
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, tuple(axes))


@defcomposite(fuzz=Fuzz(references.moveaxis, args="two_axes"))
def moveaxis(x, source, destination):
    x = as_tensor(x)
    if x.ndim == 0:
        normalize_one_axis(source, 0, "moveaxis")
        normalize_one_axis(destination, 0, "moveaxis")
        return x
    order = [a for a in range(x.ndim) if a != normalize_one_axis(source, x.ndim, "moveaxis")]
    order.insert(normalize_one_axis(destination, x.ndim, "moveaxis"),
                 normalize_one_axis(source, x.ndim, "moveaxis"))
    return transpose(x, tuple(order))


@defcomposite(method=True, fuzz=Fuzz(references.flatten, args="two_axes"))
def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one (all of them by default)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s = normalize_one_axis(start_dim, x.ndim, "flatten")
    e = normalize_one_axis(end_dim, x.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1:])


@defcomposite(method=True, fuzz=Fuzz(references.squeeze, args="squeeze"))
def squeeze(x, axis=None, *, dim=None):
    """Drop axes of length 1 (all of them, or the given ones)."""
    x = as_tensor(x)
    axis = normalize_axis(axis, x.ndim, "squeeze", dim)
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in axis and n == 1))
    return reshape(x, shape)


@defcomposite(method=True, aliases=("expand_dims",),
              fuzz=Fuzz(np.expand_dims, args="unsqueeze"))
def unsqueeze(x, axis):
    """Insert an axis of length 1 at ``axis`` (negative counts from the new end)."""
    x = as_tensor(x)
    nd = x.ndim + 1
    if not -nd <= axis < nd:
        raise ValueError(f"unsqueeze: axis {axis} out of range for a result with {nd} dims")
    axis %= nd
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


expand_dims = unsqueeze


@defpublic(P.broadcast_to, method=True, fuzz=Fuzz(np.broadcast_to, args="broadcast"))
def broadcast_to(x, *shape):
    """Broadcast to ``shape`` (NumPy rules)."""
    x = as_tensor(x)
    shape = shape_args(shape, "broadcast_to")
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    if shape == x.shape:
        return x
    return mark_view(call(P.broadcast_to, x, shape=shape), x)


@defcomposite(method=True, fuzz=Fuzz(references.expand, args="expand"))
def expand(x, *shape):
    """PyTorch's broadcast_to: -1 keeps that axis's size."""
    x = as_tensor(x)
    shape = shape_args(shape, "expand")
    lead = len(shape) - x.ndim
    if lead < 0 or any(s == -1 for s in shape[:lead]):
        raise ValueError(f"expand: cannot expand a tensor of shape {x.shape} to {shape}; give "
                         "at least its number of axes, and -1 only for existing axes")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return broadcast_to(x, shape)


@defcomposite(method=True, fuzz=Fuzz(references.expand_as, args="expand_as"))
def expand_as(x, other):
    return broadcast_to(x, as_tensor(other).shape)


@defpublic(P.concatenate, aliases=("cat",), fuzz=Fuzz(np.concatenate, args="join"))
def concatenate(tensors, axis=0, *, dim=None):
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
    return apply(P.concatenate, tuple(tensors), {"axis": axis, "starts": tuple(starts)})


cat = concatenate


@defcomposite(fuzz=Fuzz(np.stack, args="stack"))
def stack(tensors, axis=0, *, dim=None):
    """Join along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    axis = axis if dim is None else dim
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis % (tensors[0].ndim + 1))


@defcomposite(method=True, fuzz=Fuzz(np.split, args="split"))
def split(x, indices_or_sections, axis=0):
    """NumPy's split: N equal sections, or split points. Returns a list of tensors."""
    x = as_tensor(x)
    axis = normalize_one_axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"split: axis {axis} of length {n} does not divide into "
                             f"{sections} equal sections; pass split points instead")
        points = [n // sections * k for k in range(1, sections)]
    else:
        points = [int(p) for p in indices_or_sections]
    bounds = [0] + points + [n]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, max(a, b)),)) for a, b in zip(bounds[:-1], bounds[1:])]


@defcomposite(fuzz=Fuzz(references.chunk, args="split"))
def chunk(x, chunks, axis=0, *, dim=None):
    """PyTorch's chunk: ``chunks`` pieces of size ceil(n / chunks) (the last may be smaller)."""
    x = as_tensor(x)
    axis = normalize_one_axis(axis if dim is None else dim, x.ndim, "chunk")
    if not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    n = x.shape[axis]
    size = builtins.max(-(-n // chunks), 1)
    return split(x, list(range(size, n, size)), axis)


@defpublic(P.pad, method=True, fuzz=Fuzz(references.pad, args="pad"))
def pad(x, pad_width, mode="constant", constant_values=0.0, *, value=None):
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
    return call(P.pad, x, pad_width=widths, value=fill)


def _normalize_index(index):
    if not isinstance(index, tuple):
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


@defpublic(P.getitem, method="__getitem__", fuzz=Fuzz(references.getitem, args="getitem"))
def getitem(x, index):
    """NumPy indexing: ints, slices, None, Ellipsis, integer arrays and boolean masks.
    Integer-array indices may repeat: their gradients accumulate."""
    x = as_tensor(x)
    out = call(P.getitem, x, index=_normalize_index(index))   # errors name op and shape
    return mark_view(out, x)       # basic indexing gives a view: one version counter


@defpublic(P.index_add, fuzz=Fuzz(references.index_add, args="index_add"))
def index_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (the adjoint of getitem)."""
    return call(P.index_add, as_tensor(g), shape=tuple(shape), index=_normalize_index(index))


@defcomposite(method="__setitem__")
def setitem(x, index, value):
    """In-place assignment. Recorded in the graph where PyTorch records it (into a
    tensor made by an op, or a value that requires grad into a tensor that does not:
    see ``inplace.records``); refused on a leaf that requires grad while grad mode is on."""
    if not isinstance(x, Tensor):
        raise TypeError("setitem: expected a Tensor")
    if records(x, value):
        idx = _normalize_index(index)
        record_write(x, lambda old: _assigned(old, idx, value, index), "setitem (x[i] = v)")
        return
    check_allowed(x, "setitem (x[i] = v)",
                  hint=", e.g. ag.where(mask, value, x) or index_add")
    try:
        x.data[_normalize_index(index)] = data_of(value)
    except (IndexError, ValueError, TypeError) as err:
        raise type(err)(f"setitem: cannot assign {np.shape(data_of(value))} values at "
                        f"{index!r} of a tensor of shape {x.shape}: {err}") from None
    x._version += 1


def _assigned(old, index, value, shown):
    """``old`` with ``value`` written at ``index``, out of place and differentiable in
    both (the recorded form of ``x[index] = value``)."""
    try:
        region = np.shape(old.data[index])
        v = as_tensor(value)
        if v.dtype != old.dtype:
            v = astype(v, old.dtype)
        np.broadcast_shapes(v.shape, region)
    except (IndexError, ValueError, TypeError) as err:
        raise type(err)(f"setitem: cannot assign {np.shape(data_of(value))} values at "
                        f"{shown!r} of a tensor of shape {old.shape}: {err}") from None
    v = broadcast_to(v, region) if v.shape != region else v
    if not P.is_basic_index(index):
        hits = np.zeros(old.shape, dtype=np.int64)
        np.add.at(hits, index, 1)
        if hits.max(initial=0) > 1:
            raise IndexError(
                f"setitem: the index {shown!r} names some elements of the tensor of shape "
                f"{old.shape} more than once, so which value is kept is undefined; use "
                "unique indices (or index_add to sum them)")
    keep = np.ones(old.shape, dtype=bool)
    keep[index] = False
    return where(keep, old, call(P.index_add, v, shape=old.shape, index=index))
