"""A program's inputs: the caller's array read where it is, or copied into a buffer.

A traced call reads a copy of each input array (``arguments._input_copy``): the copy is
the input's root, and the program's steps were built on views of it. Copying every new
batch into that buffer costs a pass over the batch and keeps a batch-sized buffer alive
between calls, so an input whose array fits (the same dtype, shape and strides as the
buffer, aligned, and not the memory of anything the program writes or keeps) is read
in place instead: the steps that read it are rebuilt on views of the caller's array
whenever the caller passes another array. The program never writes an input (such a
function is not captured), and it keeps nothing it computed from one between calls:
every call reads the caller's current values, as an eager call does. An input that
does not fit is copied into a buffer of the program's own, made when first needed.

An input root qualifies only if every array of it that the program builder handed out
is an argument of a step (not read by a scalar block, not a result Python holds), so
that rebuilding those steps reaches every use of it. The builder hands out the same
array object for every use of one view, so a use no step shows (a scalar block's
registers) pins the root: found in a step, the array would still be read stale there.
"""
import weakref

import numpy as np

from .ir import owner_of


class _Slot:
    """Where a step reads a view of a direct input: which input, which view."""

    __slots__ = ("input", "spec")

    def __init__(self, input_, spec):
        self.input = input_
        self.spec = spec


class DirectInput:
    """One input read from the caller's array when it fits (see the module docstring)."""

    def __init__(self, slot, root, buf):
        self.slot = slot
        self.root = root
        self.layout = (buf.shape, buf.dtype, buf.strides)
        self.bound = buf          # the array the steps read now
        self.caller = False       # True while that is the caller's array
        self.own = None           # the program's buffer, made when an input does not fit
        self.views = {}           # spec -> view of ``bound``

    def fits(self, a, written):
        if type(a) is not np.ndarray or (a.shape, a.dtype, a.strides) != self.layout:
            return False
        if a is self.bound and self.caller:    # the same array as the last call: its
            return True                        # memory and owner are still what fitted
        return a.flags.aligned and id(owner_of(a)) not in written

    def bind(self, a):
        self.bound = a
        self.views = {}

    def view(self, spec):
        out = self.views.get(spec)
        if out is None:
            offset, shape, strides, dtype = spec
            bound = self.bound
            if offset == 0 and shape == bound.shape and strides == bound.strides \
                    and dtype == bound.dtype:
                out = bound
            else:
                out = np.ndarray(shape, dtype, buffer=bound, offset=offset,
                                 strides=strides)
            self.views[spec] = out
        return out

    def own_buffer(self):
        if self.own is None:
            shape, dtype, strides = self.layout
            self.own = np.ndarray(shape, dtype, buffer=np.empty(
                max(int(np.prod(shape)), 1) * dtype.itemsize, np.uint8), strides=strides)
        return self.own


def _ptr(a):
    return a.__array_interface__["data"][0]


class HandedOut:
    """Records the arrays ``Program.view`` hands out for candidate input roots."""

    def __init__(self, roots):
        self.roots = roots         # root index -> buffer
        self.arrays = {}           # id(array) -> (root index, array, spec)
        self.steps = set()         # indices of the steps being built when handed out
        self.pinned = set()        # roots read where no step's arguments show it

    def note(self, index, arr, step, opaque=False):
        if index in self.roots:
            if opaque:
                self.pinned.add(index)
            self.steps.add(step)
            base = _ptr(self.roots[index])
            self.arrays[id(arr)] = (index, arr, (_ptr(arr) - base, arr.shape,
                                                 arr.strides, arr.dtype))


def _template(x, arrays, slots, hits):
    """``x`` with the handed-out arrays replaced by _Slots (in tuples and dicts; a list
    may be state a step shares, such as the registers, and is left as it is)."""
    t = type(x)
    if t is tuple:
        return tuple(_template(v, arrays, slots, hits) for v in x)
    if t is dict:
        return {k: _template(v, arrays, slots, hits) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        hit = arrays.get(id(x))
        if hit is not None and hit[1] is x:
            hits.append(id(x))
            return _Slot(slots[hit[0]], hit[2])
    return x


def _fill(x):
    t = type(x)
    if t is _Slot:
        return x.input.view(x.spec)
    if t is tuple:
        return tuple(_fill(v) for v in x)
    if t is dict:
        return {k: _fill(v) for k, v in x.items()}
    return x


class Inputs:
    """A program's input slots: copied (``copied``) or read in place (``direct``)."""

    def __init__(self, prog, handed, opaque=()):
        self.copied = []          # (slot, buffer)
        self.direct = []          # DirectInput
        self.templates = []       # (step index, fn, args template, kw template)
        self.written = {id(buf) for index, buf in prog.phys.items()
                        if isinstance(buf, np.ndarray) and index not in handed.roots}
        slots = {}
        for root in prog.trace.roots:
            if root.kind != "input":
                continue
            buf = prog.phys[root.index]
            if root.index in handed.roots:
                slots[root.index] = DirectInput(root.slot, root, buf)
            else:
                self.copied.append((root.slot, buf))
        found = set()
        for i in sorted(handed.steps):      # (a view handed out for a step not found
            if i >= len(prog.steps):        # there keeps its input copied)
                continue
            fn, args, kw = prog.steps[i]
            if fn in opaque:
                continue
            hits = []
            targs = _template(args, handed.arrays, slots, hits)
            tkw = _template(kw, handed.arrays, slots, hits) if kw else kw
            if hits:
                found.update(hits)
                self.templates.append((i, fn, targs, tkw))
        for index, d in slots.items():
            ids = [k for k, (i, _a, _s) in handed.arrays.items() if i == index]
            if index not in handed.pinned and all(k in found for k in ids):
                self.direct.append(d)
                _hold_weakly(prog.trace, d.root)
            else:                  # read where its steps cannot be rebuilt: copy it
                self.copied.append((d.slot, prog.phys[index]))
        keep = {id(d) for d in self.direct}
        self.templates = [t for t in self.templates if _uses(t, keep)]
        self.steps = prog.steps
        self.phys = prog.phys

    def load(self, arrays):
        """Bring this call's input arrays in (before the steps run)."""
        for slot, buf in self.copied:
            np.copyto(buf, arrays[slot])
        changed = False
        for d in self.direct:
            a = arrays[d.slot]
            d.caller = d.fits(a, self.written)
            if not d.caller:
                own = d.own_buffer()
                np.copyto(own, a)
                a = own
            if a is not d.bound:
                d.bind(a)
                self.phys[d.root.index] = a
                changed = True
        if changed:
            steps = self.steps
            for i, fn, args, kw in self.templates:
                steps[i] = (fn, _fill(args), _fill(kw))

    def borrowed(self, index):
        """True if root ``index``'s buffer is now a caller's array (not the program's)."""
        return any(d.caller and d.root.index == index for d in self.direct)


def _uses(template, keep):
    found = []

    def visit(x):
        t = type(x)
        if t is _Slot:
            found.append(id(x.input) in keep)
        elif t is tuple:
            for v in x:
                visit(v)
        elif t is dict:
            for v in x.values():
                visit(v)
    visit(template[2])
    visit(template[3])
    return any(found)


def _hold_weakly(trace, root):
    """The trace stops holding the copy it read: a direct input's memory is the
    caller's from the first replay on (the steps and ``phys`` hold the copy until then)."""
    owner = root._owner
    if owner is None:
        return
    for op in trace.ops:
        for v in (*op.values, *op.outs):
            if v.root is root and v._arr is not None:
                v.spec()
                v._weak, v._arr = weakref.ref(v._arr), None
    root._weak, root._owner = weakref.ref(owner), None
