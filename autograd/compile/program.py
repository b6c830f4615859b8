"""A trace turned into a program: fixed buffers and a flat list of NumPy calls.

Every root of the trace gets one buffer for good: an input's buffer receives the next
call's data, a tensor's array found by the function is used in place (the parameters,
the optimizer's buffers), a result gets an array of its own or one shared with results
whose lifetimes do not overlap (``plan.py``). Views are made once. Each recorded call
becomes a step calling the same NumPy function on those buffers, with ``out=`` where
NumPy offers it, so a replay allocates nothing and computes, call for call, what the
traced function computed: the same functions on the same values give the same bits.
"""
import operator

import numpy as np

from . import accumulate, inputs, onehot, passes, plan, scalars
from .forms import (ROW_SCALARS, as_reduce, dynamic_args, filled, number_refs,
                    run_head, same_value, scalar_as_row, sym_slots)
from .recorder import SymRef, Uncapturable, Value
from .state import GuardFailure

# ndarray methods and NumPy functions that write their result into ``out=``
METHODS_WITH_OUT = {"take", "argmax", "argmin", "dot", "choose", "trace", "compress"}
FUNCTIONS_WITH_OUT = {np.dot, np.matmul, np.einsum, np.concatenate, np.stack, np.take,
                      np.sum, np.prod, np.mean, np.amax, np.amin, np.max, np.min, np.any,
                      np.all, np.cumsum, np.cumprod, np.argmax, np.argmin, np.clip,
                      np.around, np.round, np.std, np.var, np.trace}
FILLS = {"zeros": 0, "ones": 1, "zeros_like": 0, "ones_like": 1}
_OUT_BY_KEYWORD = {np.maximum, np.minimum, np.fmax, np.fmin}   # positional out= deprecated


