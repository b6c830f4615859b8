"""Step 2 of rendering: a traced graph -> DOT text (no Graphviz program needed).

One box per tensor, with the op that made it inside (micrograd draws a separate
op circle; here the op is the box's title, which halves the node count):

    +--------------------------+
    | h = mul          (title) |  name if set, then the op (grad_fn.name)
    | (2, 3) float32  #17      |  shape, dtype, creation index
    | [[1, 2, 3], [4, 5, 6]]   |  value (black): all numbers if small, else
    | grad [[...]]             |  min/mean/max; gradient in red
    +--------------------------+

Fill colours tell the kinds apart (see LEGEND): the root, op results, parameters,
leaves that require grad, and constants (dashed). Edges run from an input to the
tensor computed from it. Tensors created under ``ag.scope(...)`` (which every
``nn.Module`` call pushes) sit in nested clusters named by their full dotted path;
``collapse=k`` draws each module deeper than ``k`` levels as one box.
"""
import html
import re

import numpy as np

from .summary import shape_text, summarize
from .trace import trace

DEFAULT_MAX_NODES = 1000

FILL = {"root": "#ffcc80", "op": "#ffffff", "param": "#c8e6c9", "leaf": "#bbdefb",
        "const": "#eeeeee", "module": "#e1bee7"}
LEGEND = (("root", "root (output)"), ("op", "op result"), ("param", "parameter"),
          ("leaf", "leaf, requires grad"), ("const", "constant / no grad"),
          ("module", "collapsed module"))
GRAD_COLOR = "#d50000"      # gradients are red everywhere (labels, edges, legend)
DONE_COLOR = "#2e7d32"
CURRENT_FILL = "#fff59d"
CLUSTER_COLOR = "#7e57c2"


_SPECIAL = re.compile(r"[&<>\"']")
_DTYPE_NAMES = {}


def esc(text):
    """Escape text for a Graphviz HTML-like label."""
    text = str(text)
    return html.escape(text, quote=True) if _SPECIAL.search(text) else text


def dtype_name(dtype):
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


