"""Step 2 of rendering: a traced graph -> DOT text (no Graphviz program needed).

One box per tensor, with the op that made it inside (micrograd draws a separate
op circle, as does ``style="circuit"`` here; a box per tensor halves the count)::

    +--------------------------+
    | h = mul          (title) |  name if set, then the op (grad_fn.name)
    | (2, 3)                   |  shape (dtype, creation id: show_dtype, show_ids)
    |  1  2  3                 |  value (black): an aligned matrix if small,
    |  4  5  6                 |  else min / mean / max
    | grad  …                  |  gradient, in red
    +--------------------------+

Fill colours tell the kinds apart (``legend=True`` explains them): the root, op
results, parameters, leaves that require grad, and constants (dashed). Edges run
from an input to the tensor computed from it. Tensors created under
``ag.scope(...)`` (which every ``nn.Module`` call pushes) sit in nested clusters
titled by their full dotted path and, for modules, a short description such as
``Conv2d(1→8, 3×3)``; ``collapse=k`` draws each module deeper than ``k`` levels as
one box. The layout direction, the folding and the gradients shown are options
(see :func:`to_dot`).
"""
import numpy as np

from .circuit import op_line, output_lines, source_line, wire_label
from .flow import FlowScale
from .grads import TensorGrads, as_source
from .labels import (CLUSTER_COLOR, CURRENT_FILL, DONE_COLOR, FILL, GRAD_COLOR, LEGEND,
                     input_roles, legend_rows, module_label, module_title, node_attrs,
                     tensor_label, value_markup)
from .layout import Layout, auto_collapse, auto_rankdir, beside, label_width
from .summary import as_limit, norm
from .text import esc, quote, safe_id
from .trace import trace

DEFAULT_MAX_NODES = 1000
XLABEL_MAX = 3      # larger contributions are not written on a player's edges (its panel has them)
RANKDIRS = ("auto", "LR", "RL", "TB", "BT")
STYLES = ("boxes", "circuit")

__all__ = ["to_dot", "dot_body", "DEFAULT_MAX_NODES", "FILL", "LEGEND", "GRAD_COLOR",
           "DONE_COLOR", "CURRENT_FILL", "CLUSTER_COLOR", "TensorGrads", "esc", "quote"]