class Program:
    """The replayable form of a trace (``trace``; ``previous`` is the trace before it,
    which agreed with it).

    Made in two parts: the memory is classified at once (when the two traces agree: it
    is what can make a trace unreplayable, ``Uncapturable``), the passes, buffers and
    steps are built by ``build()``, at the first replay. The build reads no array's
    values but the constants' (kept since the trace) and the fresh arrays' initial
    copies, so building one call later makes the same program; it spares the call that
    recorded the second trace the build's cost."""

    def __init__(self, trace, previous, kernels=None):
        self.trace = trace
        self._handed = None        # while building: the input arrays handed out
        self.regs = [None] * len(trace.syms)
        self.notes = plan.Notes()
        self.alias = {}            # root index -> root index whose buffer it uses
        self.sym_alias = {}        # Sym index -> Sym index computing the same value
        self.phys = {}
        self.steps = []
        self.start_steps = []
        self.head = []             # (step, op): decisions on the numbers read only
        self._head_read = None     # the numbers the head last ran on (see run)
        self.rebound = []          # steps whose numbers the head fills in (_bind_numbers)
        self.kernels = kernels     # "numba": runs of elementwise calls fused (fuse.py)
        self.fused = None          # what they fused
        self.built = False
        self._views = {}           # while building: (id(buffer), spec, writeable) -> view
        self.rows = {}             # constant rows a call reads instead of a scalar (forms)
        self._classify(previous)

    def build(self):
        """The passes, the buffers and the steps (once; returns the program)."""
        if self.built:
            return self
        trace = self.trace
        reads = passes.fold(self)          # (each root's last use, on fold's walk)
        passes.dedupe(self)
        rewrote = accumulate.sum_slices(self)
        if onehot.rewrite(self) or rewrote:   # ops rewritten: they read other values
            reads = plan.last_reads(trace)
        passes.forward_stores(self, reads)
        reads = passes.prune(self)
        scalars.plan(self)
        self._assign_buffers(reads)
        candidates = self._candidate_inputs()
        self._handed = inputs.HandedOut(candidates) if candidates else None
        self._build()
        self.inputs = inputs.Inputs(self, self._handed or inputs.HandedOut({}),
                                    opaque=(scalars.run_block,))
        self._handed = self._views = None
        if self.kernels is not None:
            from . import fuse
            fuse.fuse(self, self.kernels, _where_into)
        else:
            self._bind_numbers()
        self.built = True
        return self

    # ----------------------------------------------------------------- memory
    def _classify(self, previous):
        """Foreign roots are external (used in place), constants (made by the function
        from nothing traced), fresh (made and then written: refilled at every replay)
        or carried (an array a result of the previous call left: that result's)."""
        self.carried = {}
        self.targets = set()
        self.fresh = {}
        first_use = None          # (a pass over every call: only if an array is fresh)
        for root in self.trace.roots:
            if root.kind == "input" and root.writes:
                raise Uncapturable("the function writes into its input array in place", "")
            if root.kind != "foreign":
                continue
            if root.prev is None:
                if root.writes:
                    if first_use is None:
                        first_use = plan.first_uses(self.trace)
                    root.kind, root.created = "fresh", first_use[root.index]
                    self.fresh.setdefault(root.created, []).append(root)
                else:
                    root.kind = "constant"
                continue
            before = previous.roots[root.prev]
            if before.kind == "result":
                target = self.trace.roots[root.prev]
                if target.kind != "result":
                    raise Uncapturable("an array left by the previous call is not made "
                                       "again by this one", "")
                self.carried[root.index] = target
                self.targets.add(target.index)
                target.held = True
                target.keep()
            elif before.kind == "input":
                raise Uncapturable("the function reads the previous call's input", "")

    def root_of(self, index):
        while index in self.alias:
            index = self.alias[index]
        return index

    def _assign_buffers(self, reads):
        trace = self.trace
        for root in trace.roots:
            if root.kind in ("input", "foreign", "constant") or root.held:
                self.phys[root.index] = root.owner
        births, ends = {}, {}
        in_registers, fresh, alias = self.registers, self.fresh, self.alias
        for op in trace.ops:             # (ops in order: a root's first birth is kept)
            at = op.index
            if op.skip:
                made = fresh.get(at, ())
            else:               # the roots it made, none if redirected elsewhere
                made = [v.root for v in op.outs if v.root.created == at] \
                    if op.into is None else []
                if at in fresh:
                    made += fresh[at]
                if op.prelude is not None:          # summed slices' accumulator,
                    made.append(op.prelude[1].root)  # filled by the copy first
            for root in made:
                i = root.index
                if i in in_registers:
                    continue
                if i in alias:
                    i = self.root_of(i)
                if i not in births:
                    births[i] = at
        for index, end in reads.items():
            if index in alias:
                index = self.root_of(index)
            if ends.get(index, -1) < end:
                ends[index] = end
        shared = plan.share_buffers(trace, births, ends, self.phys, self.notes,
                                    exact=self.kernels is not None)
        self.phys.update(shared)
        for index in list(self.alias):
            self.phys[index] = self.phys.get(self.root_of(index))
        for index, target in self.carried.items():
            first_write = min([target.created, *target.writes])
            if reads.get(index, -1) <= first_write:
                self.phys[index] = self.phys[target.index]        # read, then rewritten
            else:       # still read after the new value is made: keep a copy
                scratch = plan.blank_like(target.owner)
                self.phys[index] = scratch
                self.start_steps.append((np.copyto, (scratch, self.phys[target.index]), None))
                self.notes.copies += 1

    def _candidate_inputs(self):
        """Input roots the program may read from the caller's array (``inputs.py``):
        not held by Python after the call, sharing their buffer with no other root."""
        roots = [root for root in self.trace.roots if root.kind == "input"
                 and not root.held and root.index not in self.alias]
        if not roots:                    # (no input: no buffer to count the users of)
            return {}
        users = {}
        for index, buf in self.phys.items():
            users[id(buf)] = users.get(id(buf), 0) + 1
        return {root.index: self.phys[root.index] for root in roots
                if users[id(self.phys[root.index])] == 1
                and self.phys[root.index].size > 0}

    def view(self, value, opaque=False):
        """``value`` on its root's buffer (``opaque``: for state no step's arguments show,
        such as a scalar block's registers, so an input read there is always copied in)."""
        views, handed = self._views, self._handed
        if views is not None and handed is None:  # (a Value read again: ~2 in 3 reads)
            known = views.get(id(value))          # (holding it: its id stays its own)
            if known is None or known[0] is not value:
                known = views[id(value)] = (value, self._view(value, None, views))
            return known[1]
        return self._view(value, handed, views, opaque)

    def _view(self, value, handed, views, opaque=False):
        root = value.root
        index = root.index
        buf = self.phys[index]
        owner = root._owner                 # (root.owner, inlined: ~3 calls a step)
        if owner is None and root._weak is not None:
            owner = root._weak()
        if buf is owner:
            arr = value.arr
            if arr is not None:
                if handed is not None:
                    handed.note(index, arr, len(self.steps), opaque)
                return arr
        spec = value._spec or value.spec()
        # one array per view of a buffer, shared by the steps using it (a result is
        # read by the next few calls: three in four views were made again). Not for
        # a candidate input's: each array handed out for it is rebuilt by inputs.py.
        key = None if views is None or handed is not None and index in handed.roots \
            else (id(buf), spec, value.writeable)
        if key is not None:
            out = views.get(key)
            if out is not None:
                return out
        offset, shape, strides, dtype = spec
        if buf.flags.c_contiguous:
            out = np.ndarray(shape, dtype, buffer=buf, offset=offset, strides=strides)
        else:                       # an array owning its memory in another order
            out = plan.window(buf, offset, shape, strides, dtype)
        if not value.writeable:
            out.flags.writeable = False
        if key is not None:
            views[key] = out
        elif handed is not None:
            handed.note(index, out, len(self.steps), opaque)
        return out

    def buffer_bytes(self):
        """Bytes of the buffers the program owns (inputs, results, copies): not the
        arrays it uses in place (parameters, optimizer state)."""
        seen, total = set(), 0
        for index, buf in self.phys.items():
            root = self.trace.roots[index]
            if root.kind == "foreign" and index not in self.carried or \
                    self.inputs.borrowed(index):
                continue
            if isinstance(buf, np.ndarray):
                key, nbytes = plan.memory_of(buf, self.notes)
                if key not in seen:
                    seen.add(key)
                    total += nbytes
        return total + sum(row.nbytes for row in self.rows.values())

    # ------------------------------------------------------------------ steps
    def bind(self, x):
        """Arguments with Values replaced by buffers (Syms kept, as register refs)."""
        t = type(x)
        if t is Value:
            return self.view(x)
        if t is SymRef:
            index = self.sym_alias.get(x.index, x.index)
            return x if index == x.index else self.trace.syms[index]
        if t is tuple or t is list:          # (a list, not a generator: cheaper)
            out = [self.view(v) if type(v) is Value else self.bind(v) for v in x]
            return tuple(out) if t is tuple else out
        if t is dict:
            return {k: self.bind(v) for k, v in x.items()} if x else {}
        return x

    def _build(self):
        trace = self.trace
        self.leaves = list(trace.leaves)
        self._head_syms = {leaf.sym_index for leaf in self.leaves}    # (_to_head)
        self.ops = []                         # every op replayed, in order (for showing)
        self.step_ops = []                    # the ops behind each step
        block = None
        if self.loads:
            self._add((scalars.run_block, (self.sregs, scalars.loads_block(self)), None),
                      [])
        for op in trace.ops:
            if op.index in self.reduce_steps:
                k = self.registers[op.outs[0].root.index]
                args, kw = scalars.reduce_options(self.bind(op.args), op.kwargs)
                self._add((scalars.to_register, (self.sregs, k, op.fn, args, kw), None), [op])
                block = None
                continue
            if op.index in self.scalar_ops:
                if block is None:
                    block = scalars.Block(self)
                    self._add((scalars.run_block, (self.sregs, block.code), None), [])
                block.add(op)
                self.step_ops[-1].append(op)
                self.ops.append(op)
                continue
            before = len(self.steps)     # a view or a dropped op adds no step: the block goes on
            for root in self.fresh.get(op.index, ()):
                self._add(self._initialize(root), [op])
            if not op.skip:
                if op.prelude is not None:
                    src, dst = op.prelude
                    self._add((np.copyto, (self.view(dst), self.view(src)), None), [op])
                self._add(self._step(op), [op])
                if op.finish is not None:
                    buf = self.view(op.finish)
                    self._add((np.add, (buf, np.zeros((), buf.dtype), buf), None), [op])
            if len(self.steps) != before:
                block = None
        self._plan_rollback()

    def _add(self, step, ops):
        """Step ``step`` (None or (): none) of ``ops`` (the caller's own list, kept)."""
        if step is None or step == ():
            return
        fn = step[0]
        if (fn is _sym or fn is _guard) and self._to_head(step):
            self.head.append((step, ops[0]))
            self.ops.extend(ops)
            return
        self.steps.append(step)
        self.step_ops.append(ops)
        for op in ops:
            if not self.ops or self.ops[-1] is not op:
                self.ops.append(op)

    def _to_head(self, step):
        """True for a decision or Sym arithmetic on the numbers read anew only (and
        constants): SGD's ``momentum != 0``, ``-lr``, ``-lr != 1``. These run first, and
        only when a number read is not the very object the last replay read: pure
        functions of the same objects give the same results (the registers keep the
        Syms'). The known numbers: the leaves, then what the head computed."""
        fn, args, _ = step
        if fn is not _sym and fn is not _guard:
            return False
        refs = number_refs(args[3] if fn is _sym else args[2])
        if refs is None or not refs <= self._head_syms:
            return False
        if fn is _sym:
            self._head_syms.add(args[1])
        return True

    def _bind_numbers(self):
        """Steps whose numbers are all ones the head knows (SGD's ``g * -lr``: the leaves
        and what the head computes from them) become plain calls, the numbers filled in
        again whenever the head runs (``_rebind``): they change only then. Not a step an
        input read in place is rebuilt into (``inputs.py`` writes that one)."""
        templated = {t[0] for t in self.inputs.templates}
        self.rebound = []
        for i, (fn, args, _kw) in enumerate(self.steps):
            if fn is dynamic_args and i not in templated and \
                    all(index in self._head_syms for _pos, index in args[3]):
                self.rebound.append((i,) + args[1:])

    def _rebind(self, regs):
        steps = self.steps
        for i, fn, args, slots, kw in self.rebound:
            steps[i] = _positional(fn, tuple(filled(regs, args, slots)), kw)

    def _initialize(self, root):
        """The values an array the function made had before it wrote into it."""
        buf, initial = self.view(Value.whole(root)), root.initial
        self.notes.fills += 1
        if not initial.any() and not np.signbit(initial).any():
            return (np.copyto, (buf, np.zeros((), initial.dtype)), None)
        return (np.copyto, (buf, initial.copy()), None)

    def _step(self, op):
        kind = op.kind
        fn = op.fn
        if kind == "ufunc" and type(fn) is np.ufunc and not op.kwargs and not op.syms \
                and len(op.outs) == 1 and op.outs[0].root.created == op.index \
                and fn.nout == 1 and len(op.args) == fn.nin and fn not in _OUT_BY_KEYWORD:
            # the commonest call (a ufunc making one new array, no keywords, no Syms):
            # the step the general path below gives it, without its checks
            args = self.bind(op.args)
            out = self.view(op.into if op.into is not None else op.outs[0])
            self.notes.out += 1
            if self.kernels is None and fn in ROW_SCALARS:
                rowed = scalar_as_row(fn, args, out, self.rows,
                                      self._handed.arrays if self._handed else ())
                if rowed is not None:
                    return rowed
            return (fn, args + (out,), None)
        if kind == "sym":
            args = self.bind(op.args)
            return (_sym, (self.regs, op.sym.index, op.fn, args, sym_slots(args, None)),
                    None)
        if kind == "decide":
            args = self.bind(op.args)
            return (_guard, (self.regs, op.fn, args, op.expect, op, sym_slots(args, None)),
                    None)
        new = [v for v in op.outs if v.root.created == op.index]
        if not new and not op.writes and kind != "rng":
            self.notes.views += 1
            return None                           # a view: made once, above
        args, kw = self.bind(op.args), self.bind(op.kwargs)
        dynamic = bool(op.syms)
        outs = tuple([self.view(op.into if op.into is not None else v) for v in new])
        if kind == "rng":
            return (_draw, (op.fn, args, kw, self.regs if dynamic else None, outs,
                            tuple(v.root.created == op.index for v in op.outs)), None)
        special = None if dynamic or kind == "ufunc" else self._special(op, new, args, kw,
                                                                         outs)
        if special is not None:
            return special
        fn = getattr(np.ndarray, op.fn) if kind == "method" else (
            np.ndarray.__setitem__ if kind == "setitem" else op.fn)
        if new and len(new) == len(op.outs) and self._takes_out(op, new):
            self.notes.out += 1
            reduction = as_reduce(fn, args, kw, outs[0]) if not dynamic else None
            if reduction is not None:
                return reduction
            if kind == "ufunc" and not kw and not dynamic and self.kernels is None:
                rowed = scalar_as_row(fn, args, outs[0], self.rows,
                                      self._handed.arrays if self._handed else ())
                if rowed is not None:
                    return rowed
            kw = dict(kw)
            kw["out"] = outs if kind == "ufunc" else outs[0]
            new = []
            if not dynamic:
                return _positional(fn, args, kw)
        if dynamic:
            slots = None if new else sym_slots(args, kw)
            if slots:                       # Syms only as plain arguments: no _resolve
                return (dynamic_args, (self.regs, fn, args, slots, kw), None)
            return (_dynamic, (self.regs, fn, args, kw, outs if new else None), None)
        if new:
            return (_into, (fn, args, kw, outs), None)
        return _positional(fn, args, kw)

    def _special(self, op, new, args, kw, outs):
        """Cheaper exact forms: a cast or copy as ``np.copyto``, a zeros/ones array as a
        fill, an empty one as nothing."""
        if len(new) != 1 or len(op.outs) != 1:
            return None
        name = op.fn if op.kind == "method" else getattr(op.fn, "__name__", "")
        if op.kind == "method" and name in ("astype", "copy", "__copy__"):
            return (np.copyto, (outs[0], args[0]), {"casting": "unsafe"})
        if op.kind == "func" and name == "array" and args and isinstance(args[0], np.ndarray):
            return (np.copyto, (outs[0], args[0]), {"casting": "unsafe"})
        if op.kind == "func" and name in FILLS and "order" not in kw:
            self.notes.fills += 1
            return (np.copyto, (outs[0], np.asarray(FILLS[name], outs[0].dtype)), None)
        if op.kind == "func" and name in ("empty", "empty_like"):
            return ()
        if op.kind == "func" and name == "where" and len(args) == 3 and not kw:
            return (_where_into, (outs[0],) + tuple(args), None)
        return None

    @staticmethod
    def _takes_out(op, new):
        if op.kind == "ufunc":
            return True
        if len(new) != 1 or "out" in op.kwargs:
            return False
        if op.kind == "method":
            return op.fn in METHODS_WITH_OUT
        return op.kind == "func" and op.fn in FUNCTIONS_WITH_OUT

    def _plan_rollback(self):
        """A guard failing mid-replay must leave no trace: arrays that outlive the call
        (parameters, buffers, results Python holds) written before the last guard are
        copied first, and the generator's state saved if it drew before it."""
        self.last_guard = max((i for i, s in enumerate(self.steps) if s[0] is _guard or
                               s[0] is scalars.run_block and scalars.guards(s[1][1])),
                              default=-1)
        self.backups, self.save_rng = [], False
        if self.last_guard < 0:
            return
        lasting = {index for index, root in enumerate(self.trace.roots)
                   if root.kind == "foreign" or root.held or index in self.carried}
        seen = set()
        for op in (op for ops in self.step_ops[:self.last_guard + 1] for op in ops):
            if op.kind == "rng":
                self.save_rng = True
            for v in op.writes:
                if v.root.index in lasting and v.root.index not in seen:
                    seen.add(v.root.index)
                    buf = self.phys[v.root.index]
                    self.backups.append((buf, np.empty_like(buf)))

    # -------------------------------------------------------------------- run
    def run(self, arrays):
        """One replay: bring the inputs in, read the numbers, run every step."""
        self.inputs.load(arrays)
        regs = self.regs
        numbers = [leaf.read() for leaf in self.leaves]
        for leaf, x in zip(self.leaves, numbers):
            regs[leaf.sym_index] = x
        if self.head or self.rebound:
            last = self._head_read
            if last is None or any(map(operator.is_not, numbers, last)):
                self._head_read = None
                run_head(self.head, regs)
                self._rebind(regs)
                self._head_read = numbers
        for buf, backup in self.backups:
            np.copyto(backup, buf)
        if self.save_rng:
            from .. import factories
            rng_state = factories._rng.bit_generator.state
        try:
            for fn, args, kw in self.start_steps:
                fn(*args)
            for fn, args, kw in self.steps:
                if kw is None:
                    fn(*args)
                else:
                    fn(*args, **kw)
        except GuardFailure:
            for buf, backup in self.backups:
                np.copyto(buf, backup)
            if self.save_rng:
                factories._rng.bit_generator.state = rng_state
            raise
        for leaf in self.leaves:
            if leaf.result is not None:
                leaf.write(regs[self.sym_alias.get(leaf.result, leaf.result)])


