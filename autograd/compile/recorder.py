"""The recorder: one run of the traced function, as a flat list of NumPy calls.

Memory is described by *roots* (an array that owns its memory: an input, a tensor's
array the function found, a constant, or a call's result) and *values* (a root seen
through a view: the root itself, or a reshape, slice, transpose of it). Every call
becomes an ``Op`` whose arguments are values, Syms and constants; its results are new
roots or views of existing ones (found by following ``.base`` to the memory's owner),
and the values it writes in place (``out=``, ``x[i] = v``, ``np.copyto``) are noted,
so that a replay can give every root a fixed buffer and run the calls in order.
"""
import numpy as np

from . import state
from .ir import Op, Root, SymRef, Value, geometry, owner_of  # noqa: F401
from .results import fresh, scalar
from .signature import CAREFUL, INDEX_PARTS, INTO, OTHER, OUT, sign_call, sign_options
from .sites import _first_outside, _site
from .traced import Sym, TracedArray

_NO_KW = {}
_new = object.__new__

# functions whose Python result describes shapes or types, never values
SHAPE_FUNCTIONS = {np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj,
                   np.isrealobj, np.min_scalar_type, np.can_cast, np.may_share_memory,
                   np.shares_memory}
IN_PLACE_FUNCTIONS = {np.copyto: 0, np.put: 0, np.place: 0, np.putmask: 0,
                      np.fill_diagonal: 0, np.put_along_axis: 0}
IN_PLACE_METHODS = {"fill", "put", "sort", "partition", "setfield"}
_PLAIN_OPTIONS = (np.dtype, type, bool, int, str)      # np.array's options, never traced
# NumPy's own np.array: while tracing, np.array is the seams' patch, and the recorder
# making a 0-d array of each NumPy scalar result went through it (W3: 1 us per call)
_ARRAY = getattr(np.array, "__wrapped__", np.array)


class Uncapturable(Exception):
    """The function did something a trace cannot replay (``what``, at ``site``)."""

    def __init__(self, what, site):
        super().__init__(f"{what} ({site})" if site else what)
        self.what = what
        self.site = site


