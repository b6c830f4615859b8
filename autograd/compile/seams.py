"""Where a trace touches the rest of the program, installed for one traced call only.

The recorder sees NumPy calls on TracedArrays by itself. What it needs besides is kept
here, in one place, so that the engine can change freely around it:

1. ``Tensor.data`` and ``Tensor.grad`` (the class's slot descriptors) are wrapped: the
   first read of a tensor's array hands the traced code a TracedArray of it (this is
   how parameters, optimizer buffers and inputs enter the trace), and every tensor
   given an array during the call is noted, so that afterwards it holds a plain array
   again. ``.grad`` reads and writes are noted to guard them and to redo them.
2. The shared random generator (``autograd.factories._rng``, what ``ag.get_rng()``
   returns) is a recording proxy: dropout masks are drawn again at every replay.
3. ``np.asarray``/``np.array``/... return (or record) traced arrays instead of silently
   making plain ones, and ``math.sqrt``/``math.exp``/... follow Syms.
"""
import math
import sys
import weakref

import numpy as np

from .. import factories
from ..tensor import Tensor
from . import state
from .draws import EMPTY
from .sites import _site
from .traced import Sym, TracedArray

ARRAY_FUNCTIONS = ("asarray", "asanyarray", "array", "ascontiguousarray", "asfortranarray")
# functions making new arrays from nothing traced: their results are traced too, so that
# whatever the function computes with them reaches the recorder (np.add.at(zeros, index,
# g) does not look inside its index tuple; a traced zeros array makes it dispatch)
CREATION_FUNCTIONS = ("zeros", "ones", "empty", "full", "arange", "linspace", "eye",
                      "identity", "zeros_like", "ones_like", "empty_like", "full_like")
MATH_FUNCTIONS = ("sqrt", "exp", "log", "log1p", "log2", "log10", "expm1", "pow", "cos",
                  "sin", "tan", "tanh", "atan", "atan2", "fabs", "floor", "ceil", "trunc",
                  "copysign", "hypot", "fmod")
MATH_PREDICATES = ("isfinite", "isnan", "isinf", "isclose")
_ACTIVE = state.ACTIVE
_EMPTIES = [None]      # the active Seams' list of arrays np.empty made
RNG_METHODS = {"random", "standard_normal", "normal", "uniform", "integers", "binomial",
               "bernoulli", "exponential", "standard_exponential", "permutation", "choice",
               "shuffle", "poisson", "gamma", "standard_gamma", "beta", "multinomial"}


def _holds_traced(x, depth=0):
    t = type(x)
    if t is TracedArray or t is Sym:
        return True
    if (t is list or t is tuple) and depth < 3:
        return any(_holds_traced(v, depth + 1) for v in x[:64]) or (
            len(x) > 64 and any(_holds_traced(v, depth + 1) for v in x[64:]))
    return isinstance(x, TracedArray)


class RecordingGenerator:
    """Stands in for the shared ``np.random.Generator`` while tracing: its draws are
    recorded (and made, so the call still gets real masks and the generator advances
    exactly as it does eagerly)."""

    def __init__(self, real, recorder):
        self._real = real
        self._recorder = recorder

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if name not in RNG_METHODS:
            return attr
        recorder, real = self._recorder, self._real

        def draw(*args, **kwargs):
            return recorder.rng(real, name, args, kwargs)
        return draw


