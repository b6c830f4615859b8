"""Cheaper forms of a program's steps, each the same calls on the same values.

- a reduction function (``np.sum``, ``np.max``, ...) on an ndarray as the
  ``ufunc.reduce`` call it makes;
- Syms that are whole positional arguments filled in by position (``filled``), not
  by ``program._resolve``'s recursion;
- the head: decisions and Sym arithmetic on the numbers read anew only, run first
  (``Program._to_head``, ``run_head``);
- ``np.maximum(x, 0)`` on a large array as the same call on rows of ``x`` and one row
  of zeros (``scalar_as_row``).
"""
import numpy as np

from .passes import has_sym
from .recorder import SymRef
from .state import GuardFailure

# NumPy's reduction functions on an ndarray are exactly ``ufunc.reduce(a, axis, dtype,
# out, **the other keywords given)`` (``fromnumeric._wrapreduction``); a step calls that
# directly and skips the Python wrapper (~1 us a call, more with cold caches).
# (np.any and np.all take another path: not here.)
REDUCERS = {np.sum: (np.add, True), np.prod: (np.multiply, True),
            np.amax: (np.maximum, False), np.max: (np.maximum, False),
            np.amin: (np.minimum, False), np.min: (np.minimum, False)}


def as_reduce(fn, args, kw, out):
    """``np.sum(a, axis=.., out=..)`` and the like as the ``ufunc.reduce`` call the
    function makes on an ndarray (see ``REDUCERS``), or None."""
    spec = REDUCERS.get(fn) if type(fn) is not np.ufunc else None
    if spec is None or len(args) != 1 or type(args[0]) is not np.ndarray:
        return None
    ufunc, takes_dtype = spec
    rest = {k: v for k, v in kw.items() if v is not np._NoValue}
    axis = rest.pop("axis", None)
    dtype = rest.pop("dtype", None) if takes_dtype else None
    rest.pop("out", None)
    if not set(rest) <= {"keepdims", "initial", "where"}:
        return None
    if rest.get("where") is True:        # the default: every element
        del rest["where"]
    if set(rest) == {"keepdims"}:        # positional: no keyword dict per call
        return (ufunc.reduce, (args[0], axis, dtype, out, rest["keepdims"]), None)
    return (ufunc.reduce, (args[0], axis, dtype, out), rest or None)


def sym_slots(args, kw):
    """[(position, Sym index)] if the call's Syms are all whole positional arguments
    (``np.multiply(g, -lr, out=buf)``, ``ne(-lr, 1)``), else None (they are resolved
    recursively: ``_resolve``)."""
    if type(args) is not tuple or kw and has_sym(kw):
        return None
    slots = []
    for pos, a in enumerate(args):
        if type(a) is SymRef:
            slots.append((pos, a.index))
        elif has_sym(a):
            return None
    return slots


def filled(regs, args, slots):
    """``args`` with the registers' numbers at ``slots`` (``sym_slots``)."""
    args = list(args)
    for pos, index in slots:
        args[pos] = regs[index]
    return args


def dynamic_args(regs, fn, args, slots, kw):
    args = filled(regs, args, slots)
    if kw is None:
        fn(*args)
    else:
        fn(*args, **kw)


# np.maximum / np.minimum of an array and a scalar run NumPy's loop for a stride-0
# operand, which is not vectorised: ~11 us for a 128x256 float32 ReLU, ~2.5 us for two
# arrays. The same call on the array seen as rows of ROW_MIN..ROW_MAX elements and one
# constant row (broadcast) takes the two-array loop: the same function of each pair of
# elements, NaN and signed zeros included (tests/compile/test_compile_steps.py). Rows
# shorter than ~4k elements pay one loop call per row instead; a whole-array constant
# would cost its size in memory and in cache.
ROW_SCALARS = {np.maximum, np.minimum}
ROW_MIN, ROW_MAX = 8192, 32768


def row_length(size):
    """The shortest row of ROW_MIN..ROW_MAX elements that divides ``size`` (or None)."""
    for n in range(ROW_MIN, min(size, ROW_MAX) + 1):
        if size % n == 0:
            return n
    return None


def scalar_as_row(fn, args, out, rows, held):
    """``fn(a, s, out=out)`` (or ``fn(s, a, ..)``) for a scalar ``s`` as the same call on
    ``a`` and ``out`` viewed as rows and a row of ``s`` (``rows``: the program's
    constant rows, shared by key), or None. Only when the loop is ``out``'s dtype for
    both (so the scalar is converted as the ufunc converts it) and the value survives
    that conversion; not for an array in ``held`` (the ids of arrays another part of the
    program rebinds: a caller's input read in place)."""
    if fn not in ROW_SCALARS or len(args) != 2 or type(out) is not np.ndarray:
        return None
    k = 0 if type(args[1]) is np.ndarray and args[1].ndim else 1   # the scalar's place
    a, s = args[1 - k], args[k]
    if type(a) is not np.ndarray or a.shape != out.shape or a.dtype != out.dtype or \
            out.dtype.kind != "f" or id(a) in held or id(out) in held or \
            not (a.flags.c_contiguous and out.flags.c_contiguous):
        return None
    if not (type(s) in (int, float) or type(s) is np.ndarray and s.ndim == 0
            or isinstance(s, np.floating)):
        return None
    n = row_length(out.size)
    if n is None or np.result_type(a, s) != out.dtype:
        return None
    value = np.asarray(s).astype(out.dtype)
    if not (value == s or value != value and s != s):
        return None
    key = (out.dtype.str, value.tobytes(), n)
    row = rows.get(key)
    if row is None:
        row = rows[key] = np.full(n, value, out.dtype)
        row.flags.writeable = False
    shaped = a.reshape(-1, n)
    pair = (shaped, row) if k == 1 else (row, shaped)
    return (fn, pair, {"out": (out.reshape(-1, n),)})


def same_value(a, b):
    """Python values equal as a decision (NaN equals NaN; bool kinds mix)."""
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    if type(a) is not type(b) and not (isinstance(a, (bool, np.bool_))
                                       and isinstance(b, (bool, np.bool_))):
        return False
    try:
        same = a == b
    except Exception:  # noqa: BLE001
        return False
    return bool(same.all()) if isinstance(same, np.ndarray) else bool(same)


_NUMBERS = (int, float, complex, bool, str, type(None), np.generic, np.dtype)


def number_refs(x):
    """The Sym indices in ``x``, or None if it holds anything but Syms and constants."""
    t = type(x)
    if t is SymRef:
        return {x.index}
    if t is tuple or t is list:
        refs = set()
        for v in x:
            r = number_refs(v)
            if r is None:
                return None
            refs |= r
        return refs
    return set() if isinstance(x, _NUMBERS) else None


def run_head(head, regs):
    """The head's steps (``Program._to_head``). Moved ahead of the calls they followed,
    a step may now run where a decision before it would have failed (1 / momentum
    behind ``momentum != 0``): any error is a guard failure, and the call runs eagerly,
    where the function raises it (or not) at its own place."""
    for (fn, args, _kw), op in head:
        try:
            fn(*args)
        except GuardFailure:
            raise
        except Exception as error:  # noqa: BLE001
            raise GuardFailure(op, error) from error
