"""Which buffer each result gets: a result nobody holds after the call shares memory
with other such results whose lifetimes do not overlap, the way a register allocator
reuses registers. A replay then holds about the peak of live memory of one eager step,
not the sum of every temporary it made.

Small results reuse whole buffers (the smallest free one that fits). Large ones get an
offset in one byte array, the arena, placed largest first at the lowest offset that is
free for their whole lifetime (the greedy-by-size planner of TFLite): a 1.5 MiB update
temporary then lies where four dead 0.25 MiB activations were, which whole-buffer reuse
cannot do."""
import bisect
import collections

import numpy as np

LARGE = 1 << 16     # results of at least this many bytes are placed in the arena
ALIGN = 64          # arena offsets are multiples of this (a cache line)


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
        self.picked = 0         # log_softmax gradients of a one-hot made in two calls
        self.arena = None       # the byte array the large results live in (or None)
        self.in_arena = 0       # results placed in it


def last_reads(trace):
    """root index -> index of the last op that reads or writes it (any view of it);
    (``passes.prune`` gives the same for the ops it keeps)."""
    last = {}
    for op in trace.ops:
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


def readers(ops, into=False):
    """root index -> indices of the kept ops that read it (any view of it), and with
    ``into`` also those writing their result into it (``out=``)."""
    uses = {}
    for op in ops:
        if not op.skip:
            for v in op.values:
                uses.setdefault(v.root.index, []).append(op.index)
            if into and op.into is not None:
                uses.setdefault(op.into.root.index, []).append(op.index)
    return uses


def share_buffers(trace, births, ends, fixed, notes, exact=False):
    """root index -> buffer for every root born at an op (``births``: root index -> op
    index) without one in ``fixed``. A buffer is free again after its root's last use
    (``ends``) and then holds, as raw bytes, any later root that fits (the smallest free
    buffer that does), whatever its shape or dtype: a float64 activation's memory can
    be a later int64 mask's. With ``exact`` (fused kernels: a run of elementwise calls
    fuses only where its arrays are one view or disjoint) a buffer is reused only by a
    root of its own size, and nothing is placed in the arena."""
    assigned = {}
    sizes = []                      # the sizes of the free buffers, sorted, each once
    free = {}                       # size -> its free buffers, in the order freed (ties
                                    # go to the buffer freed first, not to an address)
    by_op, releases, large = {}, {}, []
    roots = trace.roots
    for index, at in births.items():
        if index not in fixed:
            born = by_op.get(at)
            if born is None:
                by_op[at] = [roots[index]]
            else:
                born.append(roots[index])
    for at in range(len(trace.ops)):     # (an op's index is its position)
        born = by_op.get(at)
        if born is not None:
            for root in born:
                layout = root.layout
                if layout is None or not layout[4] or not layout[3]:   # not contiguous
                    assigned[root.index] = root.owner if root.owner is not None else \
                        blank(layout)
                    continue
                end = ends.get(root.index, at)
                if end < at:
                    end = at
                for w in root.writes:
                    if w > end:
                        end = w
                if layout[3] >= LARGE and not exact:
                    large.append((root, at, end))
                    continue
                k = bisect.bisect_left(sizes, layout[3])
                if k < len(sizes) and (not exact or sizes[k] == layout[3]):
                    fitting = free[sizes[k]]
                    buf = fitting.popleft()
                    if not fitting:
                        del free[sizes[k]], sizes[k]
                    notes.shared += 1
                else:
                    buf = root.owner if root.owner is not None else blank(layout)
                assigned[root.index] = buf
                ending = releases.get(end)
                if ending is None:
                    releases[end] = [buf]
                else:
                    ending.append(buf)
        if at in releases:
            for buf in releases.pop(at):
                fitting = free.get(buf.nbytes)
                if fitting is None:
                    free[buf.nbytes] = collections.deque([buf])
                    bisect.insort(sizes, buf.nbytes)
                else:
                    fitting.append(buf)
    if large:
        assigned.update(place_in_arena(large, notes))
    return assigned


