"""Composite shape, index and join ops (NumPy semantics), built from the public
functions of the shape and index primitives (``ops/shape.py``, ``ops/index.py``, where
reshape, transpose, getitem... are declared), and in-place assignment (setitem).
"""
import builtins

import numpy as np

from .. import ops as P
from ..inplace import check_allowed, record_write, records
from ..ops import references
from ..ops.axes import normalize_axis, normalize_one_axis, shape_args
from ..ops.coerce import as_tensor, call, data_of
from ..ops.index import normalize_index
from ..ops.registry import defcomposite
from ..ops.spec import Fuzz
from ..tensor import Tensor
from .math import astype, where

__all__ = ["permute", "swapaxes", "moveaxis", "flatten", "squeeze", "unsqueeze",
           "expand_dims", "expand", "expand_as", "stack", "split", "chunk", "setitem"]

# the shape and index primitives' public functions, which the composites here build on
reshape, transpose, broadcast_to = P.reshape.public, P.transpose.public, P.broadcast_to.public
concatenate, getitem = P.concatenate.public, P.getitem.public


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


@defcomposite(method="__setitem__")
def setitem(x, index, value):
    """In-place assignment. Recorded in the graph where PyTorch records it (into a
    tensor made by an op, or a value that requires grad into a tensor that does not:
    see ``inplace.records``); refused on a leaf that requires grad while grad mode is on."""
    if not isinstance(x, Tensor):
        raise TypeError("setitem: expected a Tensor")
    if records(x, value):
        idx = normalize_index(index)
        record_write(x, lambda old: _assigned(old, idx, value, index), "setitem (x[i] = v)")
        return
    check_allowed(x, "setitem (x[i] = v)",
                  hint=", e.g. ag.where(mask, value, x) or index_add")
    try:
        x.data[normalize_index(index)] = data_of(value)
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