_REDUCE_KEYS = {"axis", "dtype", "out", "keepdims", "where"}


def _positional(fn, args, kw):
    """A step ``(fn, args, kw)``; a ufunc's ``out=`` given positionally (a keyword costs
    a dict per call), its default ``casting="same_kind"`` left out; a ``ufunc.reduce``
    with its axis, dtype, out and keepdims in their places."""
    if kw and getattr(fn, "__name__", "") == "reduce" and len(args) == 1 and \
            isinstance(getattr(fn, "__self__", None), np.ufunc) and set(kw) <= _REDUCE_KEYS \
            and kw.get("where", True) is True:
        out = kw.get("out")
        if type(out) is tuple and len(out) == 1:
            out = out[0]
        return (fn, (args[0], kw.get("axis", 0), kw.get("dtype"), out,
                     kw.get("keepdims", False)), None)
    if type(fn) is np.ufunc and kw and fn not in _OUT_BY_KEYWORD:
        if kw.get("casting") == "same_kind":
            kw = {k: v for k, v in kw.items() if k != "casting"}
        out = kw.get("out")
        if len(kw) == 1 and type(out) is tuple and len(out) == fn.nout \
                and len(args) == fn.nin:
            return (fn, tuple(args) + out, None)
    return (fn, args, kw or None)


def _resolve(regs, x):
    t = type(x)
    if t is SymRef:
        return regs[x.index]
    if t is tuple or t is list:
        return t(_resolve(regs, v) for v in x)
    if t is dict:
        return {k: _resolve(regs, v) for k, v in x.items()}
    return x


def _sym(regs, index, fn, args, slots=None):
    regs[index] = fn(*(_resolve(regs, args) if slots is None else
                       filled(regs, args, slots)))


def _guard(regs, fn, args, expect, op, slots=None):
    got = fn(*(_resolve(regs, args) if slots is None else filled(regs, args, slots)))
    if got is not expect and not same_value(got, expect):    # (a bool: the same object)
        raise GuardFailure(op, got)


def _put(outs, res):
    if len(outs) == 1:
        np.copyto(outs[0], res, casting="unsafe")
    else:
        for o, r in zip(outs, res):
            np.copyto(o, r, casting="unsafe")


def _where_into(out, condition, a, b):
    """np.where(condition, a, b) into ``out``: the same elements, without allocating."""
    np.copyto(out, b, casting="unsafe")
    np.copyto(out, a, casting="unsafe", where=condition)


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
