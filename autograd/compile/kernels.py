"""Generated numba kernels for fused elementwise runs (the optional ``kernels`` extra).

``fuse.py`` describes a run of elementwise calls as a list of ``Instr``; ``source``
writes it as one Python function looping over the elements, which computes every call
of the run, in order, on locals and stores each buffer the run wrote. ``kernel``
compiles it with numba's ``@njit`` (cached by its source within the process: the same
run shape, on other buffers, reuses the compiled code).

Bit-identity with NumPy's loops: only IEEE-754 exactly rounded operations are generated
(``+ - * /``, negation, ``np.sqrt``, comparisons, selects, float casts), ``fastmath``
stays off (no FMA contraction, no reassociation: numba emits plain ``fmul``/``fadd``
without LLVM's ``contract`` flag), ``error_model="numpy"`` (a division by zero gives
inf/NaN as NumPy does, not ZeroDivisionError), and maximum/minimum are written as
NumPy's loops compute them: a NaN operand is the result (the first if both are), a tie
(``-0.0`` against ``0.0``) gives the second operand. Which NaN an arithmetic operation
on two NaNs gives is the first operand's in NumPy's vector loops (x86 ``addpd``...),
but LLVM may commute ``a + b``: the kernels pick the first NaN operand explicitly.
(NumPy's own scalar loop, for the elements past the last full vector, may give the
second: there the kernels follow the vector loop, not NumPy's position-dependent
result.)

numba is imported lazily, only when a kernel is asked for (``load_numba``).
"""
import time

import numpy as np

EXTRA_HINT = ("ag.compile(kernels='numba') needs numba, the optional 'kernels' extra: "
              "pip install 'glassgrad[kernels]' (or pip install numba)")

_CACHE = {}                 # source -> numba dispatcher
STATS = {"kernels": 0, "compiles": 0, "cache_hits": 0, "seconds": 0.0}


def load_numba():
    """The numba module, or an ImportError naming the extra."""
    try:
        import numba
    except ImportError as exc:
        raise ImportError(EXTRA_HINT) from exc
    return numba


def available():
    """True if numba imports (without raising)."""
    try:
        load_numba()
    except ImportError:
        return False
    return True


class Instr:
    """One fused call: ``out`` (a parameter index) = ``op`` of ``args``.

    ``args`` are operand references: ("a", p) an array parameter read at element i,
    ("z", j) a 0-d array parameter read once, ("k", j) a constant. ``dtype`` is the
    result's dtype, ``cast`` the dtypes of the operands where a cast is made (where,
    copy), else None.
    """

    __slots__ = ("op", "out", "args", "dtype", "kinds")

    def __init__(self, op, out, args, dtype, kinds):
        self.op = op
        self.out = out
        self.args = args
        self.dtype = dtype        # np.dtype of the result
        self.kinds = kinds        # np.dtype of each operand


BINARY = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/",
          "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^",
          "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
          "equal": "==", "not_equal": "!="}
ARITHMETIC = {"add", "subtract", "multiply", "divide"}
BOOL = np.dtype(np.bool_)
CASTS = {np.dtype(np.float64): "np.float64", np.dtype(np.float32): "np.float32",
         np.dtype(np.int64): "np.int64", np.dtype(np.int32): "np.int32"}


def _cast(expr, src, dst):
    """``expr`` of dtype ``src`` as ``dst`` (NumPy's unsafe cast, exactly: float to
    float rounds to nearest, int to float too, int to int wraps; fuse.py never asks
    for float to int)."""
    if src == dst:
        return expr
    if dst.kind == "b":
        return f"({expr} != 0)"
    if src.kind == "b":
        return f"({CASTS[dst]}(1) if {expr} else {CASTS[dst]}(0))"
    return f"{CASTS[dst]}({expr})"


def _expr(ins, names):
    a = names
    op = ins.op
    if op == "multiply" and ins.dtype.kind == "i" and BOOL in ins.kinds:
        x, y = (_cast(n, k, ins.dtype) for n, k in zip(a, ins.kinds))
        return f"{x} * {y}"         # (integers times a mask, cast as NumPy casts it)
    if op in BINARY:
        return f"{a[0]} {BINARY[op]} {a[1]}"
    if op == "negative":
        return f"-{a[0]}"
    if op == "invert":
        return f"(not {a[0]})" if ins.dtype.kind == "b" else f"~{a[0]}"
    if op == "sqrt":
        return f"np.sqrt({a[0]})"
    if op == "maximum":
        return (f"{a[0]} if {a[0]} != {a[0]} else ({a[1]} if {a[1]} != {a[1]} else "
                f"({a[0]} if {a[0]} > {a[1]} else {a[1]}))")
    if op == "minimum":
        return (f"{a[0]} if {a[0]} != {a[0]} else ({a[1]} if {a[1]} != {a[1]} else "
                f"({a[0]} if {a[0]} < {a[1]} else {a[1]}))")
    if op == "where":         # args: condition, a, b (cast to the result's dtype)
        x = _cast(a[1], ins.kinds[1], ins.dtype)
        y = _cast(a[2], ins.kinds[2], ins.dtype)
        return f"{x} if {a[0]} else {y}"
    if op == "copy":
        return _cast(a[0], ins.kinds[0], ins.dtype)
    raise AssertionError(op)