class Seams:
    """Installs the hooks above around one traced call (a context manager)."""

    def __init__(self, recorder, start, optimizers=()):
        self.rec = recorder
        self.optimizers = optimizers
        self.start = start         # tensors with a smaller ``_index`` existed before
        self.saved = []
        self.restores = []         # (module dict, {name: original}) to put back
        self.touched = {}          # id(tensor) -> [tensor, original array, traced array]
        self.assigned = []         # (weak references to) tensors given an array
        self.grads = {}            # id(tensor) -> (tensor, .grad when first touched)
        self.generator = None
        self.empties = []          # (Value, site) of each array np.empty made (draws.py)

    # ---------------------------------------------------------------- install
    def __enter__(self):
        self._hook_tensor()
        self._hook_numpy()
        self._hook_phases()
        self.generator = factories._rng
        factories._rng = RecordingGenerator(self.generator, self.rec)
        _EMPTIES[0] = self.empties
        state.ACTIVE[0] = self.rec
        return self

    def __exit__(self, *exc):
        state.ACTIVE[0] = None
        _EMPTIES[0] = None
        if factories._rng.__class__ is RecordingGenerator:
            factories._rng = self.generator
        else:
            self.rec.uncapturable("ag.manual_seed() inside a compiled function")
        for attrs, originals in self.restores:
            attrs.update(originals)
        self.restores.clear()
        for owner, name, value in reversed(self.saved):
            if value is None:
                del owner.__dict__[name]          # an instance's wrapper: the method again
            else:
                setattr(owner, name, value)
        self.saved.clear()
        return False

    def _swap(self, owner, name, value):
        self.saved.append((owner, name, owner.__dict__[name] if isinstance(owner, type)
                           else getattr(owner, name)))
        setattr(owner, name, value)

    def _hook_tensor(self):
        data, grad = Tensor.__dict__["data"], Tensor.__dict__["grad"]
        start, grads, first_read = self.start, self.grads, self.first_read
        # the slots' bound accessors taken once: every .data read of the call (several
        # per op) comes through here, and data.__get__ would make a new one each time.
        # The hooks are properties (C descriptors calling these functions), not classes
        # made for each trace: a read is one Python call, and a trace makes no class
        get, put, note, ref = data.__get__, data.__set__, self.assigned.append, weakref.ref
        get_grad, put_grad = grad.__get__, grad.__set__

        def read_data(obj):
            v = get(obj)
            if type(v) is TracedArray:
                return v
            return first_read(obj, v)

        def write_data(obj, value):
            put(obj, value)
            note(ref(obj))

        # ``.grad``: notes the value a tensor made before the call had when the call
        # first touched it (tensors made during the call are not followed)
        def read_grad(obj):
            v = get_grad(obj)
            if id(obj) not in grads and getattr(obj, "_index", start) < start:
                grads[id(obj)] = (obj, v)
            return v

        def write_grad(obj, value):
            if id(obj) not in grads and getattr(obj, "_index", start) < start:
                grads[id(obj)] = (obj, get_grad(obj))
            put_grad(obj, value)

        self._swap(Tensor, "data", property(read_data, write_data))
        self._swap(Tensor, "grad", property(read_grad, write_grad))
        self.data_slot = data
        # Value reads its data straight from the slot (see value.py): while tracing it
        # reads and writes through the hook too
        from ..value import Value

        def write_value_data(obj, value):
            write_data(obj, obj._coerce(value))
        self._swap(Value, "data", property(read_data, write_value_data))

    def _hook_phases(self):
        """Note what the calls belong to (for pictures): ``backward()``/``ag.grad`` and
        the optimizers' ``step``."""
        rec = self.rec

        def phased(fn, name):
            def run(*args, **kwargs):
                before, rec.phase = rec.phase, name
                try:
                    return fn(*args, **kwargs)
                finally:
                    rec.phase = before
            run.__wrapped__ = fn
            return run
        from .. import engine
        autograd = sys.modules["autograd"]   # ag.grad is engine.grad under a second name:
        # the package is loaded (it imported us), and importing it here would be an arrow
        # back up from compile/ to the package face
        self._swap(Tensor, "backward", phased(Tensor.backward, "backward"))
        for module in (engine, autograd):
            self._swap(module, "grad", phased(module.grad, "backward"))
        for opt in self.optimizers:
            self.saved.append((opt, "step", None))
            opt.step = phased(opt.step, "update")

    def first_read(self, tensor, array):
        """The first read of a tensor's array in this call: show it traced."""
        if array is None:
            return None
        traced = self.rec.adopt(array, "input" if id(tensor) in self.rec.input_ids
                                else "foreign")
        self.data_slot.__set__(tensor, traced)
        self.touched[id(tensor)] = [tensor, array, traced]
        return traced

    def _hook_numpy(self):
        """NumPy's array-making functions and math's functions patched: each module's
        dict updated at once, with patches made once for the same originals (made and
        swapped one by one, they were ~0.1 ms of each tracing call)."""
        for module, names, make in _PATCHED:
            attrs = vars(module)
            originals, patches = _patches(attrs, names, make)
            self.restores.append((attrs, originals))
            attrs.update(patches)

    # ------------------------------------------------------------ afterwards
    def restore_arrays(self):
        """Every tensor touched or made during the call holds a plain array again: its
        original one if the call did not replace it, else a plain view of the traced
        array (whose memory Python now holds: the root is marked ``held``)."""
        slot = self.data_slot
        for tensor, original, traced in self.touched.values():
            current = slot.__get__(tensor)
            if current is traced:
                slot.__set__(tensor, original)
        for ref in self.assigned:
            tensor = ref()
            if tensor is None:
                continue
            current = slot.__get__(tensor)
            if isinstance(current, TracedArray):
                value = self.rec.value_of(current)
                value.root.held = True
                value.root.keep()
                slot.__set__(tensor, value.arr)


