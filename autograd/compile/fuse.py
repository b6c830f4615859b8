"""Fusing runs of elementwise steps into one generated kernel (``kernels="numba"``).

A built program is a flat list of NumPy calls. On small arrays each call costs NumPy's
own overhead (~1.5 us), whatever it computes: an elementwise chain is bound by it. This
pass, run on the built steps when ``ag.compile(fn, kernels="numba")`` asks for it,
finds maximal runs of consecutive *fusable* steps and replaces each run (of two steps
or more) by one call of a kernel looping once over the elements (``kernels.py``).

A step is fusable if it is

- a ufunc of ``FUSABLE`` (exactly rounded IEEE operations, comparisons, maximum and
  minimum) writing its one result into a buffer with ``out=``, every operand of the
  same dtype as the result (comparisons: as each other, giving bool);
- a select ``where(condition, a, b)`` (how relu's gradient is recorded on arrays under
  4,096 values: the mask from ``less_equal``, then the select) with a bool condition;
- a copy or cast between float32, float64 and bool (``np.copyto``, fills);
- an integer array times a bool mask (relu's gradient on larger arrays: a float's bits
  times 0 or 1);

and its array operands have the run's shape, C-contiguous, or are 0-d (or broadcast
from one element: read once per kernel call); Python numbers are constants. Other
broadcasting, other dtypes (integers, complex), transcendental ufuncs (``exp``, ``log``,
``tanh``: NumPy's implementations are not libm's) and every other call stay NumPy calls.

Within a run two arrays are either the same view or disjoint memory (buffers shared by
results whose lifetimes do not overlap can be the same memory); a step that would
make two arrays of the run partially overlap, or write memory a 0-d operand reads,
starts a new run. Then computing element by element what the steps compute call by
call gives the same values: every element depends only on the same element of each
array. Steps whose arrays are rebuilt at each call (an input read from the caller's
array, ``inputs.py``) are left alone.
"""
import collections

import numpy as np

from . import kernels
from .inputs import _Slot
from .ir import owner_of

FUSABLE = {np.add: "add", np.subtract: "subtract", np.multiply: "multiply",
           np.true_divide: "divide", np.negative: "negative", np.sqrt: "sqrt",
           np.maximum: "maximum", np.minimum: "minimum", np.less: "less",
           np.less_equal: "less_equal", np.greater: "greater",
           np.greater_equal: "greater_equal", np.equal: "equal",
           np.not_equal: "not_equal", np.bitwise_and: "bitwise_and",
           np.bitwise_or: "bitwise_or", np.bitwise_xor: "bitwise_xor", np.invert: "invert"}
COMPARISONS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
INTS = (np.dtype(np.int32), np.dtype(np.int64))
BOOL = np.dtype(np.bool_)
KINDS = FLOATS + INTS + (BOOL,)
# the dtypes each op is fused for (its loop: every array operand of that dtype)
LOOPS = {"divide": FLOATS, "sqrt": FLOATS,
         "bitwise_and": INTS + (BOOL,), "bitwise_or": INTS + (BOOL,),
         "bitwise_xor": INTS + (BOOL,), "invert": INTS + (BOOL,)}
MIN_RUN = 2
MAX_RUN = 24      # calls per kernel: bounds LLVM's time per kernel (superlinear in the
                  # length), and a long chain's repeating pattern becomes the same source


class Fused:
    """What the pass did: one entry per kernel, for ``summary()`` and ``draw()``."""

    def __init__(self, backend):
        self.backend = backend
        self.kernels = []        # (n calls, Counter of names, shape, dtypes, seconds)
        self.groups = {}         # id(op) -> kernel number (for draw)
        self.seconds = 0.0       # compiling
        self.calls = 0           # NumPy calls replaced
        self.failed = []         # why numba refused a run (left as NumPy calls)


def _ptr(a):
    return a.__array_interface__["data"][0]


def _span(a):
    start = _ptr(a)
    return start, start + a.nbytes


def _ufunc_call(step):
    """(name, inputs, out) of a fusable ufunc step, or None."""
    fn, args, kw = step
    name = FUSABLE.get(fn) if type(fn) is np.ufunc else None
    if name is None:
        return None
    if kw is None and len(args) == fn.nin + 1:
        return name, args[:-1], args[-1]
    if kw is not None and len(args) == fn.nin and set(kw) == {"out"}:
        out = kw["out"]
        if type(out) is tuple and len(out) == 1:
            return name, args, out[0]
    return None