def source(instrs, groups, n_zero_d, const_dtypes):
    """The kernel's Python source: ``kernel(a0, .., z0, .., c)``. ``groups[p]`` is the
    group of array parameter ``p``: parameters of one group are the same memory seen
    as different dtypes, so a write to one is stored at once and the others reloaded.
    Integer results are wrapped to their dtype (numba computes int32 in int64)."""
    n_arrays = len(groups)
    members = {}
    for p, g in enumerate(groups):
        members.setdefault(g, []).append(p)
    params = [f"a{p}" for p in range(n_arrays)] + [f"z{j}" for j in range(n_zero_d)]
    lines = [f"def kernel({', '.join(params + ['c'])}):"]
    for j in range(n_zero_d):
        lines.append(f"    s{j} = z{j}[0]")
    for j, dt in enumerate(const_dtypes):
        lines.append(f"    k{j} = " + ("c[%d] != 0" % j if dt.kind == "b"
                                         else f"{CASTS[dt]}(c[{j}])"))
    for p in range(n_arrays):           # (C-contiguous arrays of the run's shape)
        lines.append(f"    a{p} = a{p}.reshape(a{p}.size)")
    lines.append("    for i in range(a0.shape[0]):")
    current, written, fresh = {}, [], 0
    for ins in instrs:
        names = []
        for kind, j in ins.args:
            if kind == "a":
                if j not in current:
                    current[j] = f"v{j}"
                    lines.append(f"        v{j} = a{j}[i]")
                names.append(current[j])
            else:
                names.append(("s" if kind == "z" else "k") + str(j))
        t, expr = f"t{fresh}", _expr(ins, names)
        if ins.dtype.kind == "i" and ins.op not in ("copy", "where"):
            expr = f"{CASTS[ins.dtype]}({expr})"
        lines.append(f"        {t} = {expr}")
        if ins.op in ARITHMETIC and ins.dtype.kind == "f":
            x, y = names    # a NaN: the first NaN operand's, as NumPy's vector loops
                            # give it (LLVM may swap the operands of a + b)
            lines.append(f"        {t} = {t} if {t} == {t} else ({x} if {x} != {x} else "
                         f"({y} if {y} != {y} else {t}))")
        current[ins.out] = t
        fresh += 1
        group = members[groups[ins.out]]
        if len(group) > 1:              # the same memory as another dtype: store now
            lines.append(f"        a{ins.out}[i] = {t}")
            for q in group:
                if q != ins.out:
                    current.pop(q, None)
        elif ins.out not in written:
            written.append(ins.out)
    for p in written:
        lines.append(f"        a{p}[i] = {current[p]}")
    lines.append("    return 0")
    return "\n".join(lines) + "\n"


def kernel(src, args):
    """The compiled kernel of ``src`` for the types of ``args`` (compiled without
    running it: a build must not write the program's buffers)."""
    numba = load_numba()
    fn = _CACHE.get(src)
    if fn is None:
        namespace = {"np": np}
        exec(compile(src, "<ag.compile fused kernel>", "exec"), namespace)   # noqa: S102
        fn = numba.njit(namespace["kernel"], error_model="numpy", fastmath=False,
                        nogil=True)
        _CACHE[src] = fn
        STATS["kernels"] += 1
    sig = tuple(numba.typeof(a) for a in args)
    seconds = 0.0
    if sig in fn.overloads:
        STATS["cache_hits"] += 1
    else:
        t0 = time.perf_counter()
        fn.compile(sig)
        seconds = time.perf_counter() - t0
        STATS["compiles"] += 1
        STATS["seconds"] += seconds
    return fn, seconds


def entry(fn, args):
    """The compiled function for exactly these argument types, called without the
    dispatcher's type matching (~0.3 us less per call); the dispatcher if numba does
    not expose it."""
    numba = load_numba()
    compiled = fn.overloads.get(tuple(numba.typeof(a) for a in args))
    return getattr(compiled, "entry_point", None) or fn