def place_in_arena(large, notes):
    """root index -> a view of the arena for each (root, birth, end) of ``large``.
    Results placed at the same offset with the same layout share one view (one box
    when drawn)."""
    n = len(large)
    size = np.array([-(-r.layout[3] // ALIGN) * ALIGN for r, _, _ in large], np.int64)
    birth = np.array([b for _, b, _ in large], np.int64)
    end = np.array([e for _, _, e in large], np.int64)
    offset = greedy_offsets(size, birth, end)
    arena = np.empty(int((offset + size).max()) + ALIGN, np.uint8)   # the views' base
    offset += -arena.ctypes.data % ALIGN
    notes.arena, notes.in_arena = arena, n
    views, assigned = {}, {}
    for i, (root, _, _) in enumerate(large):
        shape, dtype, strides = root.layout[0], root.layout[1], root.layout[2]
        key = (int(offset[i]), shape, dtype.str, strides)
        if key not in views:
            views[key] = np.ndarray(shape, dtype, buffer=arena, offset=int(offset[i]),
                                    strides=strides)
        assigned[root.index] = views[key]
    high = offset + size
    for rows in range(0, n, 512):       # results whose bytes an earlier-born one used
        r = slice(rows, rows + 512)
        reused = ((birth[None, :] < birth[r, None]) & (offset[None, :] < high[r, None])
                  & (high[None, :] > offset[r, None])).any(axis=1)
        notes.shared += int(reused.sum())
    return assigned


def greedy_offsets(size, birth, end):
    """Byte offsets: largest first, each at the lowest offset where it overlaps no block
    already placed whose lifetime (birth to end, both included) meets its own."""
    offset = np.zeros(len(size), np.int64)
    placed = np.zeros(len(size), bool)
    for i in sorted(range(len(size)), key=lambda i: (-size[i], birth[i])):
        meets = np.flatnonzero(placed & (birth <= end[i]) & (end >= birth[i]))
        if len(meets):
            meets = meets[np.argsort(offset[meets], kind="stable")]
            reach = np.maximum.accumulate(offset[meets] + size[meets])
            before = np.concatenate(([0], reach[:-1]))     # free from here to block k
            fits = offset[meets] - before >= size[i]
            offset[i] = before[fits.argmax()] if fits.any() else reach[-1]
        placed[i] = True
    return offset


def memory_of(buf, notes):
    """(key, bytes) of the memory behind a buffer: the arena once for all its views."""
    if notes.arena is not None and buf.base is notes.arena:
        return id(notes.arena), notes.arena.nbytes
    return id(buf), buf.nbytes


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


def blank_like(a):
    """A new array with ``a``'s shape, dtype and strides (so saved views fit it)."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return np.empty_like(a, order="K")
    lo, hi = np.byte_bounds(a)
    raw = np.empty(hi - lo, dtype=np.uint8)
    offset = a.__array_interface__["data"][0] - lo
    return np.ndarray(a.shape, a.dtype, buffer=raw, offset=offset, strides=a.strides)


class _Window:
    """What ``np.asarray`` makes an array of (as ``as_strided`` does): any view, by address."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def window(buf, offset, shape, strides, dtype):
    """The view ``offset`` bytes from ``buf``'s first element, with ``shape``, ``strides``
    and ``dtype``, on any array (``np.ndarray(buffer=)`` wants C-contiguous memory)."""
    start = buf.__array_interface__["data"][0]
    interface = {"shape": tuple(shape), "typestr": dtype.str, "descr": dtype.descr,
                 "data": (start + offset, False), "strides": tuple(strides), "version": 3}
    return np.asarray(_Window(interface, buf))


def created(op):
    seen = []
    for v in op.outs:
        if v.root.created == op.index and v.root not in seen:
            seen.append(v.root)
    return seen


