"""``CompiledFunction``: trace, compare, build, guard, replay, and fall back.

Per cache key (the arguments' shapes and dtypes and which of them are one array:
``arguments.py``; grad mode, default dtype, the modules' train/eval flags and which
parameters train) an entry goes through

    tracing --(two consecutive traces agree)--> compiled --(a guard fails)--> tracing
       \\--(something uncapturable, or traces never agree)--> eager (with a warning)

A tracing call runs the function itself (with recording on), so it returns what the
function returns and has all its effects. The call whose trace agrees with the one
before classifies its memory and takes the guards (``guards.py``); the program is built
at the first replay (``Compiled.program``), so that no call pays for a recording and a
build. A compiled call checks the guards, brings the inputs in (an array read where it
is when it fits, else copied into the program's buffer: ``inputs.py``) and replays the
program.
"""
import functools
import gc
import warnings

import numpy as np

from .. import dtypes, grad_mode
from ..anomaly import MODE as ANOMALY
from ..tensor import Tensor, _creation, stored_grad
from . import sites
from .arguments import OVERLAP, aliasing, flat_inputs, restore_inputs, signature, \
    trace_inputs
from .compare import first_difference
from .draws import Draws
from .fuse import check_kernels
from .guards import Guards
from .lift import Lifted
from .program import Program
from .recorder import Recorder, Uncapturable, Value
from .seams import Seams
from .sites import format_frame, frames
from . import state
from .state import GuardFailure
from .traced import Sym, TracedArray
from .world import World, discover


class CompileError(RuntimeError):
    """A compiled function did something a trace cannot replay (``strict=True``)."""


class CompileWarning(UserWarning):
    """A compiled function runs eagerly instead (the message says why and where)."""


MAX_TRACES = 5            # consecutive traces that may disagree before giving up
MAX_PROGRAMS = 8          # cache entries per function before running eagerly


class Entry:
    """One cache key's state: its last trace, its program, its guards."""

    def __init__(self, replaced=0):
        self.last = None              # the previous trace (Recorder)
        self.last_table = None        # its {id(owner): root index}
        self.last_outputs = None
        self.program = None
        self.eager = None             # why this key runs eagerly (a message)
        self.disagreements = []
        self.failures = 0
        self.replaced = replaced      # programs in a row dropped for a changed plain value