class Recorder:
    """Records one call of the traced function (see the module docstring)."""

    def __init__(self, previous=None, strict=False, depth=0):
        self.depth = depth         # frames kept per call (see _site): none by default,
                                   # all after two traces disagreed, to say where
        self.phase = "forward"     # what the function is doing (seams.py sets it)
        self.ops = []
        self.roots = []
        self.by_owner = {}         # id(owner) -> Root (owners kept alive by the Roots)
        self.plain_values = {}     # id(array) -> Value of a plain array found (W2's
                                   # constants: one Value, not one per use)
        self.syms = []             # SymRef
        self.leaves = []           # LeafSlot (compile.lift)
        self.previous = previous   # the previous trace's {id(owner): root index}
        self.problems = []         # Uncapturable events (the trace cannot be replayed)
        self.strict = strict
        self.inputs = []           # (position path, Value)
        self.first_site = None
        self.sig = []              # what compare checks of the calls (signature.py)
        self.careful = []          # calls the signature does not describe in full
        self.found = []            # roots not made by a call (all others: results)

    def release(self):
        """Drop the trace's calls and memory (once it is no longer compared or built
        from): its Roots point back at it, so left whole it is a reference cycle that
        only a full collection frees (``function.promote`` puts it in the oldest
        generation), holding a step's worth of objects and constants until then."""
        self.ops, self.roots, self.by_owner, self.syms = [], [], {}, []
        self.plain_values = {}
        self.leaves, self.inputs, self.previous = [], [], None
        self.sig, self.careful, self.found = [], [], []

    # ------------------------------------------------------------------ roots
    def _new_root(self, owner, kind, created=-1):
        root = Root(len(self.roots), owner, kind, created, self, weak=kind == "result")
        self.roots.append(root)
        self.by_owner[id(owner)] = root
        if kind == "foreign":
            self.found.append(root.index)
            root.const = True                      # until written; and unless it was
            if self.previous is not None:          # there in the previous call too
                root.prev = self.previous.get(id(owner))
                root.const = root.prev is None
        return root

    def _root_of(self, owner):
        """The root of ``owner`` (an id can be reused once a result's array is freed)."""
        root = self.by_owner.get(id(owner))
        if root is not None and root.owner is not owner:
            return None
        return root

    def value_of(self, a):
        """The Value of array ``a`` (a TracedArray of this trace, or any ndarray)."""
        traced = type(a) is TracedArray or isinstance(a, TracedArray)
        if traced:
            v = getattr(a, "_v", None)
            if v is not None and v.root.rec is self:
                return v
            plain = np.ndarray.view(a, np.ndarray)
        else:
            v = self.plain_values.get(id(a))
            if v is not None and v._arr is a:
                return v
            plain = a
        owner = owner_of(plain)
        root = self._root_of(owner)
        if root is None:
            root = self._new_root(owner, "foreign")
        v = Value(root, plain)
        if traced:              # the plain view lives as long as the traced array
            a._v, a._p = v, plain
        elif root._weak is None:          # (which holds ``a``: its id stays its own)
            self.plain_values[id(a)] = v
        return v

    def traced(self, value):
        """A TracedArray showing ``value`` to the traced code."""
        arr = value.arr
        t = np.ndarray.view(arr, TracedArray)
        t._v, t._p = value, arr
        return t

    def adopt(self, a, kind="foreign"):
        """A TracedArray for an array the function found (a tensor's array)."""
        if isinstance(a, np.generic):            # a NumPy scalar: a 0-d constant
            a = _ARRAY(a)
        value = self.value_of(a)
        if kind == "input" and value.root.kind == "foreign" and not value.root.writes:
            value.root.kind = "input"
        return self.traced(value)

    # --------------------------------------------------------------- encoding
    def encode(self, x):
        """Arguments with arrays as Values and Syms as SymRefs (recursively)."""
        t = type(x)
        if t is TracedArray:
            v = getattr(x, "_v", None)
            return v if v is not None and v.root.rec is self else self.value_of(x)
        if t is float or t is int or x is None:
            return x
        if t is TracedArray or t is np.ndarray or isinstance(x, np.ndarray):
            return self.value_of(x)
        if t is Sym:
            if x.ref.index < len(self.syms) and self.syms[x.ref.index] is x.ref:
                return x.ref
            return x.value                       # a Sym of another trace: its value
        if t is tuple:
            return tuple([self.encode(v) for v in x])
        if t is list:
            return [self.encode(v) for v in x]
        if t is dict:
            return {k: self.encode(v) for k, v in x.items()}
        return x

    @staticmethod
    def concrete(x):
        t = type(x)
        if t is Value:
            return x.arr
        if t is SymRef:
            return x.value
        if t is tuple:
            return tuple([Recorder.concrete(v) for v in x])
        if t is list:
            return [Recorder.concrete(v) for v in x]
        if t is dict:
            return {k: Recorder.concrete(v) for k, v in x.items()}
        return x

    # ------------------------------------------------------------------ ops
    def _run(self, fn, args, kwargs):
        """Make the real call with recording off: NumPy's own Python code (np.pad making
        its zeros, a generator filling an np.empty) is part of the call, not more calls."""
        active = state.ACTIVE
        active[0] = None
        try:
            return fn(*args, **kwargs)
        finally:
            active[0] = self

    def _op(self, kind, fn, args, kwargs):
        op = Op(len(self.ops), kind, fn, args, kwargs)
        if kind == "decide" or self.depth:      # (by default only decisions keep one)
            op.site = _site(16 if kind == "decide" else self.depth)
        op.phase = self.phase
        self.ops.append(op)
        self.sig.append(CAREFUL)
        self.careful.append(op.index)
        return op

    def _before_write(self, values):
        """Keep a found array's values before the call writes into it, if it is not one
        the previous call used too (a parameter): an array made by the function and
        then filled must start from the same values at every replay. (The first trace
        keeps none: it is compared as the older of two only; a fresh array written in
        it costs one more trace.)"""
        if self.previous is None:
            return
        for v in values:
            if type(v) is Value:
                root = v.root
                if root.kind == "foreign" and root.prev is None and root.initial is None \
                        and not root.writes and isinstance(root.owner, np.ndarray):
                    root.initial = root.owner.copy()

    def _written(self, op, values):
        for v in values:
            if type(v) is Value:
                if not op.writes:
                    op.writes = []
                op.writes.append(v)
                root = v.root
                if not root.writes:
                    root.writes = []
                root.writes.append(op.index)
                if root.const:                 # written: not a constant any more
                    root.const = False
                    if root._weak is not None:
                        root._owner = None

    def _result(self, op, res):
        """Map a call's result to the trace: new roots, or views of known ones."""
        if type(res) is np.ndarray and res.base is None and (
                (root := self.by_owner.get(id(res))) is None or root.owner is not res):
            return fresh(self, op, res, res.flags.writeable)              # a new array
        if isinstance(res, np.ndarray):
            if isinstance(res, TracedArray):
                res = np.ndarray.view(res, np.ndarray)
            owner = owner_of(res)
            root = self._root_of(owner)
            if root is None:
                root = self._new_root(owner, "result", op.index)
                self._constant(op, root)
            value = Value(root, res)
            op.outs += (value,)
            self.sig += (OUT, root.index, value.spec())
            return self.traced(value)
        if isinstance(res, np.generic):                 # a 0-d result: a new root, lean
            return scalar(self, op, _ARRAY(res))
        if type(res) is tuple or type(res) is list:
            return type(res)(self._result(op, r) for r in res)
        return res

    def _constant(self, op, root):
        """A result of constants only is kept (a program may compute it once, at build);
        only in a trace that can become a program (one with a previous trace)."""
        if self.previous is None or op.syms or op.kind not in ("ufunc", "func", "method"):
            return
        for v in op.values:             # (a loop, not all(): it runs for every result)
            if not v.root.const:
                return
        root.const = True
        root.keep()

    def _flat(self, inputs):
        """(encoded args, plain args, Values) of positional arguments that are arrays
        and plain Python numbers only (the common case, encoded in one loop); None if
        one needs ``encode`` (a Sym, a container, another object). Appends the
        arguments' part of the call's signature (signature.py). The encoded args are a
        tuple, and for arrays only (W1's and W3's nearly every call) the Values too:
        the same tuple, one object fewer to make and to free."""
        args, plain = [], []
        sig = self.sig
        start = len(sig)
        numbers = False
        for x in inputs:
            t = type(x)
            if t is TracedArray:
                v = getattr(x, "_v", None)
                if v is None or v.root.rec is not self:
                    v = self.value_of(x)
            elif t is np.ndarray:         # a plain array: a constant, or one found
                v = self.plain_values.get(id(x))
                if v is None or v._arr is not x:
                    v = self.value_of(x)
            elif t is tuple and INDEX_PARTS.issuperset(map(type, x)):
                args.append(x)            # a shape, axes, an index: a constant (W7's
                plain.append(x)           # reshapes and broadcasts)
                numbers = True
                sig += (t, x)
                continue
            elif t is Sym or t is tuple or t is list or t is dict or \
                    isinstance(x, np.ndarray):
                del sig[start:]
                return None
            else:                         # a number, None, a dtype: a constant
                args.append(x)
                plain.append(x)
                numbers = True
                if t is int or t is bool or x is None:
                    sig += (t, x)
                else:                     # (0.0 == -0.0: compared call by call)
                    sig += (OTHER, None)
                    self.careful.append(len(self.ops))
                continue
            args.append(v)
            arr = v._arr                  # (v.arr, inlined)
            plain.append(arr if arr is not None or v._weak is None else v._weak())
            sig += (v.root.index, v._spec or v.spec())
        args = tuple(args)
        if numbers:
            return args, plain, [v for v in args if type(v) is Value]
        return args, plain, args

    def _lean_op(self, kind, fn, args, values):
        """The Op of a call of the fast paths (``Op.lean``'s fields, written out here:
        one call fewer on the hottest path)."""
        ops = self.ops
        op = _new(Op)
        op.index, op.kind, op.fn, op.args, op.kwargs, op.values, op.phase = \
            len(ops), kind, fn, args, _NO_KW, values, self.phase
        op.outs, op.writes, op.site, op.syms = (), (), (), ()
        op.expect = op.sym = op.into = op.finish = op.prelude = None
        op.skip = False
        if self.depth:
            op.site = _site(self.depth + 1)
        ops.append(op)
        self.sig += (fn, len(args))       # (its arguments' part: appended by _flat)
        return op

    def ufunc(self, ufunc, method, inputs, kwargs):
        if method == "__call__" and not kwargs:       # the common case, kept lean
            flat = self._flat(inputs)
            if flat is not None:
                args, plain, values = flat
                active = state.ACTIVE
                active[0] = None              # (self._run, inlined: the hottest path)
                try:              # (out=...: a 0-d result as a 0-d array, not a scalar
                    res = ufunc(*plain, out=...) if ufunc.nout == 1 else ufunc(*plain)
                finally:                      # the recorder would make one of again)
                    active[0] = self
                op = self._lean_op("ufunc", ufunc, args, values)
                if type(res) is np.ndarray:   # (a new array: out= was not given)
                    if res.ndim or res.dtype.kind == "O":
                        return fresh(self, op, res, True)
                    return scalar(self, op, res)
                return self._result(op, res)
        elif method == "__call__" and len(kwargs) == 1:
            out = kwargs.get("out")           # (NumPy hands ``out`` as a tuple)
            if type(out) is tuple and len(out) == 1 and type(out[0]) is TracedArray:
                v = getattr(out[0], "_v", None)
                if v is not None and v.root.rec is self:
                    flat = self._flat(inputs)
                    if flat is not None:
                        self._ufunc_into(ufunc, flat, v)
                        return out[0]
        return self._ufunc(ufunc, method, inputs, kwargs)

    def _ufunc_into(self, ufunc, flat, v):
        """``ufunc(*inputs, out=...)`` into ``v``, an array of this trace (the backward's
        in-place gradient sums: ~250 a W2 trace), recorded as ``_ufunc`` records it
        (the same Op, writes and Values) without ``encode``'s walk of the arguments."""
        args, plain, values = flat
        self._before_write((v,))
        self._run(ufunc, plain, {"out": (v.arr,)})
        op = self._lean_op("ufunc", ufunc, args, values)
        op.kwargs = {"out": (v,)}
        op.values = [*op.values, v]
        self.sig += (INTO, v.root.index, v._spec or v.spec())   # (its keywords, in full)
        self._written(op, (v,))

    def _ufunc(self, ufunc, method, inputs, kwargs):
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        args, kw = self.encode(inputs), self.encode(kwargs)
        self._before_write(args[:1] if method == "at" else kw.get("out", ()))
        res = self._run(fn, self.concrete(args), self.concrete(kw))
        op = self._op("ufunc", fn, args, kw)
        out = kwargs.get("out")
        if method == "at":
            self._written(op, args[:1])
            return None
        if out is not None:
            self._written(op, kw["out"])
            return out[0] if len(out) == 1 else out
        return self._result(op, res)

    def function(self, func, args, kwargs):
        if func in SHAPE_FUNCTIONS:
            return func(*state.plain(args), **state.plain(kwargs))
        if not kwargs and func not in IN_PLACE_FUNCTIONS:    # the common case, lean
            flat = self._flat(args)          # (np.where(mask, a, b), np.dot(a, b), ...)
            if flat is not None:
                a, plain, values = flat
                res = self._run(func, plain, _NO_KW)
                op = self._lean_op("func", func, a, values)
                if isinstance(res, (bool, int, float, complex)) and \
                        not isinstance(res, np.generic):
                    op.kind, op.expect = "decide", res      # (as below)
                    self.careful.append(op.index)
                    self._check_library(f"np.{func.__name__}() of a traced array")
                    return res
                return self._result(op, res)
        a, kw = self.encode(args), self.encode(kwargs)
        if func in IN_PLACE_FUNCTIONS:
            self._before_write(a[IN_PLACE_FUNCTIONS[func]:IN_PLACE_FUNCTIONS[func] + 1])
        out = kw.get("out")
        if out is not None:
            self._before_write(out if type(out) is tuple else (out,))
        res = self._run(func, self.concrete(a), self.concrete(kw))
        op = self._op("func", func, a, kw)
        if func in IN_PLACE_FUNCTIONS:
            self._written(op, a[IN_PLACE_FUNCTIONS[func]:IN_PLACE_FUNCTIONS[func] + 1])
        if kwargs.get("out") is not None:
            out = kw["out"]
            self._written(op, out if type(out) is tuple else (out,))
            return kwargs["out"]
        if isinstance(res, (bool, int, float, complex)) and not isinstance(res, np.generic):
            op.kind, op.expect = "decide", res      # a Python value read from data
            self._check_library(f"np.{func.__name__}() of a traced array")
            return res
        return self._result(op, res)

    def method(self, arr, name, args, kwargs):
        if not kwargs and type(arr) is TracedArray and name not in _NOT_LEAN_METHODS \
                and _plain_options(args):
            # the common case, lean (a basic index, reshape, transpose, astype: W6 makes
            # ~1,300 a trace): the arguments but the array are what ``encode`` leaves
            # as they are, and immutable, so the op holds them as given
            v = getattr(arr, "_v", None)
            if v is None or v.root.rec is not self:
                v = self.value_of(arr)
            res = self._run(getattr(np.ndarray, name), (v.arr,) + args, _NO_KW)
            ops = self.ops
            op = Op(len(ops), "method", name, (v,) + args, _NO_KW, [v])
            if self.depth:
                op.site = _site(self.depth)
            op.phase = self.phase
            ops.append(op)
            sign_call(self, op.index, name, op.args)
            return self._result(op, res)
        if name == "resize" or (name == "byteswap" and (args or kwargs)):
            self.uncapturable(f"ndarray.{name}() in place inside a compiled function")
        a, kw = self.encode((arr,) + tuple(args)), self.encode(kwargs)
        if name in IN_PLACE_METHODS:
            self._before_write(a[:1])
        if kw.get("out") is not None:
            self._before_write((kw["out"],))
        res = self._run(getattr(np.ndarray, name), self.concrete(a), self.concrete(kw))
        op = self._op("method", name, a, kw)
        if name in IN_PLACE_METHODS:
            self._written(op, a[:1])
            return res
        if kwargs.get("out") is not None:
            self._written(op, (kw["out"],))
            return kwargs["out"]
        return self._result(op, res)

    def setitem(self, arr, index, value):
        a = self.encode((arr, index, value))
        self._before_write(a[:1])
        self._run(np.ndarray.__setitem__, self.concrete(a), _NO_KW)
        op = self._op("setitem", "setitem", a, {})
        self._written(op, a[:1])

    def rng(self, generator, name, args, kwargs):
        a, kw = self.encode(args), self.encode(kwargs)
        res = self._run(getattr(generator, name), self.concrete(a), self.concrete(kw))
        op = self._op("rng", name, a, kw)
        if name in ("shuffle",):
            self._written(op, a[:1])
            return res
        return self._result(op, res)

    def array(self, fn, args, kwargs):
        """np.asarray/np.array/... of data holding traced values or Syms."""
        if len(args) == 1 and type(args[0]) is TracedArray and all(
                v is None or isinstance(v, _PLAIN_OPTIONS) for v in kwargs.values()):
            v = getattr(args[0], "_v", None)     # one array of this trace (the engine's
            if v is not None and v.root.rec is self:           # gradient copies): lean
                res = self._run(fn, (v.arr,), kwargs)
                op = Op(len(self.ops), "func", fn, (v,), kwargs, [v])
                if self.depth:
                    op.site = _site(self.depth)
                op.phase = self.phase
                self.ops.append(op)
                self.sig += (v.root.index, v._spec or v.spec(), fn, 1)   # (sign_call's)
                if kwargs:
                    sign_options(self, op.index, kwargs)
                return self._result(op, res)
        if _plain_options(args) and all(v is None or isinstance(v, _PLAIN_OPTIONS)
                                        for v in kwargs.values()):
            res = self._run(fn, args, kwargs)     # np.ones(shape, dtype=...): lean
            op = Op(len(self.ops), "func", fn, args, kwargs, [])
            if self.depth:
                op.site = _site(self.depth)
            op.phase = self.phase
            self.ops.append(op)
            sign_call(self, op.index, fn, args)
            if kwargs:
                sign_options(self, op.index, kwargs)
            return self._result(op, res)
        a, kw = self.encode(args), self.encode(kwargs)
        res = self._run(fn, self.concrete(a), self.concrete(kw))
        op = self._op("func", fn, a, kw)
        return self._result(op, res)

    # ------------------------------------------------------------ leaving values
    def leave(self, arr, what, fn):
        """bool()/float()/item()/... of a traced array: a guard in library code, where
        branches only pick a fast path or check input; not capturable in user code."""
        v = self.value_of(arr)
        res = self._run(fn, (v.arr,), _NO_KW)
        op = self._op("decide", fn, (v,), {})
        op.expect = res
        self._check_library(f"{what}() of a traced value")
        return res

    def _check_library(self, what):
        site, user = _first_outside()
        if user:
            self.uncapturable(f"{what}: its Python value would be frozen at the first "
                              "call's (data-dependent control flow or a number read from "
                              "the data)", site)

    def uncapturable(self, what, site=None):
        problem = Uncapturable(what, site or _first_outside()[0])
        if self.strict:
            raise problem
        self.problems.append(problem)

    # --------------------------------------------------------------------- Syms
    def new_sym(self, value, leaf=None, op=None):
        ref = SymRef(len(self.syms), value, leaf=leaf, op=op)
        self.syms.append(ref)
        return Sym(value, ref)

    def sym_op(self, fn, args):
        a = self.encode(args)
        value = fn(*self.concrete(a))
        op = self._op("sym", fn, a, {})
        sym = self.new_sym(value, op=op.index)
        op.sym = sym.ref
        return sym

    def sym_decide(self, fn, args):
        a = self.encode(args)
        res = fn(*self.concrete(a))
        op = self._op("decide", fn, a, {})
        op.expect = res
        return res

    def sym_array(self, sym, dtype):
        return self.array(np.asarray, (sym,), {} if dtype is None else {"dtype": dtype})


_NOT_LEAN_METHODS = IN_PLACE_METHODS | {"resize", "byteswap"}
# what ``encode`` leaves as it is, and cannot change afterwards (a list could)
_PLAIN_TYPES = frozenset({int, bool, float, str, slice, type(None), type(Ellipsis), type})


def _plain_options(args):
    """True if ``args`` hold only _PLAIN_TYPES and dtypes, directly or in tuples."""
    for x in args:
        t = type(x)
        if t is tuple:
            for y in x:
                if type(y) not in _PLAIN_TYPES:
                    return False
        elif t not in _PLAIN_TYPES and not isinstance(x, np.dtype):
            return False
    return True