def quote(text):
    """A double-quoted DOT id or string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


class TensorGrads:
    """What a drawing shows as gradients: each tensor's ``.grad`` (after backward).

    ``backprop_steps`` passes its own state with the same three methods instead.
    """

    caption = None

    def grad(self, key, tensor):
        """(gradient array or None, note shown after 'grad')."""
        g = getattr(tensor, "grad", None) if tensor is not None else None
        return (None if g is None else g.data), ""

    def status(self, key):
        """'current', 'done' or None (only used while stepping)."""
        return None

    def edge_grad(self, src, dst, pos):
        """The gradient sent back along an edge in the current step, or None."""
        return None


def _header(kind, obj, node_name):
    """``name = op`` for op results, ``name kind`` for leaves (just one if no name)."""
    name = getattr(obj, "name", None)
    if node_name is not None:
        if name:
            return f"<b>{esc(name)}</b> = {esc(node_name)}"
        return f"<b>{esc(node_name)}</b>"
    word = "leaf" if kind == "root" else kind
    if name:
        return f'<b>{esc(name)}</b> <font point-size="9">{word}</font>'
    return f"<b>{word}</b>"


def tensor_label(graph, key, opts, state):
    """The HTML-like label of one tensor or constant node."""
    kind = graph.kind(key)
    if key in graph.constants:
        value, obj, node_name = graph.constants[key][0], None, None
        arr = np.asarray(value)
        index = ""
    else:
        obj = graph.tensors[key]
        arr = obj.data
        node_name = obj.grad_fn.name if obj.grad_fn is not None else None
        index = f"  #{obj._index}"
    rows = [_header(kind, obj, node_name),
            f'<font point-size="9" color="#555555">{esc(shape_text(arr.shape))} '
            f"{esc(dtype_name(arr.dtype))}{index}</font>"]
    if opts["show_data"]:
        rows.append(esc(summarize(arr, opts["max_full"])))
    if opts["show_grad"] and obj is not None:
        g, note = state.grad(key, obj)
        if g is not None:
            word = "grad" + (f" ({note})" if note else "")
            rows.append(f'<font color="{GRAD_COLOR}">{esc(word)} '
                        f"{esc(summarize(g, opts['max_full']))}</font>")
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _node_attrs(kind, status):
    fill = CURRENT_FILL if status == "current" else FILL[kind]
    attrs = [f'fillcolor="{fill}"']
    if kind == "const":
        attrs.append('style="rounded,filled,dashed"')
    if kind == "root":
        attrs.append("peripheries=2")
    if status == "current":
        attrs += [f'color="{GRAD_COLOR}"', "penwidth=3"]
    elif status == "done":
        attrs += [f'color="{DONE_COLOR}"', "penwidth=2"]
    elif kind == "root":
        attrs.append("penwidth=2")
    return attrs


class _Layout:
    """Which DOT node (a tensor, a constant or a collapsed module) each key maps to."""

    def __init__(self, graph, group_modules, collapse, max_nodes):
        if collapse is not None and (not isinstance(collapse, int) or collapse < 0):
            raise ValueError(f"to_dot: collapse must be None or an int >= 0, got {collapse!r}")
        if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
            raise ValueError(f"to_dot: max_nodes must be None or an int >= 1, got {max_nodes!r}")
        self.rep, self.place, self.members = {}, {}, {}
        for key in graph.order:
            scope = graph.scope(key)
            rep = key
            if collapse is not None and scope is not None:
                parts = scope.split(".")
                if len(parts) > collapse:
                    box = ".".join(parts[:collapse + 1])
                    rep = "module:" + box
                    scope = ".".join(parts[:collapse]) or None
                    self.members.setdefault(rep, []).append(key)
            self.rep[key] = rep
            if rep not in self.place:
                self.place[rep] = scope if group_modules else None
        reps = list(self.place)          # discovery order: nearest the roots first
        limit = len(reps) if max_nodes is None else max_nodes
        self.visible = dict.fromkeys(reps[:limit])
        self.hidden = len(reps) - len(self.visible)
        self.max_nodes = max_nodes


def _module_label(path, members, graph):
    n_ops = sum(1 for k in members if k in graph.tensors and graph.tensors[k].grad_fn)
    n_par = sum(1 for k in members if graph.kind(k) == "param")
    outs = [k for k in members if any(c not in members for c in graph.consumers.get(k, ()))]
    rows = [f"<b>{esc(path)}</b>",
            f'<font point-size="9">{n_ops} ops, {n_par} params (collapsed)</font>']
    for k in outs[:3]:
        t = graph.tensors.get(k)
        if t is not None:
            rows.append(f'<font point-size="9">out {esc(shape_text(t.shape))} '
                        f"{esc(t.dtype)}</font>")
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _cluster_lines(layout, node_lines, indent="\t"):
    """Nested ``subgraph "cluster_<full.path>"`` blocks around the nodes of each scope."""
    by_path = {}
    for rep in layout.visible:
        by_path.setdefault(layout.place[rep], []).append(rep)
    lines = [indent + node_lines[rep] for rep in by_path.pop(None, [])]
    paths = set()
    for p in by_path:
        parts = p.split(".")
        paths.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    stack = []
    for path in sorted(paths, key=lambda p: p.split(".")):
        parts = path.split(".")
        while stack and parts[:len(stack[-1])] != stack[-1]:
            stack.pop()
            lines.append(indent + "\t" * len(stack) + "}\n")
        pad = indent + "\t" * len(stack)
        lines.append(f"{pad}subgraph {quote('cluster_' + path)} {{\n")
        lines.append(f"{pad}\tlabel={quote(path)} style=\"rounded,dashed\" "
                     f'color="{CLUSTER_COLOR}" fontcolor="{CLUSTER_COLOR}" fontsize=10\n')
        stack.append(parts)
        for rep in by_path.get(path, ()):
            lines.append(pad + "\t" + node_lines[rep])
    while stack:
        stack.pop()
        lines.append(indent + "\t" * len(stack) + "}\n")
    return lines


def _legend_lines(stepping, boxes):
    """One plaintext node holding a small table: a swatch per node kind and colour."""
    rows = []
    for kind, text in LEGEND:
        if kind == "module" and not boxes:
            continue
        border = ' style="dashed"' if kind == "const" else ""
        if kind == "root":
            text += " (double border)"
        rows.append(f'<tr><td bgcolor="{FILL[kind]}" border="1"{border}>{esc(text)}</td></tr>')
    rows.append('<tr><td>value (black)</td></tr>')
    rows.append(f'<tr><td><font color="{GRAD_COLOR}">gradient (red)</font></td></tr>')
    if stepping:
        rows.append(f'<tr><td bgcolor="{CURRENT_FILL}" border="1" color="{GRAD_COLOR}">'
                    "current step</td></tr>")
        rows.append(f'<tr><td border="1" color="{DONE_COLOR}">gradient pushed back</td></tr>')
    table = ('<<table border="0" cellborder="0" cellspacing="2" cellpadding="2">'
             '<tr><td><b>legend</b></td></tr>' + "".join(rows) + "</table>>")
    return [f'\tlegend [label={table} shape=plaintext style="" fontsize=9]\n']


def dot_body(roots, show_data=True, show_grad=True, rankdir="LR", group_modules=True,
             collapse=None, max_nodes=DEFAULT_MAX_NODES, size=None, legend=True,
             max_full=6, title=None, format="svg", _state=None):
    """The lines between ``digraph G {`` and ``}`` (each starts with a tab, ends in \\n)."""
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"to_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    state = _state if _state is not None else TensorGrads()
    graph = trace(*roots)
    if hasattr(state, "bind"):
        state.bind(graph)
    layout = _Layout(graph, group_modules, collapse, max_nodes)
    opts = {"show_data": show_data, "show_grad": show_grad, "max_full": max_full}
    caption = title if title is not None else state.caption
    graph_attrs = [f"rankdir={rankdir}", "newrank=true"]
    if size is not None:
        graph_attrs.append(f"size={quote(size)}")
    if caption:
        graph_attrs += [f"label={quote(caption)}", "labelloc=t", "fontsize=12"]
    lines = ["\tgraph [" + " ".join(graph_attrs) + "]\n",
             '\tnode [shape=box style="rounded,filled" fontname="Helvetica" fontsize=10]\n',
             '\tedge [color="#616161" arrowsize=0.7 fontname="Helvetica" fontsize=9]\n']
    node_lines = {}
    for rep in layout.visible:
        if rep.startswith("module:"):
            members = set(layout.members[rep])
            statuses = {state.status(k) for k in members         # the ops inside decide
                        if k in graph.tensors and graph.tensors[k].grad_fn is not None}
            status = "current" if "current" in statuses else (
                "done" if statuses == {"done"} else None)
            attrs = ["shape=box3d"] + _node_attrs("module", status)
            label = _module_label(rep[len("module:"):], members, graph)
        else:
            attrs = _node_attrs(graph.kind(rep), state.status(rep))
            label = tensor_label(graph, rep, opts, state)
        node_lines[rep] = f"{quote(rep)} [label={label} {' '.join(attrs)}]\n"
    lines += _cluster_lines(layout, node_lines)
    lines += _edge_lines(graph, layout, state, max_full)
    if legend:
        lines += _legend_lines(state.caption is not None, bool(layout.members))
    return lines


def _edge_lines(graph, layout, state, max_full):
    lines, seen = [], set()
    rep, visible = layout.rep, layout.visible
    cut_targets = []
    for src, dst, pos in graph.edges:
        a, b = rep[src], rep[dst]
        if b not in visible:
            continue
        if a not in visible:
            if b not in seen:
                seen.add(b)
                cut_targets.append(b)
            continue
        if a == b:
            continue
        boxed = a.startswith("module:") or b.startswith("module:")
        if boxed:
            if (a, b) in seen:
                continue
            seen.add((a, b))
            lines.append(f"\t{quote(a)} -> {quote(b)}\n")
            continue
        g = state.edge_grad(src, dst, pos)
        if g is None:
            lines.append(f"\t{quote(a)} -> {quote(b)}\n")
        else:
            text = esc(summarize(g, max_full))
            lines.append(f'\t{quote(a)} -> {quote(b)} [color="{GRAD_COLOR}" penwidth=2 '
                         f'label=<<font color="{GRAD_COLOR}">&#8706; {text}</font>> '
                         "dir=back]\n")
    if layout.hidden:
        note = (f"... {layout.hidden} more nodes not drawn (max_nodes={layout.max_nodes}); "
                "pass max_nodes=None to draw all, or collapse=k to fold modules")
        lines.append(f'\ttruncated [label={quote(note)} shape=note fillcolor="#fff3e0" '
                     'style=filled fontsize=9]\n')
        for b in cut_targets:
            lines.append(f'\ttruncated -> {quote(b)} [style=dashed color="#9e9e9e"]\n')
    return lines


def to_dot(*roots, show_data=True, show_grad=True, rankdir="LR", group_modules=True,
           collapse=None, max_nodes=DEFAULT_MAX_NODES, size=None, legend=True, max_full=6,
           title=None, format="svg"):
    """The DOT text of the graph behind ``roots`` (no Graphviz program needed).

    Takes the same options as :func:`draw_graph`:
    ``show_data``/``show_grad`` switch the value and gradient rows; ``rankdir`` is
    the layout direction; ``group_modules`` draws a cluster per module path;
    ``collapse=k`` folds modules deeper than k levels into one box; ``max_nodes``
    keeps the nodes nearest the roots and notes how many were cut (None: all);
    ``size`` is Graphviz's size attribute (e.g. ``"8,10"``, inches); ``legend``
    adds the colour key; ``max_full`` is the largest array printed in full
    (bigger ones as min/mean/max); ``title`` a caption; ``format`` only matters
    for ``draw_graph``.

    >>> import autograd as ag
    >>> a = ag.Tensor(2.0, requires_grad=True, name="a")
    >>> "mul" in to_dot(a * a)
    True
    """
    body = dot_body(roots, show_data, show_grad, rankdir, group_modules, collapse,
                    max_nodes, size, legend, max_full, title, format)
    return "digraph G {\n" + "".join(body) + "}\n"


__all__ = ["to_dot", "dot_body", "DEFAULT_MAX_NODES"]
