"""Seeing a compiled program: a text summary and a picture.

The picture is the course's *static graph*: the forward, the backward and the update of
one training step as one fixed graph of NumPy calls (ovals, coloured by phase) reading
and writing buffers (boxes). A box holding several results is one buffer shared by
results whose lifetimes do not overlap; a blue box is an array the program uses in
place (a parameter, an optimizer buffer), a grey one an input.
"""
import collections

import numpy as np

from . import plan

PHASE_COLORS = {"forward": "#dbeafe", "backward": "#fde68a", "update": "#bbf7d0"}


def phase(op):
    """forward, backward (inside ``backward()``/``ag.grad``) or update (an optimizer's
    ``step``), as noted while tracing."""
    return op.phase


def _mib(n):
    return f"{n / 2**20:.2f} MiB" if n >= 2**18 else f"{n / 2**10:.1f} KiB"


def _label(op):
    if op.kind == "decide":
        return "guard " + getattr(op.fn, "__name__", "?")
    if op.kind == "sym":
        return "number " + getattr(op.fn, "__name__", "?")
    return op.name


def summary(compiled):
    """The text of ``CompiledFunction.summary()``."""
    stats = compiled.stats()
    head = (f"ag.compile({getattr(compiled.fn, '__qualname__', compiled.fn)}): "
            f"{stats['traces']} tracing calls, {stats['replays']} replays, "
            f"{stats['eager']} eager, {stats['guard_failures']} guard failures")
    prog = compiled.program()
    if prog is None:
        return head + "\n(no program yet: it is made once two calls traced alike)"
    trace, notes = prog.trace, prog.notes
    phases = collections.Counter(phase(op) for op in prog.ops)
    decisions = sum(op.kind == "decide" for op in prog.ops)
    in_head = sum(op.kind == "decide" for _step, op in prog.head)
    calls = collections.Counter(_label(op) for op in prog.ops)
    owned, used, shared_roots = {}, {}, collections.Counter()
    for index, buf in prog.phys.items():
        if not isinstance(buf, np.ndarray) or prog.inputs.borrowed(index):
            continue                  # (an input read in place is the caller's array)
        root = trace.roots[index]
        target = used if root.kind == "foreign" and index not in prog.carried else owned
        key, nbytes = plan.memory_of(buf, notes)
        target[key] = nbytes
        shared_roots[id(buf)] += 1
    lines = [
        head,
        f"program: {_calls(prog)} replayed (forward {phases['forward']}, "
        f"backward {phases['backward']}, update {phases['update']}) from "
        f"{len(trace.ops)} recorded calls",
        "calls: " + ", ".join(f"{name} {n}" for name, n in calls.most_common(12))
        + (", ..." if len(calls) > 12 else ""),
        f"buffers: {len(owned)} owned ({_mib(sum(owned.values()))}: inputs, results, "
        f"copies), {len(used)} used in place ({_mib(sum(used.values()))}: parameters, "
        "optimizer and module state)"
        + (f"; the {notes.in_arena} largest results lie in one {_mib(notes.arena.nbytes)} "
           "arena, each where dead ones were" if notes.arena is not None else ""),
        f"reused: {notes.shared} results written into memory an earlier result "
        f"had finished with ({sum(n > 1 for n in shared_roots.values())} buffers "
        "shared whole)",
        f"fused away: {notes.elided} copies (results computed in place: the engine's "
        f"gradient copies, the optimizer's writes), {notes.folded} calls on constants "
        f"computed once, {notes.dead} unused calls dropped, {notes.deduped} repeated "
        f"decisions made once, {notes.views} views made once, {notes.fills} arrays "
        f"refilled instead of allocated, {notes.slices} slice gradients written in place "
        f"instead of summed as zeros arrays, {notes.picked} log_softmax gradients of a "
        "one-hot made as a scaled exp and a pick",
        f"out=: {notes.out} calls write their result straight into their buffer",
        f"guards: {decisions - in_head} decisions checked at every replay, {in_head} on "
        "numbers read anew only, checked when one of those changes; numbers read anew: "
        + (", ".join(str(leaf) for leaf in prog.leaves[:6]) or "none")
        + (", ..." if len(prog.leaves) > 6 else ""),
    ]
    if prog.fused is not None:
        lines.append(_fused_line(prog.fused))
    return "\n".join(lines)


def _calls(prog):
    kernels = len(prog.fused.kernels) if prog.fused is not None else 0
    if not kernels:
        return f"{len(prog.steps)} NumPy calls"
    return (f"{len(prog.steps)} calls ({len(prog.steps) - kernels} NumPy calls, {kernels} "
            "fused kernels)")