class CompiledFunction:
    """``fn`` captured once and replayed (see ``autograd.compile``)."""

    def __init__(self, fn, strict=False, kernels=None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.strict = strict
        self.kernels = check_kernels(kernels)
        self.entries = {}
        self.world = None
        self.counts = {"traces": 0, "replays": 0, "eager": 0, "guard_failures": 0}
        self._last_key = None

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        bound = self.__dict__.get("_bound")
        if bound is None:
            bound = self.__dict__["_bound"] = {}
        method = bound.get(id(obj))
        if method is None or method[0] is not obj:
            compiled = CompiledFunction(self.fn.__get__(obj, cls), self.strict,
                                        self.kernels)
            method = bound[id(obj)] = (obj, compiled)
        return method[1]

    # ------------------------------------------------------------------- call
    def __call__(self, *args, **kwargs):
        if state.ACTIVE[0] is not None:       # inside another compiled function's trace:
            return self.fn(*args, **kwargs)   # part of that program
        if ANOMALY.enabled:                   # checks on every op: eager is what is asked
            return self._eager(args, kwargs)
        fresh = self.world is None      # (a world found now serves this call's trace)
        if fresh:
            self.world = World(discover(self.fn, args, kwargs))
        arrays = flat_inputs(args, kwargs)
        aliased = aliasing(arrays)
        key = (signature(args), signature(kwargs), grad_mode.STATE.enabled,
               dtypes.get_default_dtype(), aliased) + self.world.key()
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= MAX_PROGRAMS:
                self._warn(f"more than {MAX_PROGRAMS} different argument shapes, modes or "
                           "train/eval settings; this one runs eagerly")
                return self._eager(args, kwargs)
            entry = self.entries[key] = Entry()
            if aliased is OVERLAP:
                entry.eager = "arguments sharing memory"
                self._warn("two arguments share memory as different arrays (views of one "
                           "array); a program gives each argument its own buffer, so "
                           "calls with such arguments run eagerly")
        self._last_key = key
        if entry.eager is not None:
            return self._eager(args, kwargs)
        if entry.program is not None:
            # (a program whose build raised is traced anew)
            if not entry.program.broken and entry.program.guards.hold(self.world):
                return self._replay(entry, arrays, args, kwargs)
            changed = entry.program.guards.plain_changes(self.world)
            self.world = World(discover(self.fn, args, kwargs))
            self.entries[key] = entry = Entry(entry.replaced + 1 if changed else 0)
            fresh = True
            if entry.replaced >= 3:     # three programs in a row lost to a changed plain
                entry.eager = changed[0]    # value, none replayed: tracing every call
                self._warn(f"{changed[0]}: a value the function reads changed before "
                           "each of the last three replays; a trace keeps it as a constant, "
                           "so this call and the next run eagerly (pass a changing number "
                           "as a tensor argument, or read it outside the function)")
                return self._eager(args, kwargs)
        return self._trace(entry, args, kwargs, self.world if fresh else None)

    def _eager(self, args, kwargs):
        self.counts["eager"] += 1
        return self.fn(*args, **kwargs)

    def _warn(self, message):
        if self.strict:
            raise CompileError(message)
        warnings.warn(f"ag.compile({getattr(self.fn, '__qualname__', self.fn)}): {message}",
                      CompileWarning, stacklevel=4)

    def _replay(self, entry, arrays, args, kwargs):
        try:
            out = entry.program.replay(arrays, args, kwargs)
        except GuardFailure as failure:
            self.counts["guard_failures"] += 1
            entry.failures += 1
            op, got = failure.args
            if entry.failures >= 3:
                self.entries[self._last_key] = Entry()
                self._warn(f"a decision of the traced call changed three times in a row "
                           f"({_where(op)}: {op.expect!r} when traced, {got!r} now); "
                           "tracing again")
            return self._eager(args, kwargs)
        entry.failures = entry.replaced = 0
        self.counts["replays"] += 1
        return out

    # ----------------------------------------------------------------- trace
    def _trace(self, entry, args, kwargs, world=None):
        """A call run with recording on, the cyclic GC paused (``gc_paused``)."""
        with gc_paused():
            return self._traced_call(entry, args, kwargs, world)

    def _traced_call(self, entry, args, kwargs, world=None):
        """(``world``: the objects the function reaches, if found by this call.)"""
        self.counts["traces"] += 1
        if world is None:
            world = self.world = World(discover(self.fn, args, kwargs))
        rec = Recorder(previous=entry.last_table, strict=self.strict,
                       depth=64 if entry.disagreements else 0)
        for problem in world.hooks():
            rec.uncapturable(f"hooks run Python that a replay would skip: {problem}")
        before, plain = world.snapshot(), world.plain_values()
        draws = Draws(world.generators, states=entry.last is not None)
        start = next(_creation)
        traced_args, traced_kwargs = trace_inputs(rec, args, kwargs)
        seams = Seams(rec, start, world.optimizers)
        try:
            with seams, Lifted(rec, world.optimizers):
                result = _cut_graphs(_call_traced(self.fn, traced_args, traced_kwargs),
                                     start)
        except Uncapturable as problem:
            seams.restore_arrays()
            restore_inputs(rec)
            raise CompileError(f"ag.compile: {problem}") from None
        except BaseException:
            seams.restore_arrays()
            restore_inputs(rec)
            self.entries[self._last_key] = Entry()
            raise
        seams.restore_arrays()
        for problem in restore_inputs(rec):
            rec.uncapturable(problem)
        grads = {id(g): t for t, _ in seams.grads.values()
                 if (g := stored_grad(t)) is not None and not isinstance(g, (int, float))}
        outputs, result = _pack_outputs(rec, result, args, kwargs, start, grads)
        try:                            # (strict: each raises)
            for change in World.changes(before, world.snapshot()) + \
                    world.plain_changes(plain):
                rec.uncapturable(f"the function changed Python state a replay would "
                                 f"not change: {change}")
            for problem, site in draws.problems(rec, seams.empties):
                rec.uncapturable(problem, site)
        except Uncapturable as problem:
            raise CompileError(f"ag.compile: {problem}") from None
        if rec.problems:
            entry.eager = str(rec.problems[0])
            self._warn(f"{rec.problems[0]}; running it eagerly from now on")
            return result
        self._accept(entry, rec, outputs, seams, world, start)
        return result

    def _accept(self, entry, rec, outputs, seams, world, start):
        if entry.last is not None:
            diff = first_difference(entry.last, rec)
            if diff is None and outputs[0] == entry.last_outputs[0]:
                rec.sig = None           # (compared: no trace follows this one)
                try:
                    entry.program = Compiled(rec, entry.last, outputs, seams, world,
                                             start, self.kernels)
                except Uncapturable as problem:
                    entry.eager = str(problem)
                    self._warn(f"{problem}; running it eagerly from now on")
                entry.last.release()
                entry.last = entry.last_table = None
                return
            entry.disagreements.append(_describe(rec, diff))
            if len(entry.disagreements) >= MAX_TRACES:
                entry.eager = entry.disagreements[-1]
                self._warn(f"{MAX_TRACES + 1} calls traced differently (last: "
                           f"{entry.disagreements[-1]}); running it eagerly from now on")
                return
        if entry.last is not None:
            entry.last.release()
        entry.last = rec
        entry.last_table = {id(r._owner): r.index for r in rec.roots
                            if r._owner is not None}
        entry.last_outputs = outputs

    # ----------------------------------------------------------------- seeing
    def program(self):
        """The program of the most recent call's key (None while still tracing)."""
        entry = self.entries.get(self._last_key)
        if entry is None or entry.program is None or entry.program.broken:
            return None
        return entry.program.program

    def stats(self):
        """Counts (traces, replays, eager and guard-failure calls) and the program's
        size: steps and bytes of buffers it holds between calls."""
        prog = self.program()
        out = dict(self.counts)
        out["programs"] = sum(e.program is not None for e in self.entries.values())
        out["steps"] = len(prog.steps) if prog else 0
        out["buffer_bytes"] = prog.buffer_bytes() if prog else 0
        return out

    def summary(self):
        """A text summary of the current program (see ``show.summary``)."""
        from .show import summary
        return summary(self)

    def to_dot(self, **kw):
        from .show import to_dot
        return to_dot(self, **kw)

    def draw(self, **kw):
        from .show import draw
        return draw(self, **kw)


class gc_paused:
    """The cyclic GC paused while tracing or building: a trace makes a handful of
    objects per NumPy call, and collections walking them took a third of a trace's
    time, and five sixths of a build's (reference cycles made meanwhile are collected
    later). A class rather than a generator: resuming one allocates, which would run
    the collection of everything the trace made inside the traced call.

    On leaving, the objects made meanwhile are moved to the oldest generation (see
    ``promote``): a trace or a program lives for several calls, and left young, the
    first collections after it walked all of it again (W1: ~0.6 s at the start of the
    next call, ~2.6 s for the middle generation in the one after)."""

    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, kind, value, traceback):
        if self.enabled:
            promote()
            gc.enable()


