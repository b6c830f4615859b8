"""0-d values in registers: a graph of scalars (micrograd's MLP) replayed as scalar math.

Eagerly, ops on 0-d tensors compute with NumPy scalars (``np.float64 * np.float64``,
~50 ns); a ufunc writing a 0-d buffer (``np.multiply(a, b, out=c)``) costs ~10x that.
So a 0-d result whose every use is a scalar-capable call (a ufunc on 0-d operands, one
0-d result) lives in a Python list of NumPy scalars, and runs of such calls become one
step: ``regs[o] = mul(regs[a], regs[b])``. Arithmetic goes through Python's operators,
which on NumPy scalars are NumPy's scalar math: the same IEEE operation, the same bits
(and the same dtype rules with Python numbers) as the ufunc. A 0-d array the program
only reads before writing it (a parameter) is loaded into a register once.
"""
import operator

import numpy as np

from .forms import same_value
from .recorder import Value
from .state import GuardFailure

OPERATORS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
             np.true_divide: operator.truediv, np.negative: operator.neg,
             np.less: operator.lt, np.less_equal: operator.le, np.greater: operator.gt,
             np.greater_equal: operator.ge, np.equal: operator.eq,
             np.not_equal: operator.ne}


def _zero_d(v):
    if type(v) is not Value:
        return False
    spec = v._spec if v._spec is not None else v.spec()
    return spec[1] == () and spec[3].kind in "fiub"


def scalar_op(op):
    """True if ``op`` is a ufunc call (or ``np.where``) on 0-d operands giving one 0-d
    result."""
    kwargs, targets = op.kwargs, op.outs
    if kwargs and kwargs.get("out"):
        targets = kwargs["out"]
        if type(targets) is not tuple:        # (a function's out=: not a ufunc call)
            return False
    if len(targets) != 1 or not _zero_d(targets[0]):    # (first: what most calls fail)
        return False
    if op.skip or op.syms or op.into is not None:
        return False
    fn = op.fn
    if op.kind == "func" and fn is np.where:
        if len(op.args) != 3 or op.kwargs:
            return False
    elif op.kind != "ufunc" or type(fn) is not np.ufunc or fn.nout != 1 \
            or len(op.args) != fn.nin:
        return False
    if kwargs and any(k != "out" for k in kwargs):
        return False
    if op.finish is not None or op.prelude is not None:
        return False
    for v in op.args:
        if not (_zero_d(v) or isinstance(v, (int, float, bool, np.generic))):
            return False
    return True


DECISIONS = (bool, int, float)


def decide_op(op):
    """True for a decision on one 0-d value (``if t.max() < n``: a label check), which
    a block makes on its register."""
    return op.kind == "decide" and not op.skip and not op.syms and not op.kwargs \
        and op.fn in DECISIONS and len(op.args) == 1 and _zero_d(op.args[0])


def reduce_op(op):
    """True for a full reduction (``ufunc.reduce``) to one 0-d result, on arrays, with
    plain options and no ``out=``: its result can be a register."""
    fn = op.fn
    if op.kind != "ufunc" or op.skip or op.syms or op.into is not None or op.writes \
            or getattr(fn, "__name__", "") != "reduce" \
            or not isinstance(getattr(fn, "__self__", None), np.ufunc):
        return False
    if op.finish is not None or op.prelude is not None or len(op.outs) != 1 \
            or not _zero_d(op.outs[0]) or "out" in op.kwargs:
        return False
    return all(type(v) is Value for v in op.args) and \
        not any(type(v) is Value for v in op.kwargs.values())