def describe(step, where_into):
    """(op name, operands, out) of a fusable step, or None (dtypes checked later)."""
    call = _ufunc_call(step)
    if call is not None:
        return call
    fn, args, kw = step
    if fn is where_into and kw is None and len(args) == 4:
        return "where", args[1:], args[0]
    if fn is np.copyto and len(args) == 2 and kw in (None, {"casting": "unsafe"}):
        if kw is None and getattr(args[1], "dtype", None) != getattr(args[0], "dtype", 0):
            return None             # (a cast NumPy's same_kind rule decides)
        return "copy", args[1:], args[0]
    return None


class _Run:
    """The arrays, constants and instructions of one run being collected."""

    def __init__(self, shape, constants):
        self.shape = shape
        self.constants = constants    # ids of the arrays no call writes (their values
                                      # are read at build time, like passes.fold does)
        self.arrays = []          # the arrays (parameters a0, a1, ...)
        self.keys = {}            # (address, dtype) -> parameter index
        self.group = []           # parameter -> its group (the first parameter of its
                                  # memory: the same memory seen as another dtype)
        self.spans = []           # byte spans of the parameters
        self.written = set()      # parameter indices written
        self.zero_d = []          # one-element views read once (z0, ...)
        self.zkeys = {}
        self.zspans = []
        self.consts, self.const_dtypes = [], []
        self.instrs = []
        self.steps = []           # indices of the fused steps
        self.slots = {}           # id(array) -> inputs._Slot: a view of a caller's input

    def _array(self, a):
        """The parameter of array ``a``. Arrays of the run are the same view, disjoint,
        or the same memory seen as another dtype of the same width (the bit-select of
        ``where``: float values viewed as integers): those form a group, whose writes
        go to memory at once (``kernels.source``)."""
        key = (_ptr(a), a.dtype.str)
        p = self.keys.get(key)
        if p is not None:
            return p
        lo, hi = _span(a)
        if any(lo < h and l < hi for l, h in self.zspans):
            raise _Conflict
        same = [q for q, (l, h) in enumerate(self.spans) if lo < h and l < hi]
        if any(self.spans[q] != (lo, hi) for q in same):
            raise _Conflict
        self.keys[key] = len(self.arrays)
        self.group.append(self.group[same[0]] if same else len(self.arrays))
        self.arrays.append(a)
        self.spans.append((lo, hi))
        return len(self.arrays) - 1

    def operand(self, x, dtype):
        """The reference to operand ``x`` (as dtype ``dtype`` if it is a number)."""
        if isinstance(x, np.ndarray):
            if x.dtype not in KINDS:
                raise _Unfusable
            if x.shape == self.shape and x.flags.c_contiguous:
                return ("a", self._array(x)), x.dtype
            if x.ndim == 0 or x.shape == self.shape and not any(x.strides):   # one value
                one = x.reshape(()) if x.ndim == 0 else x[(slice(0, 1),) * x.ndim]
                if id(owner_of(x)) in self.constants and \
                        float(one.reshape(())[()]) == one.reshape(())[()]:
                    self.const_dtypes.append(x.dtype)
                    self.consts.append(float(one.reshape(())[()]))
                    return ("k", len(self.consts) - 1), x.dtype
                one = one.reshape(1)
                key = (_ptr(one), one.dtype.str)
                j = self.zkeys.get(key)
                if j is None:
                    lo, hi = _span(one)
                    if any(lo < h and l < hi for p, (l, h) in enumerate(self.spans)
                           if p in self.written):
                        raise _Conflict
                    j = self.zkeys[key] = len(self.zero_d)
                    self.zero_d.append(one)
                    self.zspans.append((lo, hi))
                return ("z", j), x.dtype
            raise _Unfusable
        if isinstance(x, np.generic) and x.dtype in KINDS and (
                x.dtype.kind != "i" or abs(int(x)) <= 2**53):
            self.const_dtypes.append(x.dtype)     # a NumPy scalar: typed, as a 0-d array
            self.consts.append(float(x))
            return ("k", len(self.consts) - 1), x.dtype
        if type(x) in (int, float) and dtype is not None and dtype != BOOL:
            if dtype.kind == "i" and (type(x) is float or abs(x) > 2**53):
                raise _Unfusable                     # (float promotes; too wide for c)
            value = np.asarray(x).astype(dtype)      # NumPy's weak-scalar conversion
            if type(x) is int and value != x:
                raise _Unfusable                     # (an int NumPy would reject)
            self.const_dtypes.append(dtype)
            self.consts.append(float(value))
            return ("k", len(self.consts) - 1), dtype
        raise _Unfusable

    def output(self, out):
        if not isinstance(out, np.ndarray) or out.shape != self.shape or \
                not out.flags.c_contiguous or not out.flags.writeable or \
                out.dtype not in KINDS:
            raise _Unfusable
        p = self._array(out)
        lo, hi = self.spans[p]
        if any(lo < h and l < hi for l, h in self.zspans):
            raise _Conflict
        self.written.add(p)
        return p


