"""The active recorder, and what a traced value does when none is active.

``TracedArray`` and ``Sym`` call the functions here; while a trace runs, ``ACTIVE[0]``
is its ``Recorder`` and every call is recorded. Otherwise (a value kept after its
trace, or used by another thread) the call simply runs on plain values.
"""
import numpy as np

ACTIVE = [None]
TYPES = []          # [TracedArray, Sym], set by traced.py (which imports this module)


class GuardFailure(Exception):
    """A replay met a value or a decision different from its trace's."""


def plain(x):
    """``x`` with TracedArrays viewed as plain arrays and Syms as their values
    (recursively through tuples, lists and dicts)."""
    t = type(x)
    if t is np.ndarray:
        return x
    traced, sym = TYPES
    if t is traced:
        return np.ndarray.view(x, np.ndarray)
    if t is sym:
        return x.value
    if t is tuple or t is list:
        return t(plain(v) for v in x)
    if t is dict:
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, traced):
        return np.ndarray.view(x, np.ndarray)
    return x


def dispatch_ufunc(ufunc, method, inputs, kwargs):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.ufunc(ufunc, method, inputs, kwargs)
    return getattr(ufunc, method)(*plain(inputs), **plain(kwargs))


def dispatch_function(func, args, kwargs):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.function(func, args, kwargs)
    return func(*plain(args), **plain(kwargs))


def dispatch_method(arr, name, args, kwargs):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.method(arr, name, args, kwargs)
    plain_arr = np.ndarray.view(arr, np.ndarray)
    return getattr(np.ndarray, name)(plain_arr, *plain(args), **plain(kwargs))


def dispatch_setitem(arr, index, value):
    rec = ACTIVE[0]
    if rec is not None:
        rec.setitem(arr, index, value)
    else:
        np.ndarray.__setitem__(np.ndarray.view(arr, np.ndarray), plain(index), plain(value))


def leave(arr, what, fn):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.leave(arr, what, fn)
    return fn(np.ndarray.view(arr, np.ndarray))


def sym_op(fn, args):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.sym_op(fn, args)
    return fn(*plain(args))


def sym_decide(fn, args):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.sym_decide(fn, args)
    return fn(*plain(args))


def sym_array(sym, dtype):
    rec = ACTIVE[0]
    if rec is not None:
        return rec.sym_array(sym, dtype)
    return np.asarray(sym.value, dtype=dtype)