def plan(prog):
    """Decide which roots live in registers (see the module docstring). Besides the
    scalar ops' results, a full reduction's result read only by them and by decisions
    (``t.max() < n``, ``isfinite(m).all()``) is a register, and those decisions are
    made in the block: a check is one reduction and one block, not a reduction into a
    0-d array, a load, a comparison into another and a guard reading it."""
    ops = prog.trace.ops
    scalar = {op.index for op in ops if scalar_op(op)}
    decides = {op.index for op in ops if decide_op(op)}
    regs, loads = {}, {}
    prog.registers, prog.loads, prog.scalar_ops = regs, loads, scalar
    prog.reduce_steps = set()
    if not scalar and not decides:  # nothing to hold or to load for (W2: no 0-d ufunc)
        prog.sregs = []
        return
    reduces = {op.index for op in ops if reduce_op(op)}
    candidates = {root.index for root in prog.trace.roots   # 0-d arrays found: loads?
                  if root.kind == "foreign" and root.index not in prog.carried
                  and root.layout is not None and root.shape == ()
                  and root.dtype.kind in "fiub"}
    outside, users, readers = _uses(ops, scalar | decides, candidates)
    aliased = set(prog.alias) | set(prog.alias.values())
    for root in prog.trace.roots:
        i = root.index
        if root.kind != "result" or root.held or i in prog.targets or i in aliased \
                or root.writes:
            continue
        if root.layout is None or root.shape != () or \
                root.created not in scalar and root.created not in reduces:
            continue
        if i not in outside and ops[root.created].kwargs.get("out") is None:
            regs[i] = len(regs)
    decides = {d for d in decides if ops[d].args[0].root.index in regs}
    reduces = {r for r in reduces if ops[r].outs[0].root.index in regs}
    # a reduction of an input stays a step of its own, which inputs.py can rebuild on
    # the caller's array; a block's arrays are out of its sight (the input is copied)
    prog.reduce_steps = {r for r in reduces
                         if any(v.root.kind == "input" for v in ops[r].args)}
    for root in prog.trace.roots:
        i = root.index
        if i not in candidates:
            continue
        reads = readers.get(i, set())
        into = [o for o in users.get(i, ()) if ops[o].into is not None
                and ops[o].into.root is root]
        first_write = min([*root.writes, *into], default=len(ops))
        if reads - {first_write} and reads - {first_write} <= scalar and \
                all(r <= first_write for r in reads):   # read, then (maybe) written
            loads[i] = len(regs) + len(loads)
    prog.scalar_ops = scalar | decides | (reduces - prog.reduce_steps)
    prog.sregs = [None] * (len(regs) + len(loads))


def _uses(ops, scalar, wanted):
    """(the roots an op outside ``scalar`` uses, root index -> ops using it and root
    index -> ops reading it for the roots ``wanted``), without dropped ops (an op
    writing a value does not read it, unless it is a ufunc). Sets of ops for the few
    ``wanted`` only: a set per root was most of W1's build."""
    outside, users, readers = set(), {}, {}
    for op in ops:
        if op.skip:
            continue
        index = op.index
        mine = index not in scalar
        if op.into is not None:
            i = op.into.root.index
            if mine:
                outside.add(i)
            if i in wanted:
                users.setdefault(i, set()).add(index)
        written = None
        for v in op.values:
            i = v.root.index
            if mine:
                outside.add(i)
            if i not in wanted:
                continue
            users.setdefault(i, set()).add(index)
            if written is None:
                written = {id(w) for w in op.writes} if op.writes and \
                    op.kind != "ufunc" else ()
            if id(v) not in written:
                readers.setdefault(i, set()).add(index)
    return outside, users, readers


def is_register(prog, value):
    i = value.root.index
    return i in prog.registers or i in prog.loads


