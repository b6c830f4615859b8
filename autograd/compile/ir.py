"""What a trace is made of: roots (memory), values (views of it), Sym refs and ops.

A *root* is an array that owns its memory: an input, an array the function found (a
tensor's array, a constant) or a call's result. A *value* is a root seen through a
view (the root itself, or a reshape, slice, transpose of it): its ``spec`` rebuilds it
on any buffer. An *op* is one recorded call, its arguments with arrays as values and
Python numbers the recorder follows as ``SymRef``s.
"""
import weakref

import numpy as np


class Root:
    """Memory owned by one array. ``kind``: input, foreign (found by the function: a
    tensor's array, a constant), result (made by op ``created``).

    A result's array is held weakly (with its ``layout`` noted), so a trace frees what
    the function frees, as the eager step does: holding every intermediate array of a
    step made tracing fault in fresh memory for each of them (W6: 6x the page faults of
    an eager step) and its memory grow with the step's length. ``keep()`` holds it
    strongly: results Python holds afterwards, and constants a program may fold.
    """

    __slots__ = ("index", "_owner", "_weak", "layout", "kind", "created", "writes", "slot",
                 "prev", "held", "scalar", "ptr", "initial", "rec", "const")

    def __init__(self, index, owner, kind, created=-1, rec=None, weak=False, layout=None):
        self.rec = rec            # the Recorder it belongs to
        self.index = index
        if weak and isinstance(owner, np.ndarray):
            self._owner, self._weak = None, weakref.ref(owner)
        else:
            self._owner, self._weak = owner, None
        self.layout = _layout(owner) if layout is None else layout
        self.kind = kind
        self.created = created
        self.writes = ()          # ops writing it in place (after its creation): a
                                  # list from the first (most roots have none; an
                                  # empty tuple is one object fewer for the GC to walk)
        self.slot = None          # input position / previous trace's root it continues
        self.prev = None
        self.held = False         # Python holds it after the trace (a tensor's array)
        self.scalar = False       # eagerly a NumPy scalar (a 0-d result)
        self.ptr = None
        self.initial = None       # a foreign array's values before the trace wrote it
        self.const = False        # computed from constants only (may be folded)

    @property
    def owner(self):
        """The array (None if it was a result the program did not keep)."""
        owner = self._owner
        if owner is None and self._weak is not None:
            return self._weak()
        return owner

    def keep(self):
        if self._owner is None and self._weak is not None:
            self._owner = self._weak()

    @property
    def shape(self):
        return self.layout[0]

    @property
    def dtype(self):
        return self.layout[1]


def scalar_layout(dtype, _cache={}):
    """The layout of a 0-d array of ``dtype`` (what ``_layout`` gives, cached)."""
    layout = _cache.get(dtype)
    if layout is None:
        layout = _cache[dtype] = ((), dtype, (), dtype.itemsize, True)
    return layout


def _layout(a):
    """(shape, dtype, strides, nbytes, contiguous) of an array owner (None otherwise)."""
    if not isinstance(a, np.ndarray):
        return None
    flags = a.flags
    return (a.shape, a.dtype, a.strides, a.nbytes, flags.c_contiguous or flags.f_contiguous)


def geometry(layout, index):
    """(byte offset, shape, strides) of ``owner[index]`` for a basic index, computed on a
    stand-in of one element with the owner's strides (no memory is read)."""
    shape, dtype, strides = layout[:3]
    stand_in = np.lib.stride_tricks.as_strided(np.empty(1, dtype), shape, strides)
    parts = index if isinstance(index, tuple) else (index,)
    if not any(p is Ellipsis for p in parts):
        parts += (Ellipsis,)      # a view even where every axis is indexed: no NumPy scalar
    part = stand_in[parts]
    return _ptr(part) - _ptr(stand_in), part.shape, part.strides


