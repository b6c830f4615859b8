"""Gradients of basic slices (``x[t]``, ``x[:, a:b]``) summed into one buffer per input.

The VJP of ``getitem`` is ``index_add``: zeros of the input's shape with the slice's
gradient written in, which the walk then adds into the gradient it accumulates for
that input. An LSTM written from ops reads ``xp[t]`` 50 times, so that backward filled
and added 50 arrays of the whole (T, B, 4H) projection: ~60% of its step. Here the walk
writes the first slice into zeros and adds every later one into its place in that
same array (``acc[t] += g``), as PyTorch's engine would have liked to.

Same bits as the zeros-array sums. Adding a zeros array changes an element outside
the slice only in one way: ``x + 0.0`` turns ``-0.0`` into ``0.0`` ("canonical"). That
canonicalisation commutes with later additions (``(x + 0.0) + y`` and ``(x + y) + 0.0``
are the same float for every x, y, NaNs included), so it is deferred: the slices added
in place since the last canonicalisation are ``pending``, and when the gradient is
taken (``finish``) every element outside at least one pending slice gets its ``+ 0.0``
(with pairwise disjoint pending slices that is every element once two are pending; with
one pending slice, every element but its own). A slice that could overlap a pending one
settles the pending ones first. Measured on W6m (T=50, B=32, H=128, float64): backward
~60 -> ~20 ms (see benchmarks/ANALYSIS.md).
"""
import sys

import numpy as np

from .ops.index import getitem

# array types besides np.ndarray whose gradients take the walk's in-place paths (these
# sums and the engine's): a compiled function's TracedArray, added by
# autograd.compile.traced, so that a trace records the in-place adds an eager step makes
IN_PLACE_TYPES = set()


def in_place_traced(a):
    """Whether ``a``, not an np.ndarray, is an array of ``IN_PLACE_TYPES`` the walk may
    add into in place: not a 0-d one, which may stand for the NumPy scalar that eager's
    sum of two 0-d arrays gives (added out of place; W1's replay took 2x as long with
    its 0-d sums added in place)."""
    return type(a) in IN_PLACE_TYPES and a.ndim > 0

_SPARE = {}         # (shape, dtype) -> an accumulator a walk used, kept for the next one
_SPARE_MAX = 4                               # shapes kept
_SPARE_BYTES = (1 << 16, 1 << 25)            # sizes kept: 64 KB to 32 MB


def basic_slice_index(node):
    """The index of a ``getitem`` node if it is made of ints, slices, None and Ellipsis
    (a view, whose gradient places need no ``np.add.at``), else None; it is returned
    ending in an Ellipsis so that it always selects an array view."""
    if node.op is not getitem:
        return None
    index = node.params["index"]
    ellipsis = False
    for part in index:
        if part is Ellipsis:
            ellipsis = True
        elif not (part is None or type(part) is slice or type(part) is int or
                  isinstance(part, np.integer)):
            return None
    # with an Ellipsis, a single element is a 0-d view (writable) instead of a scalar copy
    return index if ellipsis else index + (Ellipsis,)


class SliceSums:
    """The walk's in-place slice gradients: parent node -> the pending slices."""

    __slots__ = ("pending",)

    def __init__(self):
        self.pending = {}

    def add(self, grads, summed, parent, shape, index, g):
        """Add the gradient ``g`` of ``x[index]`` (``x`` of ``shape``, made by ``parent``)
        into ``grads[parent]``; False (nothing done) if ``g`` does not fit there."""
        acc = grads.get(parent)
        if acc is None:                       # the first: index_add's zeros, written once
            # (a traced g: zeros the trace records, never a spare plain buffer)
            acc = _zeros(shape, g.dtype) if type(g) is np.ndarray else \
                np.zeros(shape, dtype=g.dtype)
            view = acc[index]
            if view.shape != g.shape:
                return False
            view[...] = g
            grads[parent] = acc
            summed.add(parent)
            return True
        if type(acc) is not type(g) or acc.shape != shape or acc.dtype != g.dtype:
            return False
        view = acc[index]
        if view.shape != g.shape:
            return False
        if parent not in summed:              # shared: one exact step of `acc + zeros`
            fresh = np.add(acc, 0.0)
            np.add(view, g, out=fresh[index])
            grads[parent] = fresh
            summed.add(parent)
            return True
        block = _block(index, shape)
        pending = self.pending.get(parent)
        if pending is None:
            pending = self.pending[parent] = []
        else:
            for other, other_block in pending:
                if block is not None and other_block is not None and \
                        block[0] == other_block[0] and (
                        block[2] <= other_block[1] or other_block[2] <= block[1]):
                    continue                  # other places along one axis: disjoint
                if _may_overlap(view, acc[other]):
                    _settle(acc, pending)
                    break
        np.add(view, g, out=view)
        pending.append((index, block))
        return True

    def finish(self, parent, g):
        """The deferred ``+ 0.0`` of ``parent``'s gradient ``g``, before the walk uses it."""
        pending = self.pending.pop(parent, None)
        if pending:
            _settle(g, pending)