class Block:
    """Consecutive scalar ops: codes ``(kind, fn, out, a, b)`` (see ``run_block``)."""

    def __init__(self, prog):
        self.prog = prog
        self.code = []
        self.consts = {}
        self.loaded = {}           # (root, spec) -> the register a 0-d buffer was read into

    def operand(self, x):
        """The register of a 0-d value: its own, a constant's, or one the buffer holding it
        is read into once (and again after a step of this block writes that buffer)."""
        prog = self.prog
        if type(x) is Value:
            i = x.root.index
            if i in prog.registers:
                return prog.registers[i]
            if i in prog.loads:
                return prog.loads[i]
            key = (i, *x.spec())
            if key not in self.loaded:     # a ufunc reading a 0-d array is ~10x a scalar's
                buf = self._const(prog.view(x, opaque=True))
                prog.sregs.append(None)
                self.loaded[key] = len(prog.sregs) - 1
                self.code.append((1, _load, self.loaded[key], buf, None))
            return self.loaded[key]
        return self._const(x)

    def _const(self, x):
        # repr tells 0.0 from -0.0 and a float from an equal NumPy float (== does not)
        key = (type(x), id(x) if isinstance(x, np.ndarray) else repr(x))
        if key not in self.consts:
            self.prog.sregs.append(x)
            self.consts[key] = len(self.prog.sregs) - 1
        return self.consts[key]

    def add(self, op):
        prog = self.prog
        if op.kind == "decide":                 # kind 6: a guard on a register
            self.code.append((6, op.fn, (op, op.expect), self.operand(op.args[0]), None))
            return
        if op.kind == "ufunc" and type(op.fn) is not np.ufunc:    # kind 7: a reduction
            args, kw = reduce_options([prog.view(a, opaque=True) for a in op.args],
                                      op.kwargs)
            self.code.append((7, op.fn, prog.registers[op.outs[0].root.index], args, kw))
            return
        args = [self.operand(a) for a in op.args]
        outs = op.kwargs.get("out", ())
        target = outs[0] if outs else op.outs[0]
        register = prog.registers.get(target.root.index)
        if op.fn is np.where:                   # kinds 4/5: a select, in the result's dtype
            fn = into = _select(target.spec()[3].type)
            kinds, a, b = (4, 5), args[0], (args[1], args[2])
        else:                                   # kinds 0/1 (a register), 2/3 (a buffer)
            fn, into = OPERATORS.get(op.fn, op.fn), op.fn
            a, b = args[0], args[1] if len(args) > 1 else None
            kinds = (0, 2) if b is not None else (1, 3)
        if register is not None:
            self.code.append((kinds[0], fn, register, a, b))
            return
        self.code.append((kinds[1], into, prog.view(target, opaque=True), a, b))
        self.loaded = {}      # a buffer written: loads from it (or memory it shares) are stale


def _select(cast):
    """``np.where`` on 0-d operands: the chosen one, in the result's dtype."""
    return lambda c, a, b: cast(a if c else b)


def _load(buf):
    return buf[()]


def loads_block(prog):
    """The code loading 0-d arrays read before written (parameters) into registers."""
    code = []
    for i, r in prog.loads.items():
        value = Value.whole(prog.trace.roots[i])
        prog.sregs.append(prog.view(value, opaque=True))
        code.append((1, _load, r, len(prog.sregs) - 1, None))
    return code


_DEFAULTS = {"dtype": None, "keepdims": False, "where": True}     # ufunc.reduce's


def reduce_options(args, kwargs):
    """A reduction's arguments and keywords, those at their default left out and the
    axis given positionally (a keyword dict costs a lookup per call)."""
    kw = {k: v for k, v in kwargs.items() if k not in _DEFAULTS or v is not _DEFAULTS[k]}
    if len(args) == 1 and "axis" in kw:
        args = (args[0], kw.pop("axis"))
    return tuple(args), kw or None


def to_register(regs, out, fn, args, kw):
    """A reduction into a register, as a step of its own (``plan``: of an input)."""
    regs[out] = fn(*args) if kw is None else fn(*args, **kw)


def guards(code):
    """True if a block's code makes a decision (a guard: see ``run_block``)."""
    return any(c[0] == 6 for c in code)


def run_block(regs, code):
    """One step for a run of scalar ops: kind 0/1 writes a register with a binary/unary
    operation; 2/3 calls the ufunc with ``out=`` a 0-d buffer Python holds; 4/5 select
    (``np.where``) into a register / a 0-d buffer; 6 checks a decision on a register
    (``out``: the op and the value traced); 7 reduces arrays into a register."""
    for kind, fn, out, a, b in code:
        if kind == 0:
            regs[out] = fn(regs[a], regs[b])
        elif kind == 1:
            regs[out] = fn(regs[a])
        elif kind == 2:
            fn(regs[a], regs[b], out=out)   # keyword: np.maximum deprecates a positional out
        elif kind == 3:
            fn(regs[a], out)
        elif kind == 4:
            regs[out] = fn(regs[a], regs[b[0]], regs[b[1]])
        elif kind == 5:
            out[()] = fn(regs[a], regs[b[0]], regs[b[1]])
        elif kind == 6:
            got = fn(regs[a])
            if got is not out[1] and not same_value(got, out[1]):
                raise GuardFailure(out[0], got)
        else:
            regs[out] = fn(*a) if b is None else fn(*a, **b)
