"""Rewrites of a trace before it becomes steps; each keeps every value bit for bit.

- ``fold``: calls on constants only (index grids, masks, ``np.arange``) run once, at
  build time: their results stay in their buffers;
- ``dedupe``: the same conversion or decision on the same Syms is made once (an
  optimizer checks ``weight_decay != 0`` for every parameter);
- ``forward_stores``: a result that is only copied somewhere (the engine copying a
  gradient for a leaf's ``.grad``, an optimizer copying its new value into the
  parameter) is computed there directly, and the copy is dropped;
- ``prune``: calls whose results nothing uses are dropped.

They mark ops (``op.skip``), redirect results (``prog.alias``) or outputs
(``op.into``), and count what they did in ``prog.notes``.
"""
import numpy as np

from .recorder import SymRef, Value

PURE_KINDS = ("ufunc", "func", "method")
COPY_METHODS = {"copy", "__copy__", "astype"}


def _array_args(op):
    return op.values


def has_sym(x):
    t = type(x)
    if t is SymRef:
        return True
    if t is tuple or t is list:
        return any(has_sym(v) for v in x)
    if t is dict:
        return any(has_sym(v) for v in x.values())
    return False


def _created(op):
    return [v.root for v in op.outs if v.root.created == op.index]


def fold(prog):
    """Calls whose inputs are all constants, and whose results are never written,
    held or carried, are computed once (at trace time: the results are kept).
    Returns ``plan.last_reads`` of the trace, found on the same walk."""
    const = {r.index for r in prog.trace.roots if r.kind == "constant"}
    last = {}
    for op in prog.trace.ops:
        index = op.index
        for v in op.values:
            last[v.root.index] = index
        if op.into is not None:
            last[op.into.root.index] = index
        if op.kind not in PURE_KINDS or op.writes or op.syms:
            continue
        for v in op.values:         # (most calls fail at the first argument)
            if v.root.index not in const:
                break
        else:
            made = _created(op)
            if not made or any(r.writes or r.held or r.index in prog.targets
                               for r in made):
                continue
            if all(r.owner is not None for r in made):
                for r in made:
                    const.add(r.index)
                    r.kind = "constant"
                op.skip = True
                prog.notes.folded += 1
    return last


def _sym_key(x, alias):
    """``x`` as a hashable key; a Sym found equal to an earlier one (``alias``: Sym index
    -> the index kept) keys as that one, so that what is computed from copies of one
    value dedupes too (``ne(-lr, 1)`` once per parameter, on each one's own ``-lr``)."""
    t = type(x)
    if t is SymRef:
        return ("s", alias.get(x.index, x.index))
    if t is Value:
        return ("v", x.root.index, x.spec())
    if t is tuple or t is list:
        return (t.__name__,) + tuple(_sym_key(v, alias) for v in x)
    if t is dict:
        return ("d",) + tuple((k, _sym_key(v, alias))
                              for k, v in sorted(x.items(), key=repr))
    if isinstance(x, np.dtype) or x is None or isinstance(x, (int, float, str, bool, type)):
        return ("c", type(x), x)
    return ("o", id(x))


def dedupe(prog):
    """Identical decisions, Sym arithmetic and Sym -> array conversions: keep the first."""
    seen = {}
    for op in prog.trace.ops:
        if op.skip or not op.syms and op.kind != "decide":
            continue
        if op.kind not in ("decide", "sym", "func") or op.writes:
            continue
        if op.kind == "func" and _array_args(op):
            continue
        key = (op.kind, id(op.fn), _sym_key((op.args, op.kwargs), prog.sym_alias),
               repr(op.expect))
        first = seen.get(key)
        if first is None:
            seen[key] = op
            continue
        if op.kind == "sym":
            prog.sym_alias[op.sym.index] = prog.sym_alias.get(first.sym.index, first.sym.index)
        elif op.kind == "func":
            made, kept = _created(op), _created(first)
            if len(made) != 1 or len(kept) != 1 or made[0].held:
                continue
            prog.alias[made[0].index] = kept[0].index
        op.skip = True
        prog.notes.deduped += 1


def _copy_source(op):
    """The Value an op copies unchanged (same dtype, whole array), or None."""
    if op.kind == "method" and op.fn in ("copy", "__copy__") and not op.kwargs:
        src = op.args[0]
    elif op.kind == "method" and op.fn == "astype":
        src = op.args[0]
        dtype = op.args[1] if len(op.args) > 1 else op.kwargs.get("dtype")
        if np.dtype(dtype) != src.dtype:
            return None
    elif op.kind == "func" and getattr(op.fn, "__name__", "") == "array":
        src = op.args[0] if op.args else None
        if type(src) is not Value:
            return None
        dtype = op.kwargs.get("dtype", op.args[1] if len(op.args) > 1 else None)
        if dtype is not None and np.dtype(dtype) != src.dtype:
            return None
    else:
        return None
    if type(src) is not Value or len(op.outs) != 1:
        return None
    out = op.outs[0]
    if out.spec()[1:3] != src.spec()[1:3]:
        return None
    return src