def check_options(rankdir, collapse, max_nodes, max_full, style, legend):
    """Validate the drawing options; return max_full normalised."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', "
                         f"got {rankdir!r}")
    if not (collapse is None or collapse == "auto" or (
            isinstance(collapse, int) and not isinstance(collapse, bool) and collapse >= 0)):
        raise ValueError(f"to_dot: collapse must be None, 'auto' or an int >= 0, "
                         f"got {collapse!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"to_dot: max_nodes must be None or an int >= 1, got {max_nodes!r}")
    if style not in STYLES:
        raise ValueError(f"to_dot: style must be 'boxes' or 'circuit', got {style!r}")
    if legend not in (None, True, False):
        raise ValueError(f"to_dot: legend must be None (only what the picture needs), "
                         f"True or False, got {legend!r}")
    try:
        return as_limit(max_full)
    except ValueError as e:
        raise ValueError(f"to_dot: {e}") from None


def dot_body(roots, show_data=True, show_grad=True, rankdir="auto", group_modules=True,
             collapse="auto", max_nodes=DEFAULT_MAX_NODES, size=None, legend=None,
             max_full=None, title=None, format="svg", grads=None, style="boxes",
             grad_flow=False, show_ids=False, show_dtype=False, _state=None, _frame=None):
    """The lines between ``digraph G {`` and ``}`` (each starts with a tab, ends in \\n).

    ``_frame`` (used by the step player) fixes node sizes, ``{"sizes": {name: (w, h)}}``,
    and with ``"xlabels": True`` writes edge labels as external labels, so that every
    frame of a walk-through has the same layout.
    """
    max_full = check_options(rankdir, collapse, max_nodes, max_full, style, legend)
    if _state is not None:
        if grads is not None:
            raise ValueError("Step.draw: a step shows the gradients known at that moment; "
                             "grads= is not accepted here")
        state = _state
    else:
        state = as_source("all" if grad_flow and grads is None else grads, roots)
    graph = trace(*roots)
    if hasattr(state, "bind"):
        state.bind(graph)
    if collapse == "auto":
        collapse = auto_collapse(graph)
    layout = Layout(graph, group_modules, collapse, max_nodes)
    opts = {"show_data": show_data, "show_grad": show_grad, "max_full": max_full,
            "show_ids": show_ids, "show_dtype": show_dtype}
    descriptions = module_descriptions(graph, layout)
    node_lines, widths = _node_lines(graph, layout, state, opts, style, descriptions)
    frame = _frame or {}
    if frame.get("sizes"):
        _fix_sizes(node_lines, frame["sizes"])
    opts["label_attr"] = "xlabel" if frame.get("xlabels") else "label"
    edges, scale = _edge_lines(graph, layout, state, opts, style, grad_flow)
    if rankdir == "auto":
        rankdir = "LR" if style == "circuit" else auto_rankdir(layout, graph, widths)
    lines = [_graph_line(rankdir, size, title if title is not None else state.caption,
                         frame.get("xlabels")),
             '\tnode [shape=box style="rounded,filled" fontname="Helvetica" fontsize=10]\n',
             '\tedge [color="#616161" arrowsize=0.7 fontname="Helvetica" fontsize=9]\n']
    lines += _cluster_lines(layout, node_lines, descriptions)
    lines += edges
    if style == "circuit":
        for root in graph.roots:
            lines += output_lines(graph, root, state, opts)
    else:
        lines += [f"\t{{rank=same; {quote(safe_id(a))}; {quote(safe_id(b))}}}\n"
                  for a, b in beside(layout, graph)]
    lines += _legend_lines(legend, state.caption is not None, bool(layout.members), scale)
    return lines


def _node_lines(graph, layout, state, opts, style, descriptions):
    """The DOT statement of every drawn node, and its estimated width in points."""
    roles = input_roles(graph)
    node_lines, widths = {}, {}
    for rep in layout.visible:
        if rep.startswith("module:"):
            label, attrs = _module_box(rep, layout, graph, state, descriptions)
            node_lines[rep] = f"{quote(safe_id(rep))} [label={label} {' '.join(attrs)}]\n"
            widths[rep] = label_width(label)
        elif style == "circuit":
            t = graph.tensors.get(rep)
            node_lines[rep] = (op_line(rep, t, state.status(rep)) if t is not None and
                               t.grad_fn is not None else source_line(graph, rep, roles))
            widths[rep] = 40.0
        else:
            label = tensor_label(graph, rep, opts, state, roles)
            attrs = node_attrs(graph.kind(rep), state.status(rep))
            node_lines[rep] = f"{quote(rep)} [label={label} {' '.join(attrs)}]\n"
            widths[rep] = label_width(label)
    return node_lines, widths


def _fix_sizes(node_lines, sizes):
    """Give nodes the sizes (inches) in ``sizes``: the same layout in every frame.

    They are minimum sizes, not ``fixedsize``: a frame whose label is bigger than in
    the frame the sizes were measured on (a longer "so far" number) grows that box
    instead of letting the text spill out of it (and Graphviz warn on stderr)."""
    for rep, line in node_lines.items():
        size = sizes.get(safe_id(rep))
        if size is not None:
            node_lines[rep] = line[:-2] + f" width={size[0]:.3f} height={size[1]:.3f}]\n"


def _graph_line(rankdir, size, caption, xlabels=False):
    attrs = [f"rankdir={rankdir}", "newrank=true"]
    if xlabels:                     # an external label that would cover a box is left out
        attrs.append("forcelabels=false")
    if size is not None:
        attrs.append(f"size={quote(size)}")
    if caption:
        attrs += [f"label=<{esc(caption, limit=None)}>", "labelloc=t", "fontsize=12",
                  'fontname="Helvetica"']
    return "\tgraph [" + " ".join(attrs) + "]\n"


def module_descriptions(graph, layout):
    """path -> short description of the module there (``Linear(64→10)``), asked of the
    scope names that ``nn.Module`` pushes (they carry a ``describe(path)`` method)."""
    describers = {}
    for t in graph.tensors.values():
        node = t.grad_fn
        scope = getattr(node, "scope", None) if node is not None else None
        describe = getattr(scope, "describe", None)
        if describe is not None:
            describers.setdefault(id(getattr(scope, "tree", scope)), describe)
    paths = set()
    for place in layout.place.values():
        if place is not None:
            parts = place.split(".")
            paths.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    paths.update(rep[len("module:"):] for rep in layout.members)
    found = {}
    if describers:
        for path in paths:
            for describe in describers.values():
                text = describe(path)
                if text:
                    found[path] = text
                    break
    return found


def _module_box(rep, layout, graph, state, descriptions):
    path = rep[len("module:"):]
    members = set(layout.members[rep])
    statuses = {state.status(k) for k in members              # the ops inside decide
                if k in graph.tensors and graph.tensors[k].grad_fn is not None}
    status = "current" if "current" in statuses else (
        "done" if statuses == {"done"} else None)
    attrs = ["shape=box3d"] + node_attrs("module", status)
    return module_label(path, descriptions.get(path), members, graph), attrs


def _cluster_lines(layout, node_lines, descriptions, indent="\t"):
    """Nested ``subgraph "cluster_<full.path>"`` blocks around the nodes of each scope."""
    by_path = {}
    for rep in layout.in_creation_order(layout.visible):
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
        title = module_title(path, descriptions.get(path))
        lines.append(f"{pad}subgraph {quote('cluster_' + safe_id(path))} {{\n")
        lines.append(f"{pad}\tlabel=<{title}> style=\"rounded,dashed\" "
                     f'color="{CLUSTER_COLOR}" fontcolor="{CLUSTER_COLOR}" fontsize=10\n')
        stack.append(parts)
        for rep in by_path.get(path, ()):
            lines.append(pad + "\t" + node_lines[rep])
    while stack:
        stack.pop()
        lines.append(indent + "\t" * len(stack) + "}\n")
    return lines


def _legend_lines(legend, stepping, boxes, scale):
    """One plaintext node holding a small table: the colour key (``legend=True``) and
    the gradient-flow scale (whenever ``grad_flow`` is on, unless ``legend=False``)."""
    if legend is False:
        return []
    rows = legend_rows(stepping, boxes) if legend else []
    if scale is not None:
        rows += scale.legend_rows()
    if not rows:
        return []
    table = ('<<table border="0" cellborder="0" cellspacing="2" cellpadding="2">'
             '<tr><td colspan="2"><b>legend</b></td></tr>' + "".join(rows) + "</table>>")
    return [f'\tlegend [label={table} shape=plaintext style="" fontsize=9]\n']


def _edge_lines(graph, layout, state, opts, style, grad_flow):
    """The edges (one per distinct pair of drawn nodes) and, with ``grad_flow``, the
    scale they were drawn with."""
    rep, visible = layout.rep, layout.visible
    pairs, cut_targets, seen_cut = {}, [], set()
    for src, dst, pos in graph.edges:
        a, b = rep[src], rep[dst]
        if b not in visible:
            continue
        if a not in visible:
            if b not in seen_cut:
                seen_cut.add(b)
                cut_targets.append(b)
            continue
        if a != b:
            pairs.setdefault((a, b), []).append((src, dst, pos))
    norms = {}
    if grad_flow:
        for pair, members in pairs.items():
            parts = [norm(state.edge_flow(*m)) for m in members]
            parts = [p for p in parts if p is not None]
            norms[pair] = (sum(p * p for p in parts) ** 0.5) if parts else None
    scale = FlowScale(norms.values()) if grad_flow else None
    lines = []
    position = layout.position
    for (a, b), members in sorted(pairs.items(),
                                  key=lambda item: (position[item[0][1]], position[item[0][0]])):
        lines.append(_edge(graph, a, b, members, state, opts, style, scale, norms))
    if layout.hidden:
        note = (f"... {layout.hidden} more nodes not drawn (max_nodes={layout.max_nodes}); "
                "pass max_nodes=None to draw all, or collapse=k to fold modules")
        lines.append(f'\ttruncated [label={quote(note)} shape=note fillcolor="#fff3e0" '
                     'style=filled fontsize=9]\n')
        for b in cut_targets:
            lines.append(f'\ttruncated -> {quote(safe_id(b))} [style=dashed color="#9e9e9e"]\n')
    return lines, scale


def _edge(graph, a, b, members, state, opts, style, scale, norms):
    """One DOT edge between drawn nodes ``a`` and ``b`` carrying the graph ``members``."""
    head = f"\t{quote(safe_id(a))} -> {quote(safe_id(b))}"
    attrs = []
    if scale is not None:
        attrs.append(scale.attrs(norms[(a, b)]))
    boxed = a.startswith("module:") or b.startswith("module:")
    if not boxed:                               # one tensor, maybe at several positions
        src, dst, pos = members[0]
        g = _total(state.edge_grad(*m) for m in members)
        if g is not None:                       # the current step sends this back
            if scale is None:
                attrs.append(f'color="{GRAD_COLOR}" penwidth=2')
            attrs.append("dir=back")
            if opts["label_attr"] == "label" or np.size(g) <= XLABEL_MAX:
                text = value_markup(g, opts["max_full"], GRAD_COLOR, "\u2202")
                attrs.append(f"{opts['label_attr']}=<{text}>")
        elif style == "circuit":
            flow = _total(state.edge_flow(*m) for m in members)
            tensor = graph.tensors.get(src)
            grad = flow if flow is not None else (
                state.grad(src, tensor)[0] if tensor is not None else None)
            label = wire_label(graph, src, grad, opts["max_full"], opts["show_data"],
                               opts["show_grad"]).strip()
            if opts["label_attr"] != "label" and label.startswith("label="):
                label = opts["label_attr"] + label[len("label"):]
            attrs.append(label)
    if _is_result(graph, a) and _is_result(graph, b):
        attrs.append("weight=4")               # keeps the main chain straight
    attrs = [x for x in attrs if x]
    return head + (f" [{' '.join(attrs)}]\n" if attrs else "\n")


def _is_result(graph, rep):
    """True for a drawn op result or a collapsed module (not a leaf or a constant)."""
    if rep.startswith("module:"):
        return True
    t = graph.tensors.get(rep)
    return t is not None and t.grad_fn is not None


def _total(parts):
    """The sum of the gradients in ``parts`` that are not None (None if all are)."""
    total = None
    for g in parts:
        if g is not None:
            total = g if total is None else total + g
    return total


def to_dot(*roots, show_data=True, show_grad=True, rankdir="auto", group_modules=True,
           collapse="auto", max_nodes=DEFAULT_MAX_NODES, size=None, legend=None,
           max_full=None, title=None, format="svg", grads=None, style="boxes",
           grad_flow=False, show_ids=False, show_dtype=False):
    """The DOT text of the graph behind ``roots`` (no Graphviz program needed).

    Takes the same options as :func:`draw_graph`:

    - ``show_data``/``show_grad``: the value and gradient rows.
    - ``grads``: which gradients to show: None (each tensor's ``.grad``), ``"all"``
      (every node's, by an observed backward that changes nothing), or a mapping
      from tensors to gradients (see ``autograd.viz.grads``).
    - ``style``: ``"boxes"`` (a box per tensor) or ``"circuit"`` (op circles, the
      value and gradient written on each wire, as in the lecture's diagrams).
    - ``grad_flow``: draw each edge's gradient norm as width and colour (log scale,
      shown in the legend); implies ``grads="all"`` unless grads are given.
    - ``rankdir``: ``"auto"`` (left to right when that fits a notebook column, else
      the narrower of LR and TB), or Graphviz's ``"LR"``, ``"TB"``, ``"RL"``, ``"BT"``.
    - ``group_modules``: a cluster per module path; ``collapse=k`` folds modules
      deeper than k levels into one box; ``"auto"`` (the default) folds only graphs
      with more than 40 boxes, as little as needed; None never folds.
    - ``max_nodes``: keep the nodes nearest the roots and note how many were cut.
    - ``max_full``: the largest array printed in full, as (rows, cols) (default
      (5, 5)) or an element count; larger ones show min / mean / max.
    - ``legend``: None shows only what a picture needs (the gradient-flow scale),
      True adds the colour key, False shows nothing.
    - ``show_ids``/``show_dtype``: each box's creation index and dtype.
    - ``size`` (Graphviz's, in inches, e.g. ``"8,10"``), ``title`` (a caption);
      ``format`` only matters for ``draw_graph``.

    >>> import autograd as ag
    >>> a = ag.Tensor(2.0, requires_grad=True, name="a")
    >>> "mul" in to_dot(a * a)
    True
    """
    body = dot_body(roots, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                    group_modules=group_modules, collapse=collapse, max_nodes=max_nodes,
                    size=size, legend=legend, max_full=max_full, title=title, format=format,
                    grads=grads, style=style, grad_flow=grad_flow, show_ids=show_ids,
                    show_dtype=show_dtype)
    return "digraph G {\n" + "".join(body) + "}\n"