def promote():
    """Every object the GC tracks moved to its oldest generation, in constant time
    (``gc.freeze()`` then ``gc.unfreeze()``): only full collections walk them. Cyclic
    garbage already there (the caller's too) waits for the next full collection
    instead of the next young one. Not done if the process froze objects itself:
    unfreezing would release those."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _call_traced(fn, args, kwargs):
    """The boundary frame: sites are reported up to here."""
    return fn(*args, **kwargs)


sites._BOUNDARY[0] = _call_traced.__code__


def _where(op):
    site = frames(op.site)
    return format_frame(site[0]) if site else "?"


def _describe(rec, diff):
    index, why = diff
    if index is None or index >= len(rec.ops):
        return why
    op = rec.ops[index]
    where = frames(op.site)
    site = next((f for f in where if not f[0].startswith(sites.LIBRARY_DIRS)),
                where[0] if where else None)
    return f"call #{index} ({op.name}) at {format_frame(site) if site else '?'}: {why}"


def _cut_graphs(x, start):
    """The result with every tensor the call made cut from its graph, as a replay's
    results are: the graph (the step's activations) is then freed before the trace
    ends, so the program need not keep those arrays for Python between calls. (Not
    ``detach()``: its result refers to the tensor it came from, which holds the graph.)"""
    t = type(x)
    if isinstance(x, Tensor):
        if x._index < start or x.grad_fn is None:
            return x
        out = Tensor.__new__(Tensor)
        out._init(x.data)
        return out
    if t in (tuple, list):
        return t(_cut_graphs(v, start) for v in x)
    if t is dict:
        return {k: _cut_graphs(v, start) for k, v in x.items()}
    return x


def _pack_outputs(rec, result, args, kwargs, start, grads):
    """(structure for replays, the result as the caller gets it now: plain arrays).

    ``grads`` maps id(.grad) -> its tensor for the gradients the call left: one returned
    is returned as the tensor's ``.grad`` is after a replay (the program writes it in
    place, and its array must stay the program's)."""
    arg_ids = {id(a): i for i, a in enumerate(list(args) + list(kwargs.values()))}

    def pack(x):
        t = type(x)
        if isinstance(x, Tensor):
            if id(x) in arg_ids:
                return ("arg", arg_ids[id(x)]), x
            if x._index < start:
                return ("same", x), x
            if id(x) in grads:
                return ("grad", grads[id(x)]), x
            v = rec.value_of(x.data)
            v.root.held = True
            v.root.keep()
            x.data = v.arr.copy()        # the caller's own, as a replay's results are
            return ("tensor", v), x
        if isinstance(x, TracedArray):
            v = rec.value_of(x)
            v.root.held = True
            v.root.keep()
            return ("array", v), v.arr.copy()
        if t is Sym:
            return ("sym", x.ref.index), x.value
        if t in (tuple, list):
            parts = [pack(v) for v in x]
            return (t.__name__,) + tuple(p for p, _ in parts), t(r for _, r in parts)
        if t is dict:
            parts = {k: pack(v) for k, v in x.items()}
            return ("dict", tuple((k, p) for k, (p, _) in parts.items())), \
                {k: r for k, (_, r) in parts.items()}
        if isinstance(x, np.ndarray) or t in (int, float, bool, str, type(None)):
            return ("const", x), x
        return ("same", x), x
    structure, plain = pack(result)
    return (_shape_of(structure), structure), plain


def _shape_of(structure):
    """The structure with values reduced to kinds: what must agree between traces."""
    if type(structure) is tuple and structure and structure[0] in ("tensor", "array"):
        return (structure[0], structure[1].root.index)
    if type(structure) is tuple:
        return tuple(_shape_of(s) for s in structure)
    return structure


class Compiled:
    """A program with its guards (``guards.py``), write-backs and output structure.

    Made when two traces agree, at the end of the second tracing call, so that what
    changes between that call and the next is seen by the guards; the program itself
    is built at its first use (``Program.build``)."""

    def __init__(self, rec, previous, outputs, seams, world, start, kernels=None):
        self._program = Program(rec, previous, kernels)
        self.broken = False
        self.outputs = outputs[1]
        self.guards = Guards(rec, seams, world, start)
        self.grad_writes = []      # (tensor, .grad) a replay leaves, as the call did
        for tensor, initial in seams.grads.values():
            final = stored_grad(tensor)     # the Tensor (a Value's .grad is a number)
            if final is not initial:
                self.grad_writes.append((tensor, final))

    @property
    def program(self):
        prog = self._program
        if not prog.built:
            if self.broken:
                raise RuntimeError("this program's build failed; it is traced again")
            self.broken = True           # until the build completes: the passes have
            with gc_paused():            # rewritten the trace, it cannot be built twice
                prog.build()
            self.broken = False
        return prog

    def buffer_bytes(self):
        return self.program.buffer_bytes()

    def replay(self, arrays, args, kwargs):
        self.program.run(arrays)
        if self.grad_writes:          # set_stored_grad's descriptor, looked up once a call
            put = Tensor.__dict__["grad"].__set__
            for tensor, grad in self.grad_writes:
                if tensor._grad is not grad:    # (usually still there from the last replay:
                    put(tensor, grad)           # the gradient Tensors stay untouched)
        if self.outputs[0] == "const":          # (a step returning None)
            return self.outputs[1]
        return self._unpack(self.outputs, list(args) + list(kwargs.values()))

    def _unpack(self, s, args):
        kind = s[0]
        if kind == "tensor":
            out = Tensor.__new__(Tensor)
            out._init(np.array(self.program.view(s[1]), copy=True))
            return out
        if kind == "array":
            return np.array(self.program.view(s[1]), copy=True)
        if kind == "arg":
            return args[s[1]]
        if kind == "same" or kind == "const":
            return s[1]
        if kind == "grad":
            return stored_grad(s[1])
        if kind == "sym":
            return self.program.regs[s[1]]
        if kind in ("tuple", "list"):
            items = [self._unpack(p, args) for p in s[1:]]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {k: self._unpack(p, args) for k, p in s[1]}
        raise AssertionError(kind)


_ = Value