def _whole(value):
    """True if ``value`` is its whole root (not a part or a reinterpretation)."""
    return value.is_whole()


_COPY_KINDS = ("method", "func", "setitem")     # the kinds copies and stores are made of


def forward_stores(prog, reads):
    """Copies of a result nothing else reads: the result is made in the copy's place."""
    ops = prog.trace.ops
    for op in ops:
        if op.skip or op.kind not in _COPY_KINDS:
            continue
        src = _copy_source(op)
        if src is not None and _whole(src) and _private(prog, src.root, op, reads) \
                and _whole(op.outs[0]) and op.outs[0].root.created == op.index:
            prog.alias[src.root.index] = op.outs[0].root.index
            op.skip = True
            prog.notes.elided += 1
            continue
        target = _store_target(op)
        if target is None:
            continue
        dst, src = target
        producer = ops[src.root.created] if src.root.created >= 0 else None
        if (producer is None or producer.skip or producer.kind != "ufunc" or
                getattr(producer.fn, "__name__", "") not in _UFUNC_CALLS or
                len(producer.outs) != 1 or not _whole(src) or
                not _private(prog, src.root, op, reads) or
                _touched_between(ops, dst.root, producer.index, op.index) or
                src.shape != dst.shape or src.dtype != dst.dtype):
            continue
        producer.into = dst
        op.skip = True
        prog.notes.elided += 1


_UFUNC_CALLS = {"add", "subtract", "multiply", "divide", "true_divide", "negative",
                "maximum", "minimum", "sqrt", "exp", "log", "tanh", "square", "power",
                "absolute", "where", "copysign", "reciprocal"}


def _store_target(op):
    """(destination, source) of ``dst[...] = src`` or ``np.copyto(dst, src)``."""
    if op.kind == "setitem":
        dst, index, src = op.args
        if index is Ellipsis or index == (Ellipsis,) or index == slice(None):
            if type(src) is Value and type(dst) is Value:
                return dst, src
    if op.kind == "func" and op.fn is getattr(np.copyto, "__wrapped__", np.copyto) \
            and len(op.args) == 2 and not op.kwargs:
        dst, src = op.args
        if type(src) is Value and type(dst) is Value:
            return dst, src
    return None


def _private(prog, root, at, reads):
    """``root`` is an internal result read by nothing after op ``at``."""
    return (root.kind == "result" and not root.held and root.index not in prog.targets
            and root.index not in prog.alias and reads.get(root.index, -1) <= at.index
            and not root.writes)


def _touched_between(ops, root, start, end):
    for op in ops[start + 1:end]:
        if not op.skip and any(v.root is root for v in _array_args(op)):
            return True
    return False


def prune(prog):
    """Drop calls whose results nothing uses (walking backwards). Returns root index ->
    index of the last op kept that reads or writes it (any view of it): the lifetimes
    buffers are shared by, found on the same walk."""
    last = {}                   # (its keys: the roots used later)
    used = set()                # and the roots whose buffer one of those uses
    syms_used = set(leaf.result for leaf in prog.trace.leaves if leaf.result is not None)
    keep_roots = {r.index for r in prog.trace.roots if r.held or r.kind != "result"}
    keep_roots |= set(prog.targets)
    alias = prog.alias
    for op in reversed(prog.trace.ops):
        if op.skip:
            continue
        kind = op.kind
        if kind in ("rng", "decide", "setitem") or op.writes or op.into is not None:
            live = True
        elif kind == "sym":
            live = op.sym.index in syms_used
        else:
            live = _used(op, last, used, keep_roots, alias)
        if not live and (kind == "sym" or kind in PURE_KINDS):
            op.skip = True
            prog.notes.dead += 1
            continue
        index = op.index
        if op.into is not None:
            last.setdefault(op.into.root.index, index)
        for v in op.values:
            i = v.root.index
            if i not in last:
                last[i] = index
            if i in alias:
                used.add(alias[i])
        for x in op.syms:
            syms_used.add(x.index)
    return last


def _used(op, last, used, keep_roots, alias):
    """True if a root ``op`` made is used later or kept, or its buffer is the buffer of
    one that is (``forward_stores`` dropped a copy into a kept root: the result is made
    in that root's place)."""
    index = op.index
    for v in op.outs:
        root = v.root
        if root.created == index:
            i = root.index
            while True:
                if i in last or i in used or i in keep_roots:
                    return True
                if i not in alias:
                    break
                i = alias[i]
    return False
