"""The arguments of a compiled call: what of them selects a program, the arrays a
replay reads (its input slots), how they alias, and the traced copies a tracing call
gives the function (and what it wrote into them, given back to the caller's arrays).
"""
import numpy as np

from ..tensor import Tensor
from .traced import TracedArray


def signature(x):
    """What of the arguments selects a program: shapes, dtypes and requires_grad of
    tensors and arrays, numbers by value (0.0 and -0.0 apart), other objects by id."""
    # (dtypes as themselves: equal exactly when their .str is, and .str builds a string)
    t = type(x)
    if t is tuple and len(x) < 8:       # the arguments: one call per replay, no generator
        return ("tuple",) + tuple([signature(v) for v in x])
    if t is dict and not x:
        return ("D",)
    if t is Tensor or isinstance(x, Tensor):
        a = x.data
        return ("T", a.shape, a.dtype, x.requires_grad)
    if t is np.ndarray or isinstance(x, np.ndarray):
        return ("A", x.shape, x.dtype)
    if t in (int, float, bool, str, type(None), complex):
        if t is float and x == 0:      # 0.0 == -0.0, but a trace that keeps one as
            return ("S", t, x, str(x))  # a constant keeps its sign
        return ("S", t, x)
    if t is tuple or t is list:
        return (t.__name__,) + tuple(signature(v) for v in x)
    if t is dict:
        return ("D",) + tuple((k, signature(v)) for k, v in sorted(x.items(), key=repr))
    return ("O", id(x))


def flat_inputs(args, kwargs):
    """The arrays of the arguments, in a fixed order: the program's input slots."""
    if not kwargs:          # the usual call: tensors, arrays and numbers, nothing nested
        out = []
        for x in args:
            t = type(x)
            if t is Tensor:
                out.append(x.data)
            elif t is np.ndarray:
                out.append(x)
            elif t not in (int, float, bool, str, type(None)):
                break
        else:
            return out
    out = []

    def visit(x):
        if isinstance(x, Tensor):
            out.append(x.data)
        elif isinstance(x, np.ndarray):
            out.append(x)
        elif type(x) in (tuple, list):
            for v in x:
                visit(v)
        elif type(x) is dict:
            for k in sorted(x, key=repr):
                visit(x[k])
    visit(args)
    visit(kwargs)
    return out


def _whole(a, b):
    """``a`` is array ``b`` again (itself, or a view of all of it as it is)."""
    return a is b or isinstance(a, np.ndarray) and a.shape == b.shape and \
        a.strides == b.strides and a.dtype == b.dtype and \
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]


def aliasing(arrays):
    """How the argument arrays alias, for the cache key: None when they are distinct
    objects owning their memory (the usual call), else each one's first position (an
    array passed twice: a trace reads one buffer for both), or OVERLAP when two of them
    share memory as different arrays (views of one array: each has its own buffer in a
    program, so a write through one would not show through the other)."""
    if len(arrays) < 2:
        return None
    if len({id(a) for a in arrays}) == len(arrays):
        if all(a.base is None for a in arrays):
            return None
        first = ()
    else:
        seen = {}
        first = tuple([seen.setdefault(id(a), i) for i, a in enumerate(arrays)])
    distinct = list({id(a): a for a in arrays}.values())
    for i, a in enumerate(distinct):
        for b in distinct[:i]:
            if np.may_share_memory(a, b):
                return OVERLAP
    return first or None


OVERLAP = "overlap"


def trace_inputs(rec, args, kwargs):
    """Arguments for the traced call: arrays replaced by traced copies (input slots);
    tensors' arrays become traced copies on first read (``Seams.first_read``). An array
    met again (a tensor or array passed twice) gets the copy it got first, so the call
    sees one array as eagerly; its later slots are unread (``_aliasing`` keys them)."""
    rec.input_ids = {}
    rec.input_tensors = []
    rec.input_copies = []               # (the caller's array, its copy): written back
    made = {}                           # id(caller's array) -> traced copy
    slot = [0]

    def copy_of(a):
        traced = made.get(id(a))
        if traced is None:
            traced = made[id(a)] = _input_copy(rec, a, slot)
            rec.input_copies.append((a, traced))
        else:
            slot[0] += 1
        return traced

    def visit(x):
        if isinstance(x, Tensor):
            if x.requires_grad:
                rec.uncapturable("an argument tensor requires grad; compile a function "
                                 "of the data, with the parameters it trains captured")
            if type(x.data) is TracedArray:       # the same tensor again
                slot[0] += 1
                return x
            copy = copy_of(x.data)
            rec.input_tensors.append((x, x.data, copy))
            Tensor.__dict__["data"].__set__(x, copy)
            return x
        if isinstance(x, np.ndarray):
            return copy_of(x)
        if type(x) in (tuple, list):
            return type(x)(visit(v) for v in x)
        if type(x) is dict:
            return {k: visit(x[k]) for k in sorted(x, key=repr)}
        return x
    return visit(args), visit(kwargs)


def _input_copy(rec, a, slot):
    copy = np.array(a, copy=True, order="C")
    t = rec.adopt(copy, "input")
    rec.by_owner[id(copy)].slot = slot[0]
    rec.by_owner[id(copy)].kind = "input"
    slot[0] += 1
    return t


def restore_inputs(rec):
    """After the traced call, as after an eager one: what the call wrote into an
    argument's array is in the caller's array, and an argument tensor holds its own
    array again, unless the call gave it another one (``x.data = ...``: kept, and a
    replay could not do it to the next call's tensor: returned as a problem)."""
    for original, traced in rec.input_copies:
        if rec.value_of(traced).root.writes:
            np.copyto(original, np.ndarray.view(traced, np.ndarray))
    slot, problems = Tensor.__dict__["data"], []
    for tensor, original, traced in rec.input_tensors:
        if _whole(slot.__get__(tensor), traced):      # (``x.data *= 2`` sets it again)
            slot.__set__(tensor, original)
        else:
            problems.append("the function gives an argument tensor another array "
                            "(x.data = ...)")
    return problems
