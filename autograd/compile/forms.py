"""Cheaper forms of a program's steps, each the same calls on the same values.

- a reduction function (``np.sum``, ``np.max``, ...) on an ndarray as the
  ``ufunc.reduce`` call it makes;
- Syms that are whole positional arguments filled in by position (``filled``), not
  by ``program._resolve``'s recursion;
- the head: decisions and Sym arithmetic on the numbers read anew only, run first
  (``Program._to_head``, ``run_head``).
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
