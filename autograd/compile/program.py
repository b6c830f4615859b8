"""A trace turned into a program: fixed buffers and a flat list of NumPy calls.

Every root of the trace gets one buffer for good: an input's buffer receives the next
call's data, a tensor's array found by the function is used in place (the parameters,
the optimizer's buffers), a result gets an array of its own (or one shared with
results whose lifetimes do not overlap, see ``plan.py``). Views are made once. Each
recorded call becomes a step calling the same NumPy function on those buffers, with
``out=`` where NumPy offers it, so a replay allocates nothing and computes, call for
call, what the traced function computed: the same functions on the same values give
the same bits.
"""
import numpy as np

from . import plan
from .recorder import SymRef, Uncapturable, Value
from .state import GuardFailure

# ndarray methods and NumPy functions that write their result into ``out=``
METHODS_WITH_OUT = {"take", "argmax", "argmin", "dot", "choose", "trace", "compress"}
FUNCTIONS_WITH_OUT = {np.dot, np.matmul, np.einsum, np.concatenate, np.stack, np.take,
                      np.sum, np.prod, np.mean, np.amax, np.amin, np.max, np.min, np.any,
                      np.all, np.cumsum, np.cumprod, np.argmax, np.argmin, np.clip,
                      np.around, np.round, np.std, np.var, np.trace}