class _Unfusable(Exception):
    """The step is not fusable."""


class _Conflict(Exception):
    """The step would overlap memory the run uses otherwise: start a new run."""


def _instr(run, name, operands, out):  # noqa: C901 - one branch per kind of call
    """Add one step to ``run`` (raising _Unfusable or _Conflict, leaving it unchanged
    on _Unfusable only if the caller discards the run)."""
    dtype = out.dtype if isinstance(out, np.ndarray) else None
    if name == "where":
        cond, a, b = operands
        if not isinstance(cond, np.ndarray) or cond.dtype != np.bool_:
            raise _Unfusable
        refs = [run.operand(cond, None), run.operand(a, dtype), run.operand(b, dtype)]
    elif name == "copy":
        refs = [run.operand(operands[0], dtype)]
    elif name == "multiply" and dtype in INTS and len(operands) == 2 and \
            sorted(getattr(x, "dtype", None) == BOOL for x in operands) == [False, True]:
        # integers times a bool mask (relu's gradient: a float's bits, or 0): NumPy
        # casts the mask to the integers' type, the kernel too (_cast)
        ints = [x for x in operands if x.dtype != BOOL][0]
        if not isinstance(ints, np.ndarray) or ints.dtype != dtype:
            raise _Unfusable
        refs = [run.operand(x, None) for x in operands]
    else:
        arrays = [x for x in operands if isinstance(x, (np.ndarray, np.generic))]
        if not arrays:
            raise _Unfusable
        loop = arrays[0].dtype
        if loop not in LOOPS.get(name, FLOATS + INTS) or any(x.dtype != loop
                                                           for x in arrays):
            raise _Unfusable
        expect = np.dtype(np.bool_) if name in COMPARISONS else loop
        if dtype != expect:
            raise _Unfusable
        refs = [run.operand(x, loop) for x in operands]
    kinds = tuple(k for _, k in refs)
    if name in ("where", "copy") and (dtype not in KINDS or dtype.kind == "i" and any(
            k.kind == "f" for k in kinds[-2:])):
        raise _Unfusable                     # (float -> int casts: C's undefined cases)
    p = run.output(out)
    run.instrs.append(kernels.Instr(name, p, tuple(r for r, _ in refs), dtype, kinds))


def _try(run, step, where_into):
    """Add ``step`` to ``run``; False if it is not fusable or conflicts (run unchanged)."""
    info = describe(step, where_into)
    if info is None:
        return False
    name, operands, out = info
    if not isinstance(out, np.ndarray) or out.shape != run.shape:
        return False
    saved = (len(run.arrays), dict(run.keys), len(run.spans), set(run.written),
             len(run.zero_d), dict(run.zkeys), len(run.zspans), len(run.consts),
             len(run.const_dtypes))
    try:
        _instr(run, name, operands, out)
    except (_Unfusable, _Conflict):
        n_arr, keys, n_sp, written, n_z, zkeys, n_zs, n_c, n_cd = saved
        del run.arrays[n_arr:], run.group[n_arr:], run.spans[n_sp:], run.zero_d[n_z:]
        del run.zspans[n_zs:]
        del run.consts[n_c:], run.const_dtypes[n_cd:]
        run.keys, run.written, run.zkeys = keys, written, zkeys
        return False
    return True


def _start(step, where_into, constants):
    info = describe(step, where_into)
    if info is None or not isinstance(info[2], np.ndarray):
        return None
    shape = info[2].shape
    if not shape or not info[2].size:
        return None
    run = _Run(shape, constants)
    return run if _try(run, step, where_into) else None


