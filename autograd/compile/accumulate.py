"""Gradients of slices, summed: write each slice once instead of adding zeros arrays.

The gradient of ``x[t]`` (``getitem``) is ``index_add``: a zeros array of ``x``'s shape
with the slice's gradient written in; the engine then adds every such array into the
one it accumulates for ``x``. An LSTM written from ops reads ``xp[t]`` 50 times, so its
backward fills 50 zeros arrays of the full size and adds them: most of its time.

Within one such chain (zeros arrays with one slice written, added in turn into an
accumulator nobody else reads meanwhile) adding a zeros array changes an element only
where its slice is, except that ``x + 0.0`` turns ``-0.0`` into ``0.0``. IEEE addition
gives ``-0.0`` only for ``-0.0 + -0.0``, so ``(a + 0.0) + b`` and ``a + b`` differ only
in the sign of a zero result, which the next ``+ 0.0`` removes as well. The program
therefore adds each slice into the accumulator in place, in the same order, and then
adds ``0.0`` once to the whole of it: the same bits, in two or three passes over the
array instead of two per slice.

Where the sliced tensor has a producer, the engine sums traced slice gradients in place
itself, as eagerly (``autograd/slice_sums.py``), and no such chain is recorded (W6's and
W6m's programs have none): what is left here is chiefly the slices of a leaf.
"""
import numpy as np

from .plan import readers
from .recorder import Value, geometry

_ZEROS = ("zeros", "zeros_like")


def _basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


def _whole(value):
    return value.is_whole()


def _sparse_roots(prog, uses):
    """root index -> (setitem op, index, the slice's Value, the one add reading it)."""
    ops, out = prog.trace.ops, {}
    for root in prog.trace.roots:
        if root.kind != "result" or root.held or root.index in prog.targets or \
                root.layout is None:
            continue
        maker = ops[root.created]
        name = getattr(maker.fn, "__name__", "")
        if maker.kind != "func" or name not in _ZEROS or maker.values or maker.skip:
            continue
        if len(root.writes) != 1:
            continue
        write = ops[root.writes[0]]
        if write.kind != "setitem" or write.skip:
            continue
        dst, index, g = write.args
        if type(dst) is not Value or not _whole(dst) or type(g) is not Value or \
                not _basic(index) or g.dtype != root.dtype:
            continue
        if g.shape != geometry(root.layout, index)[1]:
            continue                                     # a broadcast slice: left alone
        readers = [i for i in uses.get(root.index, ()) if i not in (maker.index, write.index)]
        if len(readers) != 1:
            continue
        add = ops[readers[0]]
        if _adds(add, root) is None:
            continue
        out[root.index] = (write, index, g, add)
    return out


def _adds(op, root):
    """The other operand if ``op`` is ``a + b`` of two whole arrays of ``root``'s shape
    and dtype, one of them ``root``; else None."""
    if op.kind != "ufunc" or op.skip or op.fn is not np.add or len(op.args) != 2:
        return None
    if set(op.kwargs) - {"out"}:
        return None
    a, b = op.args
    if type(a) is not Value or type(b) is not Value or not (_whole(a) and _whole(b)):
        return None
    if a.root is root:
        other = b
    elif b.root is root:
        other = a
    else:
        return None
    if other.shape != root.shape or other.dtype != root.dtype:
        return None
    return other


def sum_slices(prog):
    """Rewrite every chain (see the module docstring); True if it rewrote one (the
    ops it rewrote read other values)."""
    ops = prog.trace.ops
    for op in ops:
        if op.kind == "setitem" and not op.skip:
            break
    else:                           # no slice written into a zeros array: no chain
        return False
    uses = readers(ops)
    sparse = _sparse_roots(prog, uses)
    if not sparse:
        return False
    adds = {add.index: z for z, (_, _, _, add) in sparse.items()}
    rewrote = False
    for op in prog.trace.ops:
        if op.index in adds and adds[op.index] in sparse:
            chain = _chain(prog, sparse, uses, op)
            if chain:
                _rewrite(prog, uses, chain)
                rewrote = True
    return rewrote


def _internal(prog, root):
    return root.kind in ("result", "fresh") and root.index not in prog.targets


def _chain(prog, sparse, uses, op):
    """[(start accumulator root, None)] + [(add op, sparse root, its setitem, index,
    slice Value, target root)]: adds summing disjoint slices into one accumulator."""
    ops, chain = prog.trace.ops, []
    current = None
    while True:
        a, b = op.args
        if current is None:
            z, acc = (b.root, a) if b.root.index in sparse else (a.root, b)
            if not _internal(prog, acc.root) or acc.root.held:
                return []
            sparse.pop(acc.root.index, None)        # two zeros arrays: the first starts
            current = acc.root
        else:
            z = b.root if a.root is current else a.root
        if _adds(op, current) is None or sparse.get(z.index, (None,) * 4)[3] is not op:
            break
        write, index, g, _ = sparse[z.index]
        if current.shape != z.shape:
            break
        out = op.kwargs.get("out")
        target = op.outs[0].root if out is None else out[0].root
        if (out is not None and target is not current) or not _internal(prog, target):
            break
        del sparse[z.index]
        chain.append((op, z, write, index, g, current, target))
        current = target
        if target.held:
            break                      # Python holds it: the chain ends there
        later = [i for i in uses.get(target.index, ()) if i > op.index]
        if not later or later[0] not in (add.index for *_, add in sparse.values()):
            break
        op = ops[later[0]]
    return chain


def _rewrite(prog, uses, chain):
    """``acc[slice] += g`` into one buffer (the last target's, which Python may hold),
    then ``acc += 0.0``; a start accumulator read later is copied first."""
    last = chain[-1][6]
    acc = Value.whole(last)
    first_op, start = chain[0][0], chain[0][5]
    later = [i for i in uses.get(start.index, ()) if i > first_op.index]
    keep_start = bool(later) or start.held or start.layout[2] != last.layout[2]
    for k, (op, z, write, index, g, before, target) in enumerate(chain):
        prog.trace.ops[z.created].skip = write.skip = True
        region = Value.part(last, index)
        op.kind, op.fn, op.outs, op.writes = "ufunc", np.add, (), [acc]
        op.args, op.kwargs = (region, g), {"out": (region,)}
        op.values = [region, g, region]
        if k == 0 and keep_start:
            op.prelude = (Value.whole(start), acc)            # acc = start, first
            op.values.append(op.prelude[0])      # read there: prune and lifetimes see it
        elif k == 0:
            prog.alias[start.index] = last.index
        if target is not last:
            prog.alias[target.index] = last.index
        prog.notes.slices += 1
    chain[-1][0].finish = acc          # the + 0.0, after the last slice
