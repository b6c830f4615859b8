"""log_softmax's gradient from a one-hot gradient (cross-entropy's backward) in two calls.

An unweighted NLL of class indices (``cross_entropy``'s 'mean' or 'sum') hands
log_softmax a gradient ``g`` made by ``index_add``: a zeros array with one number
``c`` (``-1/N`` for the mean) added at ``(i, t_i)`` of each row ``i``, with the index
``(arange(N), t)``. log_softmax's VJP then computes

    r = g - exp(logp) * sum(g, axis=1, keepdims=True)

which replays as five calls besides the ``exp``: the zeros, the ``add.at``, the row
sums, the multiply and the subtraction. Each row of ``g`` holds ``c`` once (the rows
of ``arange(N)`` are distinct) and zeros elsewhere, so every row sum is ``c`` exactly
(``c + 0.0`` is ``c`` for any ``c`` but ``-0.0``). With ``t = exp(logp) * c``, ``r`` is
``0 - t`` off the picked places and ``c - t`` on them. For a finite ``c < 0``, and
``e = exp(logp)`` (never negative, never ``-0.0``):

- ``0 - e*c`` and ``e * (-c)`` are the same bits: rounding is symmetric in sign, both
  are ``+0.0`` where ``e`` is zero, ``+inf`` where it is ``inf``, and ``e``'s NaN
  where it is NaN (an IEEE operation returns its NaN operand);
- on the picked places ``c - t`` is ``(0 - t) + c``: ``c - t`` is ``c + (-t)``, and
  ``0 - t`` is ``-t`` except for ``t = +0.0``, where ``c + 0.0`` and ``c - 0.0`` are
  both ``c``.

So the program computes ``r = exp(logp) * (-c)`` and then ``np.add.at(r, (arange(N),
t), c)``: the same bits from two calls, the ``add.at`` the one the zeros array
received (out-of-range targets raise, negative ones wrap, exactly as there).
Anything else (class weights or ignored targets: per-row numbers; label smoothing: a
second gradient added in; a ``c`` that is not a negative constant) is left as it is.
"""
import numpy as np

from .plan import readers
from .recorder import Value


def _is(op, fn, name=None):
    """``op`` is a kept call of ufunc ``fn`` (or of its method ``name``)."""
    if op.skip or op.kind != "ufunc" or op.into is not None or op.syms or \
            op.finish is not None or op.prelude is not None:
        return False
    if name is None:
        return op.fn is fn
    return getattr(op.fn, "__name__", "") == name and getattr(op.fn, "__self__", None) is fn


def _made(op):
    """The one whole array ``op`` makes (a Value), or None."""
    if len(op.outs) != 1:
        return None
    v = op.outs[0]
    return v if v.root.created == op.index and v.is_whole() else None


def _whole(x, root):
    return type(x) is Value and x.root is root and x.is_whole()


def _constant(x):
    """The array of a constant Value (never written: made from nothing traced, or
    folded), or None."""
    if type(x) is not Value or x.root.kind != "constant":
        return None
    arr = x.arr
    return arr if isinstance(arr, np.ndarray) else None


def _private(prog, root, uses, readers):
    """An internal result read only by the ops ``readers``."""
    return (root.kind == "result" and not root.held and root.index not in prog.targets
            and root.index not in prog.alias and set(uses.get(root.index, ())) == readers)


def _match(prog, uses, at):
    """The ops and values of one pattern whose ``add.at`` is op ``at``, or None."""
    ops = prog.trace.ops
    if not _is(at, np.add, "at") or at.kwargs or len(at.args) != 3 or not at.writes:
        return None
    z, index, c = at.args
    if type(z) is not Value or not z.is_whole() or z.root.kind != "result" or \
            z.root.layout is None or len(z.shape) != 2 or z.dtype.kind != "f":
        return None
    zeros = ops[z.root.created]
    if zeros.skip or zeros.kind != "func" or getattr(zeros.fn, "__name__", "") != "zeros" \
            or zeros.values or list(z.root.writes) != [at.index]:
        return None
    n = z.shape[0]
    if type(index) is not tuple or len(index) != 2:
        return None
    rows, targets = index
    grid = _constant(rows)
    value = _constant(c)
    if grid is None or value is None or type(targets) is not Value:
        return None
    if grid.shape != (n,) or grid.dtype.kind not in "iu" or \
            not np.array_equal(grid, np.arange(n)):
        return None
    if targets.shape != (n,) or targets.dtype.kind not in "iu":
        return None
    if value.shape != () or value.dtype != z.dtype or not np.isfinite(value) or \
            not value < 0:
        return None
    readers = [ops[i] for i in sorted(set(uses.get(z.root.index, ()))) if i != at.index]
    if len(readers) != 2:
        return None
    total, minus = readers
    s = _made(total)
    if s is None or not _is(total, np.add, "reduce") or len(total.args) != 1 or \
            not _whole(total.args[0], z.root) or total.kwargs.get("keepdims") is not True \
            or set(total.kwargs) != {"axis", "keepdims"} \
            or total.kwargs["axis"] not in (1, -1, (1,), (-1,)):
        return None
    times = [ops[i] for i in uses.get(s.root.index, ())]
    if len(times) != 1 or not _is(times[0], np.multiply) or times[0].kwargs:
        return None
    times = times[0]
    if len(times.args) != 2 or not _whole(times.args[1], s.root):
        return None
    e = times.args[0]
    t = _made(times)
    if t is None or type(e) is not Value or e.shape != z.shape or e.dtype != z.dtype:
        return None
    if e.root.kind != "result" or not _is(ops[e.root.created], np.exp) or not e.is_whole():
        return None
    r = _made(minus)
    if r is None or not _is(minus, np.subtract) or minus.kwargs or len(minus.args) != 2 \
            or not _whole(minus.args[0], z.root) or not _whole(minus.args[1], t.root):
        return None
    if r.root.held or r.root.index in prog.targets or r.root.index in prog.alias or \
            r.root.writes:
        return None
    for root, readers_ in ((z.root, {at.index, total.index, minus.index}),
                           (s.root, {times.index}), (t.root, {minus.index})):
        if not _private(prog, root, uses, readers_) or root.writes and root is not z.root:
            return None
    # the targets are read at the subtraction's place now: nothing may write them between
    if any(at.index < w <= minus.index for w in targets.root.writes):
        return None
    return zeros, at, total, times, minus, t, r, value


def rewrite(prog):
    """Rewrite every pattern (see the module docstring); True if one was rewritten."""
    ops = prog.trace.ops
    candidates = [op for op in ops if not op.skip and op.kind == "ufunc"
                  and getattr(op.fn, "__name__", "") == "at"]
    if not candidates:
        return False
    uses = readers(ops, into=True)
    rewrote = False
    for at in candidates:
        found = _match(prog, uses, at)
        if found is None:
            continue
        zeros, at, total, times, minus, t, r, value = found
        e = times.args[0]
        zeros.skip = at.skip = total.skip = True
        times.args, times.values = (e, np.negative(value)[()]), [e]
        minus.kind, minus.fn, minus.kwargs = "ufunc", at.fn, at.kwargs
        minus.args = (t,) + at.args[1:]
        minus.values = [t] + [v for v in at.values if v.root is not at.args[0].root]
        minus.outs, minus.writes = (), [t]
        t.root.writes = [minus.index]
        prog.alias[r.root.index] = t.root.index
        prog.notes.picked += 1
        rewrote = True
    return rewrote