def check_kernels(backend):
    """``backend`` if it names a kernel compiler that imports (None: NumPy calls)."""
    if backend is None:
        return None
    if backend != "numba":
        raise ValueError(f"ag.compile: kernels={backend!r}; the only kernel compiler is "
                         "'numba' (or None, the default: NumPy calls)")
    kernels.load_numba()
    return backend


def fuse(prog, backend, where_into):
    """Rewrite ``prog.steps`` (and ``step_ops``, the input templates) in place;
    ``backend`` was checked by ``check_kernels`` when the function was compiled."""
    report = Fused(backend)
    prog.fused = report
    steps = prog.steps
    templates = {i: (args, kw) for i, _fn, args, kw in prog.inputs.templates}
    constants = set()
    for root in prog.trace.roots:
        buf = prog.phys.get(root.index)
        if root.kind == "constant" and isinstance(buf, np.ndarray):
            constants.update((id(buf), id(owner_of(buf))))
    runs, run = [], None
    for i, step in enumerate(steps):
        if run is not None and len(run.steps) < MAX_RUN and _try(run, step, where_into):
            run.steps.append(i)
            continue
        run = _start(step, where_into, constants)
        if run is not None:
            run.steps.append(i)
            runs.append(run)
    runs = [r for r in runs if len(r.steps) >= MIN_RUN and _slots(r, steps, templates)]
    if not runs:
        return report
    replace = {}
    for run in runs:
        replace[run.steps[0]] = run
    new_steps, new_ops, remap, skip_until, new_templates = [], [], {}, -1, []
    for i, step in enumerate(steps):
        if i <= skip_until:
            continue
        run = replace.get(i)
        if run is None:
            remap[i] = len(new_steps)
            new_steps.append(step)
            new_ops.append(prog.step_ops[i])
            continue
        try:
            step = _kernel_step(run, report)
        except Exception as exc:  # noqa: BLE001 - numba refusing a kernel: NumPy calls
            report.failed.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            for j in run.steps:
                remap[j] = len(new_steps)
                new_steps.append(steps[j])
                new_ops.append(prog.step_ops[j])
            skip_until = run.steps[-1]
            continue
        new_steps.append(step)
        if run.slots:
            fn, args, _kw = new_steps[-1]
            new_templates.append((len(new_steps) - 1, fn, tuple(
                run.slots.get(id(a), a) for a in args), None))
        ops = [op for j in run.steps for op in prog.step_ops[j]]
        for op in ops:
            report.groups[id(op)] = len(report.kernels) - 1
        new_ops.append(ops)
        skip_until = run.steps[-1]
    steps[:] = new_steps
    prog.step_ops[:] = new_ops
    prog.inputs.templates = [(remap[i], fn, a, kw) for i, fn, a, kw in
                             prog.inputs.templates if i in remap] + new_templates
    return report


def _slots(run, steps, templates):
    """Note in ``run.slots`` which of its arrays are views of an input read from the
    caller's array (``inputs.py`` rebuilds the kernel's arguments with the caller's
    views); False if such a view is not an array parameter (a 0-d input)."""
    run.slots = {}
    for i in run.steps:
        if i in templates:
            targs, tkw = templates[i]
            _pair(steps[i][1], targs, run.slots)
            _pair(steps[i][2], tkw, run.slots)
    params = {id(a) for a in run.arrays}
    return all(k in params for k in run.slots)


def _pair(x, template, out):
    if type(template) is tuple:
        for v, t in zip(x, template):
            _pair(v, t, out)
    elif type(template) is dict:
        for k, t in template.items():
            _pair(x[k], t, out)
    elif type(template) is _Slot:
        out[id(x)] = template


def _kernel_step(run, report):
    consts = np.array(run.consts, np.float64)
    args = tuple(run.arrays) + tuple(run.zero_d) + (consts,)
    src = kernels.source(run.instrs, run.group, len(run.zero_d), run.const_dtypes)
    fn, seconds = kernels.kernel(src, args)
    report.seconds += seconds
    report.calls += len(run.steps)
    names = collections.Counter(ins.op for ins in run.instrs)
    dtypes = sorted({str(ins.dtype) for ins in run.instrs})
    report.kernels.append((len(run.instrs), names, run.shape, dtypes, seconds))
    if not run.slots:               # (arguments never rebuilt: their types are fixed)
        fn = kernels.entry(fn, args)
    return (fn, args, None)