class Value:
    """A root seen through a view. ``arr`` is the plain array of the trace (held weakly
    for a result's values, see ``Root``); ``spec()`` how to rebuild it on any buffer."""

    __slots__ = ("root", "_arr", "_weak", "_spec", "writeable")

    def __init__(self, root, arr, spec=None):
        self.root = root
        self._spec = spec
        if arr is None:                     # made from a layout (see ``whole``)
            self._arr = self._weak = None
            self.writeable = True
            return
        self.writeable = arr.flags.writeable
        if root._weak is not None:
            self._arr, self._weak = None, weakref.ref(arr)
            if spec is None:
                self._spec = self._measure(arr)
        else:
            self._arr, self._weak = arr, None

    @classmethod
    def whole(cls, root):
        layout = root.layout
        return cls(root, None, (0, layout[0], layout[2], layout[1]))

    @classmethod
    def part(cls, root, index):
        offset, shape, strides = geometry(root.layout, index)
        return cls(root, None, (offset, shape, strides, root.layout[1]))

    @property
    def arr(self):
        arr = self._arr
        if arr is None and self._weak is not None:
            return self._weak()
        return arr

    def _measure(self, a):
        offset = 0 if a is self.root.owner else _ptr(a) - _root_ptr(self.root)
        return (offset, a.shape, a.strides, a.dtype)

    def spec(self):
        """(byte offset into the root, shape, strides, dtype): how to rebuild it."""
        spec = self._spec
        if spec is None:
            spec = self._spec = self._measure(self._arr)
        return spec

    @property
    def shape(self):
        return self.spec()[1]

    @property
    def dtype(self):
        return self.spec()[3]

    def is_whole(self):
        """True if it is its whole root (not a part or a reinterpretation)."""
        layout = self.root.layout
        return layout is not None and self.spec() == (0, layout[0], layout[2], layout[1])


class SymRef:
    """A Sym in the program: a leaf (a number in a container) or an op's result."""

    __slots__ = ("index", "leaf", "op", "value")

    def __init__(self, index, value, leaf=None, op=None):
        self.index = index
        self.value = value        # in this trace
        self.leaf = leaf
        self.op = op


class Op:
    """One recorded call. ``kind``: ufunc, func, method, setitem, rng, sym (Python
    arithmetic on Syms), decide (a guard: ``fn(args)`` must equal ``expect``), array
    (a Sym or Python data made into an array)."""

    __slots__ = ("index", "kind", "fn", "args", "kwargs", "outs", "writes", "site",
                 "expect", "sym", "skip", "into", "values", "syms", "phase", "finish",
                 "prelude")

    def __init__(self, index, kind, fn, args, kwargs, values=None):
        self.index = index
        self.kind = kind
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.outs = ()            # the Values it made (a tuple: most ops make one)
        self.writes = ()          # Values written in place (a list from the first)
        self.site = ()            # where it was made (see _site; kept for decisions)
        self.expect = None
        self.sym = None
        self.skip = False         # dropped by a pass (passes.py)
        self.into = None          # a Value to write the result into instead
        self.syms = ()            # the SymRefs in args and kwargs (a list if any)
        self.phase = "forward"    # or backward, update (set by the recorder)
        self.finish = None        # a Value to add 0.0 to after this op (accumulate.py)
        self.prelude = None       # (source, destination) Values to copy before it
        if values is not None:    # (given by the recorder: no Syms. Its fast paths
                                  # write these fields out: Recorder._lean_op)
            self.values = values
            return
        self.values = []          # the Values in args and kwargs, in order
        syms = []
        _collect(args, self.values, syms)
        if kwargs:
            _collect(kwargs, self.values, syms)
        if syms:
            self.syms = syms

    @property
    def name(self):
        fn = self.fn
        if self.kind in ("method", "rng"):
            return str(fn)
        if self.kind == "setitem":
            return "setitem"
        name = getattr(fn, "__name__", None) or repr(fn)
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, np.ufunc):
            return f"{owner.__name__}.{name}"
        return name


def _collect(x, values, syms):
    t = type(x)
    if t is Value:
        values.append(x)
    elif t is SymRef:
        syms.append(x)
    elif t is tuple or t is list:
        for v in x:
            _collect(v, values, syms)
    elif t is dict:
        for v in x.values():
            _collect(v, values, syms)


def _ptr(a):
    return a.__array_interface__["data"][0]


def _root_ptr(root):
    if root.ptr is None:
        root.ptr = _ptr(root.owner)
    return root.ptr


def owner_of(a):
    """The object owning ``a``'s memory (following ``.base``, as_strided's too)."""
    o = a
    while True:
        b = getattr(o, "base", None)
        if b is None:
            return o
        o = b
