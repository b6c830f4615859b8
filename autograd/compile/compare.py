"""Do two traces of the same function describe the same program?

A program is accepted only after two consecutive calls traced the same calls on the
same kinds of memory: that is what shows the steady state (an optimizer that makes its
buffers on the first step traces differently once), and it is how the arrays a call
leaves behind for the next one (a momentum buffer, an accumulated gradient) are told
apart from constants: in the second trace they are results of the first.
"""
import math

import numpy as np

from .recorder import SymRef, Value


def _fn_key(op):
    fn = op.fn
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        return (owner, fn.__name__)
    return fn


def _same_constant(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and (a != 0 or np.signbit(a) == np.signbit(b)) or (a != a and b != b)
    if isinstance(a, np.dtype) or a is None or isinstance(a, (int, str, bool, slice, type)):
        return a == b
    try:
        same = a == b
        return bool(same) if not isinstance(same, np.ndarray) else bool(same.all())
    except Exception:  # noqa: BLE001 - incomparable objects: only identity counts
        return a is b


def _same_arg(a, b):
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is Value:
        return a.root.index == b.root.index and a.spec() == b.spec()
    if ta is SymRef:
        return a.index == b.index
    if ta is tuple or ta is list:
        return len(a) == len(b) and all(_same_arg(x, y) for x, y in zip(a, b))
    if ta is dict:
        return a.keys() == b.keys() and all(_same_arg(a[k], b[k]) for k in a)
    return _same_constant(a, b)


# types whose values are equal under == only if they are of the same type and the same
# (no float: 0.0 == -0.0; no bool: True == 1), so a tuple of them compares in one call
_EXACT = frozenset({int, slice, type(None), type(Ellipsis)})


def _same_args(xs, ys):
    """``_same_arg`` on two argument tuples, with the common kinds (arrays, Python
    numbers) compared inline: this loop runs for every call of a trace."""
    if type(xs) is not type(ys) or len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        tx = type(x)
        if tx is not type(y):
            return False
        if tx is Value:
            if x.root.index != y.root.index:
                return False
            spec = x._spec                  # (new arrays share their spec tuples)
            if (spec is None or spec is not y._spec) and \
                    (spec or x.spec()) != (y._spec or y.spec()):
                return False
        elif tx is float:
            if x == y:
                if x == 0.0 and math.copysign(1.0, x) != math.copysign(1.0, y):
                    return False
            elif x == x or y == y:          # unequal, and not both NaN
                return False
        elif tx is int or tx is bool:
            if x != y:
                return False
        elif tx is tuple and _EXACT.issuperset(map(type, x)) and \
                _EXACT.issuperset(map(type, y)):
            if x != y:                      # (an index: ints and slices, compared in C)
                return False
        elif not _same_arg(x, y):
            return False
    return True


def _same_outs(xs, ys):
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        if x.root.index != y.root.index or (x._spec or x.spec()) != (y._spec or y.spec()):
            return False
    return True


_OPTION_TYPES = frozenset({int, bool, str, type(None)})


def _same_options(x, y):
    """True if two calls' keywords are plain options (ints, bools, strings, None,
    dtypes) and the same, compared in C (``np.array(g, dtype=...)``: a quarter of W1's
    calls); False if they differ or are anything else (``_same_arg`` decides then)."""
    if type(x) is not dict or type(y) is not dict or list(x) != list(y):
        return False
    types = list(map(type, x.values()))
    if types != list(map(type, y.values())):
        return False
    for t in types:
        if t not in _OPTION_TYPES and not issubclass(t, np.dtype):
            return False
    return x == y


def _same_op(a, b):
    if a.kind != b.kind or (a.fn is not b.fn and _fn_key(a) != _fn_key(b)):
        return "a different call"
    if not _same_args(a.args, b.args) or \
            (a.kwargs or b.kwargs) and not _same_arg(a.kwargs, b.kwargs):
        return "different arguments"
    if not _same_outs(a.outs, b.outs):
        return "results of another shape or layout"
    if a.kind == "decide" and not _same_constant(a.expect, b.expect):
        return f"a different decision ({a.expect!r} then {b.expect!r})"
    return None


def _same_root(a, b):
    if a.kind != b.kind or a.slot != b.slot:
        return "memory of another kind"
    if a.kind != "foreign":
        return None
    if b.prev is not None:
        return None                     # the same array again, or the last call's result
    if a.owner is b.owner:
        return None
    if a.writes or b.writes:
        if a.initial is None or b.initial is None:
            return "an array made outside the trace and then written (traced once more)"
        x, y = a.initial, b.initial
    else:
        x, y = a.owner, b.owner
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        return "a different object"
    if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(
            x, y, equal_nan=x.dtype.kind in "fc"):
        return ("an array made outside the trace with different values (computed from "
                "the data with a call the trace cannot see, or drawn from another "
                "random generator)")
    return None


def first_difference(prev, cur):
    """None if the traces agree, else (op index or None, reason)."""
    if len(prev.syms) != len(cur.syms) or [s.leaf for s in prev.syms] != \
            [s.leaf for s in cur.syms]:
        return None, "different Python numbers followed"
    if len(prev.ops) == len(cur.ops) and len(prev.roots) == len(cur.roots) and \
            prev.careful == cur.careful and prev.found == cur.found and prev.sig == cur.sig:
        return _differs_where_unsigned(prev, cur)
    n = min(len(prev.ops), len(cur.ops))
    i = 0
    for a, b in zip(prev.ops, cur.ops):
        # the common call (the same function, no keywords or plain ones, not a
        # decision) checked inline; anything else, or a difference, by _same_op (which
        # names it)
        if a.fn is b.fn and a.kind == b.kind and a.kind != "decide" and \
                (not a.kwargs and not b.kwargs or _same_options(a.kwargs, b.kwargs)) \
                and _same_args(a.args, b.args):
            xs, ys = a.outs, b.outs
            if len(xs) == 1 and len(ys) == 1:
                x, y = xs[0], ys[0]
                spec = x._spec
                if x.root.index == y.root.index and (
                        spec is y._spec and spec is not None or
                        (spec or x.spec()) == (y._spec or y.spec())):
                    i += 1
                    continue
            elif _same_outs(xs, ys):
                i += 1
                continue
        why = _same_op(a, b)
        if why:
            return i, why
        i += 1
    if len(prev.ops) != len(cur.ops):
        return n, f"{len(prev.ops)} then {len(cur.ops)} calls"
    if len(prev.roots) != len(cur.roots):
        return None, "a different number of arrays"
    for a, b in zip(prev.roots, cur.roots):
        if a.kind == "result" and b.kind == "result" and a.slot == b.slot:
            continue                    # (what _same_root says, inline: most roots)
        why = _same_root(a, b)
        if why:
            return _first_reader(cur, b), why
    return None


def _differs_where_unsigned(prev, cur):
    """``first_difference`` of two traces with equal signatures (``signature.py``):
    every call but the ``careful`` ones agrees, and every root but the ``found`` ones is
    a call's result in both."""
    for i in cur.careful:
        why = _same_op(prev.ops[i], cur.ops[i])
        if why:
            return i, why
    for i in cur.found:
        b = cur.roots[i]
        why = _same_root(prev.roots[i], b)
        if why:
            return _first_reader(cur, b), why
    return None


def _first_reader(trace, root):
    return next((op.index for op in trace.ops for v in op.values if v.root is root), None)