def blank_like(a):
    """A new array with ``a``'s shape, dtype and strides (so saved views fit it)."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return np.empty_like(a, order="K")
    lo, hi = np.byte_bounds(a)
    raw = np.empty(hi - lo, dtype=np.uint8)
    offset = a.__array_interface__["data"][0] - lo
    return np.ndarray(a.shape, a.dtype, buffer=raw, offset=offset, strides=a.strides)


def _same(a, b):
    if type(a) is not type(b) and not (isinstance(a, (bool, np.bool_))
                                       and isinstance(b, (bool, np.bool_))):
        return False
    if isinstance(a, float) and a != a:
        return b != b
    try:
        same = a == b
    except Exception:  # noqa: BLE001
        return False
    return bool(same.all()) if isinstance(same, np.ndarray) else bool(same)


class Program:
    """The replayable form of a trace (``trace``; ``previous`` is the trace before it,
    which agreed with it)."""

    def __init__(self, trace, previous):
        self.trace = trace
        self.regs = [None] * len(trace.syms)
        self.notes = plan.Notes()
        self._classify(previous)
        self.phys = {}
        self._assign_buffers()
        self.steps = []
        self.start_steps = []
        self._build()

    # ----------------------------------------------------------------- memory
    def _classify(self, previous):
        """Foreign roots are external (read in place), constants, or carried: the array
        a result of the previous call left behind (its buffer is that result's)."""
        self.carried = {}
        self.fresh = {}          # op index -> roots the function made and then wrote
        first_use = plan.first_uses(self.trace)
        for root in self.trace.roots:
            if root.kind == "foreign" and root.prev is None and root.writes:
                root.kind, root.created = "fresh", first_use[root.index]
                self.fresh.setdefault(root.created, []).append(root)
                continue
            if root.kind == "input" and root.writes:
                raise Uncapturable("the function writes into its input array in place",
                                   "")
            if root.kind != "foreign" or root.prev is None:
                continue
            before = previous.roots[root.prev]
            if before.kind == "result":
                target = self.trace.roots[root.prev]
                if target.kind != "result":
                    raise Uncapturable("an array left by the previous call is not made "
                                       "again by this one", "")
                self.carried[root.index] = target
                target.held = True
            elif before.kind == "input":
                raise Uncapturable("the function reads the previous call's input", "")

    def _assign_buffers(self):
        trace = self.trace
        reads = plan.last_reads(trace)
        for root in trace.roots:
            if root.kind in ("input", "foreign") and root.index not in self.carried:
                self.phys[root.index] = root.owner
        for root in trace.roots:
            if root.kind == "result" and root.held:
                self.phys[root.index] = root.owner
        births = {}
        for op in trace.ops:
            births[op.index] = plan.created(op) + self.fresh.get(op.index, [])
        shared = plan.share_buffers(trace, births, self.phys, reads, self.notes)
        self.phys.update(shared)
        for index, target in self.carried.items():
            first_write = min([target.created] + target.writes)
            if reads.get(index, -1) <= first_write:
                self.phys[index] = self.phys[target.index]        # read, then rewritten
            else:       # still read after the new value is made: keep a copy
                scratch = blank_like(target.owner)
                self.phys[index] = scratch
                self.start_steps.append((np.copyto, (scratch, self.phys[target.index]), None))
                self.notes.copies += 1

    def view(self, value):
        """``value`` on its root's buffer."""
        buf = self.phys[value.root.index]
        if buf is value.root.owner:
            return value.arr
        offset, shape, strides, dtype = value.spec()
        out = np.ndarray(shape, dtype, buffer=buf, offset=offset, strides=strides)
        if not value.arr.flags.writeable:
            out.flags.writeable = False
        return out

    # ------------------------------------------------------------------ steps
    def bind(self, x):
        """Arguments with Values replaced by buffers; ``dynamic`` if Syms are in them."""
        t = type(x)
        if t is Value:
            return self.view(x)
        if t is tuple or t is list:
            return t(self.bind(v) for v in x)
        if t is dict:
            return {k: self.bind(v) for k, v in x.items()}
        return x

    def _build(self):
        trace = self.trace
        self.inputs = [(root.slot, self.phys[root.index]) for root in trace.roots
                       if root.kind == "input"]
        self.leaves = list(trace.leaves)
        for op in trace.ops:
            for root in self.fresh.get(op.index, ()):
                self.steps.append(self._initialize(root))
            step = self._step(op)
            if step is not None:
                self.steps.append(step)
        self.last_guard = max((i for i, s in enumerate(self.steps) if s[0] is _guard),
                              default=-1)

    def _step(self, op):
        kind = op.kind
        if kind == "sym":
            return (_sym, (self.regs, op.sym.index, op.fn, self.bind(op.args)), None)
        if kind == "decide":
            return (_guard, (self.regs, op.fn, self.bind(op.args), op.expect, op), None)
        new = [v for v in op.outs if v.root.created == op.index]
        if not new and not op.writes and kind != "rng":
            self.notes.views += 1
            return None                           # a view: made once, above
        args, kw = self.bind(op.args), self.bind(op.kwargs)
        dynamic = _has_sym(op.args) or _has_sym(op.kwargs)
        outs = tuple(self.view(v) for v in new)
        if kind == "rng":
            return (_draw, (op.fn, args, kw, self.regs if dynamic else None,
                            outs, tuple(v.root.created == op.index for v in op.outs)), None)
        fn = op.fn
        if kind == "method":
            fn = getattr(np.ndarray, fn)
        if kind == "setitem":
            fn = np.ndarray.__setitem__
        if new and len(new) == len(op.outs) and self._takes_out(op, new):
            kw = dict(kw)
            kw["out"] = outs if kind == "ufunc" else outs[0]
            self.notes.out += 1
            new = []
        if dynamic:
            return (_dynamic, (self.regs, fn, args, kw, outs if new else None), None)
        if new:
            return (_into, (fn, args, kw, outs), None)
        return (fn, args, kw or None)

    def _initialize(self, root):
        """The values an array the function made had before it wrote into it."""
        buf, initial = self.phys[root.index], root.initial
        if not initial.any() and not np.signbit(initial).any():
            return (np.copyto, (buf, np.zeros((), initial.dtype)), None)
        return (np.copyto, (buf, initial), None)

    @staticmethod
    def _takes_out(op, new):
        if op.kind == "ufunc":
            return True
        if len(new) != 1 or "out" in op.kwargs:
            return False
        if op.kind == "method":
            return op.fn in METHODS_WITH_OUT
        return op.kind == "func" and op.fn in FUNCTIONS_WITH_OUT

    def buffer_bytes(self):
        """Bytes of the buffers the program owns (inputs, results, copies): not the
        arrays it uses in place (parameters, optimizer state)."""
        seen, total = set(), 0
        for index, buf in self.phys.items():
            root = self.trace.roots[index]
            if root.kind == "foreign" and index not in self.carried:
                continue
            if id(buf) not in seen and isinstance(buf, np.ndarray):
                seen.add(id(buf))
                total += buf.nbytes
        return total

    # -------------------------------------------------------------------- run
    def run(self, arrays):
        """One replay: copy the inputs in, read the numbers, run every step."""
        for slot, buf in self.inputs:
            np.copyto(buf, arrays[slot])
        regs = self.regs
        for leaf in self.leaves:
            regs[leaf.sym_index] = leaf.read()
        for fn, args, kw in self.start_steps:
            fn(*args)
        for fn, args, kw in self.steps:
            if kw is None:
                fn(*args)
            else:
                fn(*args, **kw)
        for leaf in self.leaves:
            if leaf.result is not None:
                leaf.write(regs[leaf.result])


def _has_sym(x):
    t = type(x)
    if t is SymRef:
        return True
    if t is tuple or t is list:
        return any(_has_sym(v) for v in x)
    if t is dict:
        return any(_has_sym(v) for v in x.values())
    return False


def _resolve(regs, x):
    t = type(x)
    if t is SymRef:
        return regs[x.index]
    if t is tuple or t is list:
        return t(_resolve(regs, v) for v in x)
    if t is dict:
        return {k: _resolve(regs, v) for k, v in x.items()}
    return x


def _sym(regs, index, fn, args):
    regs[index] = fn(*_resolve(regs, args))


def _guard(regs, fn, args, expect, op):
    got = fn(*_resolve(regs, args))
    if not _same(got, expect):
        raise GuardFailure(op, got)


def _put(outs, res):
    if len(outs) == 1:
        np.copyto(outs[0], res, casting="unsafe")
    else:
        for o, r in zip(outs, res):
            np.copyto(o, r, casting="unsafe")


def _into(fn, args, kw, outs):
    _put(outs, fn(*args, **kw))


def _dynamic(regs, fn, args, kw, outs):
    res = fn(*_resolve(regs, args), **_resolve(regs, kw))
    if outs is not None:
        _put(outs, res)


def _draw(name, args, kw, regs, outs, fresh):
    from .. import factories
    if regs is not None:
        args, kw = _resolve(regs, args), _resolve(regs, kw)
    res = getattr(factories._rng, name)(*args, **kw)
    if outs:
        parts = res if len(fresh) > 1 else (res,)
        _put(outs, tuple(r for r, f in zip(parts, fresh) if f))