def _array_patch(original, name):
    def patched(obj, *args, **kwargs):
        rec = _ACTIVE[0]
        if rec is None or type(obj) is not TracedArray and not _holds_traced(obj):
            return original(obj, *args, **kwargs)
        if type(obj) is TracedArray and name in ("asarray", "asanyarray") and not args:
            dtype = kwargs.get("dtype")
            if (dtype is None or np.dtype(dtype) == obj.dtype) and len(kwargs) <= 1:
                return obj
        return rec.array(original, (obj,) + args, kwargs)
    patched.__name__ = name
    patched.__wrapped__ = original
    return patched


def _creation_patch(original, name):
    empty = name in EMPTY

    def patched(*args, **kwargs):
        rec = _ACTIVE[0]
        if rec is None:                  # inside a call being recorded
            return original(*args, **kwargs)
        res = rec.array(original, args, kwargs)
        if empty and type(res) is TracedArray:     # (read before written: draws.py)
            _EMPTIES[0].append((res._v, _site(64)))
        return res
    patched.__name__ = original.__name__
    patched.__wrapped__ = original
    return patched


def _math_patch(original, name):
    predicate = name in MATH_PREDICATES

    def patched(*args):
        rec = _ACTIVE[0]
        if rec is not None and any(type(a) is Sym for a in args):
            return (rec.sym_decide if predicate else rec.sym_op)(original, args)
        return original(*args)
    patched.__name__ = original.__name__
    patched.__wrapped__ = original
    return patched


def _patches(attrs, names, make):
    """({name: original}, {name: patch}) for a module's current functions ``names``."""
    originals = tuple([attrs[name] for name in names])
    key = (make, originals)
    patches = _PATCHES.get(key)
    if patches is None:
        if len(_PATCHES) > 64:           # (a bound: originals replaced again and again)
            _PATCHES.clear()
        patches = _PATCHES[key] = {name: make(original, name)
                                   for name, original in zip(names, originals)}
    return dict(zip(names, originals)), patches


_PATCHED = ((np, ARRAY_FUNCTIONS, _array_patch), (np, CREATION_FUNCTIONS, _creation_patch),
            (math, MATH_FUNCTIONS + MATH_PREDICATES, _math_patch))
_PATCHES = {}        # (maker, originals) -> {name: patch}: made once, not per trace
for _module, _names, _make in _PATCHED:      # (made now: not in the first tracing call)
    _patches(vars(_module), _names, _make)
del _module, _names, _make
