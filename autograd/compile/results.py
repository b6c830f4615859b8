"""A call's new array as the trace's Root and Value: the recorder's hottest code.

Nearly every recorded call makes one new array (W1 and W3: ~250,000 a trace), so its
Root and Value are written out here, not made by their ``__init__`` (a test checks that
every slot is set), and the tuples describing its layout are shared by every array of
the same layout.
"""
import weakref

import numpy as np

from .ir import Root, Value, scalar_layout
from .signature import OUT
from .traced import TracedArray

_new, _view, _weakref = object.__new__, np.ndarray.view, weakref.ref

# One tuple per layout (and per whole-array spec) for every new array of a trace, not
# one per array: most results of a step share a few layouts, and each tuple was a
# GC-tracked object a trace made, compared and freed per call (W2: 4 of ~12 per call).
# Found by (shape, strides, dtype), which fix the rest of the layout (size, contiguity)
_LAYOUTS = {}           # (shape, strides, dtype) -> (dtype, layout, whole-array spec)
_SCALAR_SPECS = {}      # dtype -> (dtype, layout, spec) of a 0-d array of it


def _shared_layout(res, dtype, key):
    """(layout, spec) of new array ``res``, kept for the next arrays of its key (an equal
    dtype that is another object gets tuples of its own: its metadata)."""
    flags = res.flags
    layout = (key[0], dtype, key[1], res.nbytes, flags.c_contiguous or flags.f_contiguous)
    spec = (0, key[0], key[1], dtype)
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 4096:       # (a bound: a process tracing many shapes)
            _LAYOUTS.clear()
        _LAYOUTS[key] = (dtype, layout, spec)
    return layout, spec


def fresh(rec, op, res, writeable):
    """The TracedArray of ``res``, a new array made by ``op`` in recorder ``rec``."""
    roots, dtype = rec.roots, res.dtype
    key = (res.shape, res.strides, dtype)
    known = _LAYOUTS.get(key)
    if known is not None and known[0] is dtype:
        layout, spec = known[1], known[2]
    else:
        layout, spec = _shared_layout(res, dtype, key)
    root = _new(Root)
    root.rec, root.index, root.kind, root.created = rec, len(roots), "result", op.index
    root._owner, root._weak, root.layout = None, _weakref(res), layout
    root.writes, root.slot, root.prev, root.held, root.scalar = (), None, None, \
        False, False
    root.ptr, root.initial, root.const = None, None, False
    roots.append(root)
    rec.by_owner[id(res)] = root
    if rec.previous is not None and (not op.values or op.values[0].root.const):
        rec._constant(op, root)          # (not a constant if its first is not)
    value = _new(Value)
    value.root, value._arr, value._weak, value._spec, value.writeable = \
        root, None, root._weak, spec, writeable
    op.outs += (value,)
    rec.sig += (OUT, root.index, spec)
    t = _view(res, TracedArray)
    t._v = value              # (its base holds ``res``: no ``_p`` needed)
    return t


def scalar(rec, op, arr):
    """A result that is eagerly a NumPy scalar, given as the 0-d array ``arr`` (W1's
    and W3's every other call)."""
    roots, dtype = rec.roots, arr.dtype
    known = _SCALAR_SPECS.get(dtype)
    if known is None or known[0] is not dtype:
        known = _SCALAR_SPECS[dtype] = (dtype, scalar_layout(dtype), (0, (), (), dtype))
    root, index = _new(Root), len(roots)
    root.rec, root.index, root.kind, root.created = rec, index, "result", op.index
    root._owner, root._weak, root.layout = None, _weakref(arr), known[1]
    root.writes, root.slot, root.prev, root.held, root.scalar = (), None, None, \
        False, True
    root.ptr, root.initial, root.const = None, None, False
    roots.append(root)
    rec.by_owner[id(arr)] = root
    if rec.previous is not None and (not op.values or op.values[0].root.const):
        rec._constant(op, root)
    spec = known[2]
    value = _new(Value)
    value.root, value._arr, value._weak, value._spec, value.writeable = \
        root, None, root._weak, spec, True
    op.outs += (value,)
    rec.sig += (OUT, index, spec)
    t = _view(arr, TracedArray)
    t._v = value                  # (its base holds ``arr``)
    return t