_ALL = slice(None)


def _block(index, shape):
    """(axis, start, stop): the places along one axis that ``index`` keeps, where every
    part before that axis is a whole ``:`` and its own part an int or a slice of step 1;
    else None. Two indices with disjoint blocks of the same axis select disjoint
    elements (the accumulated gradient is a fresh array, each element its own memory),
    so they need no ``shares_memory`` check against each other: W6m's 50 ``xp[t]``
    (axis 0: 1,225 checks per backward) and its four gates ``a[:, k*H:(k+1)*H]`` per
    step (axis 1: 150 checks)."""
    for axis, part in enumerate(index):
        if axis >= len(shape):
            return None
        if type(part) is slice:
            if part == _ALL:
                continue
            start, stop, step = part.indices(shape[axis])
            return (axis, start, stop) if step == 1 else None
        if type(part) is int or isinstance(part, np.integer):
            n = shape[axis]
            i = int(part) % n if n else 0
            return (axis, i, i + 1)
        return None
    return None


def _may_overlap(a, b):
    """Whether two views of one array may share an element (exact for the usual
    slices; a problem too hard to solve quickly counts as an overlap)."""
    if not np.may_share_memory(a, b):           # disjoint byte ranges: the common case
        return False
    try:
        return np.shares_memory(a, b, max_work=1000)
    except np.exceptions.TooHardError:
        return True


def _settle(acc, pending):
    """Canonicalise every element outside at least one of the (disjoint) ``pending``
    slices of ``acc``, then forget them."""
    if len(pending) == 1:
        index = pending[0][0]
        own = acc[index].copy()
        np.add(acc, 0.0, out=acc)
        acc[index] = own
    else:
        np.add(acc, 0.0, out=acc)
    pending.clear()


def _calibrate():
    """What ``sys.getrefcount`` sees for an array only a local name refers to."""
    buf = np.empty(2)
    return sys.getrefcount(buf)


_ALONE = _calibrate()


def _zeros(shape, dtype):
    """Zeros to accumulate slice gradients in. An accumulator of 64 KB to 32 MB is kept
    for the next one of its shape and dtype (``_SPARE``, a few shapes): W6m's (T, B, 4H)
    one was a fresh ``calloc`` per backward (800-1,600 page faults), its (B, 4H) ones 50
    fresh arrays. It is reused only when nothing but ``_SPARE`` refers to it any more
    (no gradient, view, hook or user kept it), so a reused buffer is never one anyone
    can see (and a leaf never adopts it: the extra reference makes the walk copy it)."""
    key = (shape, dtype)
    buf = _SPARE.pop(key, None)
    if buf is not None and sys.getrefcount(buf) <= _ALONE:    # no one else, no view
        buf.fill(0)
    else:
        buf = np.zeros(shape, dtype=dtype)
        if not _SPARE_BYTES[0] <= buf.nbytes <= _SPARE_BYTES[1]:
            return buf
    if len(_SPARE) >= _SPARE_MAX:
        _SPARE.pop(next(iter(_SPARE)))      # the least recently used shape goes
    _SPARE[key] = buf
    return buf