def _fused_line(fused):
    """What ``kernels="numba"`` fused (``fuse.Fused``), as one line."""
    refused = (f"; {len(fused.failed)} runs left as NumPy calls, {fused.backend} "
               f"refused them ({fused.failed[0]})") if fused.failed else ""
    if not fused.kernels:
        return (f"kernels ({fused.backend}): nothing fused (no run of two or more "
                "fusable elementwise calls); every call is a NumPy call" + refused)
    names = collections.Counter()
    shapes = collections.Counter()
    for n, counts, shape, dtypes, _seconds in fused.kernels:
        names.update(counts)
        shapes[f"{shape} {'/'.join(dtypes)}"] += 1
    compiled = sum(1 for k in fused.kernels if k[4])
    return (f"kernels ({fused.backend}): {len(fused.kernels)} fused kernels replace "
            f"{fused.calls} elementwise NumPy calls ("
            + ", ".join(f"{name} {n}" for name, n in names.most_common()) + "); on "
            + ", ".join(f"{s} x{n}" for s, n in shapes.most_common(4))
            + f"; {compiled} compiled in {fused.seconds:.2f} s, "
            f"{len(fused.kernels) - compiled} reusing a compiled kernel" + refused)


def to_dot(compiled, max_steps=300, rankdir="TB"):
    """DOT text of the program (see the module docstring)."""
    prog = compiled.program()
    if prog is None:
        raise RuntimeError("ag.compile: nothing to draw yet; call the compiled function "
                           "until it replays (stats()['replays'] > 0)")
    if len(prog.steps) > max_steps:
        raise ValueError(f"ag.compile: the program has {len(prog.steps)} calls, more than "
                         f"max_steps={max_steps} can be drawn legibly; see summary(), or "
                         "pass a larger max_steps")
    trace = prog.trace
    lines = [f"digraph program {{", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=10];']
    boxes = {}

    def box(value):
        root = value.root
        buf = prog.phys.get(root.index)
        key = id(buf) if buf is not None else ("r", root.index)
        if key not in boxes:
            name = f"b{len(boxes)}"
            kind = "input" if root.kind == "input" else (
                "state" if root.kind == "foreign" and root.index not in prog.carried
                else "buffer")
            color = {"input": "#e5e7eb", "state": "#bfdbfe"}.get(kind, "white")
            shape = root.shape if root.layout is not None else ()
            dtype = root.dtype if root.layout is not None else ""
            boxes[key] = (name, color, f"{kind} {shape} {dtype}")
        return boxes[key][0]

    body = []
    for i, op in enumerate(prog.ops):
        node = f"s{i}"
        fill = PHASE_COLORS[phase(op)]
        body.append(f'  {node} [label="{_label(op)}", shape=oval, style=filled, '
                    f'fillcolor="{fill}"];')
        for name in dict.fromkeys(box(v) for v in op.values):
            body.append(f"  {name} -> {node};")
        outs = list(op.writes) + ([op.into] if op.into is not None else [])
        outs += [v for v in op.outs if v.root.created == op.index and op.into is None]
        for name in dict.fromkeys(box(v) for v in outs):
            body.append(f"  {node} -> {name};")
    for k, members in _clusters(prog).items():
        n = prog.fused.kernels[k][0]
        body.append(f'  subgraph cluster_k{k} {{ label="fused kernel {k} ({n} calls)"; '
                    f'style=dashed; {" ".join(members)}; }}')
    for name, color, label in boxes.values():
        lines.append(f'  {name} [label="{label}", shape=box, style=filled, '
                     f'fillcolor="{color}"];')
    lines += body
    lines.append('  legend [shape=plaintext, label="ovals: NumPy calls (blue forward, '
                 'yellow backward, green update); boxes: buffers (blue: used in place, '
                 'grey: input)"];')
    lines.append("}")
    return "\n".join(lines)


def _clusters(prog):
    """kernel number -> the node names of the ops it fused (none without kernels)."""
    out = {}
    if prog.fused is None:
        return out
    for i, op in enumerate(prog.ops):
        k = prog.fused.groups.get(id(op))
        if k is not None:
            out.setdefault(k, []).append(f"s{i}")
    return out


def draw(compiled, max_steps=300, rankdir="TB", format="svg"):  # noqa: A002
    """The program as a ``graphviz.Digraph`` (inline in Jupyter)."""
    from ..viz.render import make_graph
    text = to_dot(compiled, max_steps=max_steps, rankdir=rankdir)
    return make_graph(text.splitlines()[1:-1], format)
