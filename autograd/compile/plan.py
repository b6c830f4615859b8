"""Which buffer each result gets: a result nobody holds after the call shares an array
with other such results whose lifetimes do not overlap (same size and layout), the way
a register allocator reuses registers. A replay then holds about the peak of live
memory of one eager step, not the sum of every temporary it made."""
import bisect
import itertools

import numpy as np



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
        self.deduped = 0        # repeated decisions and conversions made once
        self.fills = 0          # zeros/ones arrays refilled instead of made
        self.slices = 0         # slice gradients written in place of zeros-array sums


def last_reads(trace, skip=False):
    """root index -> index of the last op that reads or writes it (any view of it);
    with ``skip``, ops dropped by the passes do not count."""
    last = {}
    for op in trace.ops:
        if skip and op.skip:
            continue
        for v in op.values:
            last[v.root.index] = op.index
        if op.into is not None:
            last[op.into.root.index] = op.index
    return last


def first_uses(trace):
    """root index -> index of the first op that reads or writes it."""
    first = {}
    for op in trace.ops:
        for v in op.values:
            first.setdefault(v.root.index, op.index)
    return first


def share_buffers(trace, births, ends, fixed, notes):
    """root index -> buffer for every root born at an op (``births``: root index -> op
    index) without one in ``fixed``. A buffer is free again after its root's last use
    (``ends``) and then holds, as raw bytes, any later root that fits (the smallest free
    buffer that does), whatever its shape or dtype: a float64 activation's memory can
    be a later int64 mask's."""
    assigned = {}
    free = []                       # (nbytes, release number, buffer), sorted
    released = itertools.count()    # ties go to the buffer freed first, not to an address
    by_op, releases = {}, {}
    for index, at in births.items():
        if index not in fixed:
            by_op.setdefault(at, []).append(trace.roots[index])
    for op in trace.ops:
        for root in by_op.get(op.index, ()):
            layout = root.layout
            if layout is None or not layout[4] or not layout[3]:   # not contiguous bytes
                assigned[root.index] = root.owner if root.owner is not None else \
                    blank(layout)
                continue
            k = bisect.bisect_left(free, (layout[3],))
            if k < len(free):
                buf = free.pop(k)[2]
                notes.shared += 1
            else:
                buf = root.owner if root.owner is not None else blank(layout)
            assigned[root.index] = buf
            end = max([ends.get(root.index, op.index), op.index, *root.writes])
            releases.setdefault(end, []).append(buf)
        for buf in releases.pop(op.index, ()):
            bisect.insort(free, (buf.nbytes, next(released), buf))
    return assigned


def blank(layout):
    """A new array with a layout's shape, dtype and strides (views saved for it fit)."""
    shape, dtype, strides, nbytes, contiguous = layout
    if contiguous:
        return np.ndarray(shape, dtype, buffer=np.empty(max(nbytes, 1), np.uint8),
                          strides=strides)
    span = sum((n - 1) * abs(st) for n, st in zip(shape, strides)) + dtype.itemsize
    low = sum((n - 1) * st for n, st in zip(shape, strides) if st < 0)
    raw = np.empty(span, np.uint8)
    return np.ndarray(shape, dtype, buffer=raw, offset=-low, strides=strides)


def created(op):
    seen = []
    for v in op.outs:
        if v.root.created == op.index and v.root not in seen:
            seen.append(v.root)
    return seen


