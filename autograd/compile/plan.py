"""Which buffer each result gets: a result nobody holds after the call shares an array
with other such results whose lifetimes do not overlap (same size and layout), the way
a register allocator reuses registers. A replay then holds about the peak of live
memory of one eager step, not the sum of every temporary it made."""
import numpy as np

from .recorder import Value


class Notes:
    """What building the program did, for ``summary()``."""

    def __init__(self):
        self.views = 0          # view calls made once at build time
        self.out = 0            # calls writing into their buffer with out=
        self.copies = 0         # copies added (a carried array still read late)
        self.shared = 0         # results given a buffer another result used before
        self.folded = 0         # calls on constants computed once
        self.dead = 0           # calls whose results nobody uses
        self.elided = 0         # copies whose source was not used afterwards


def values_in(x):
    t = type(x)
    if t is Value:
        yield x
    elif t is tuple or t is list:
        for v in x:
            yield from values_in(v)
    elif t is dict:
        for v in x.values():
            yield from values_in(v)


def last_reads(trace):
    """root index -> index of the last op that reads or writes it (any view of it)."""
    last = {}
    for op in trace.ops:
        for v in values_in(op.args):
            last[v.root.index] = op.index
        for v in values_in(op.kwargs):
            last[v.root.index] = op.index
    return last


def first_uses(trace):
    """root index -> index of the first op that reads or writes it."""
    first = {}
    for op in trace.ops:
        for v in values_in((op.args, op.kwargs)):
            first.setdefault(v.root.index, op.index)
    return first


def share_buffers(trace, births, fixed, reads, notes):
    """root index -> buffer for every root born at an op (``births``: op index ->
    roots) without one in ``fixed``."""
    assigned = {}
    free = {}                       # (nbytes, layout key) -> [buffers]
    releases = {}                   # op index -> [(key, buffer)] free after that op
    for op in trace.ops:
        for root in births.get(op.index, ()):
            if root.index in fixed:
                continue
            key = _layout(root.owner)
            pool = free.get(key)
            if pool:
                buf = pool.pop()
                notes.shared += 1
            else:
                buf = root.owner
            assigned[root.index] = buf
            end = max([reads.get(root.index, op.index), op.index] + root.writes)
            releases.setdefault(end, []).append((key, buf))
        for key, buf in releases.pop(op.index, ()):
            free.setdefault(key, []).append(buf)
    return assigned


def created(op):
    seen = []
    for v in op.outs:
        if v.root.created == op.index and v.root not in seen:
            seen.append(v.root)
    return seen


def _layout(a):
    if not isinstance(a, np.ndarray):
        return ("object", id(a))
    return (a.shape, a.dtype.str, a.strides)
