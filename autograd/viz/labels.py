"""The text inside the boxes: a tensor's label, a collapsed module's, the legend.

A tensor box reads, top to bottom (value above, gradient below, as in the
lecture's circuit diagrams and micrograd's ``draw_dot``)::

    h = mul                      name (if set) = op, or the argument it feeds
    (2, 3)                       shape (dtype and creation id when asked)
      1    2    3                value: small arrays as an aligned matrix,
      4    5    6                large ones as min / mean / max
    grad  0.5  0.5  0.5  ...     gradient, in red

Unnamed inputs and constants are named after the op argument they feed
(``x of linear``, ``b of mul``), found from the op's rule text or signature.
"""
import inspect
import re

import numpy as np

from ..release import is_released
from .summary import (RELEASED_TEXT, block_starts, fits, matrix_rows, noise_floor,
                      shape_text, stats_lines)
from .text import esc, table

GRAD_COLOR = "#d50000"      # gradients are red everywhere (labels, edges, legend)
DONE_COLOR = "#2e7d32"
CURRENT_FILL = "#fff59d"
CLUSTER_COLOR = "#7e57c2"
DETAIL_COLOR = "#555555"
HOOK_COLOR = "#6a1b9a"       # a gradient as it was before a tensor hook replaced it
SMALL = 9                   # point size of secondary text (shapes, notes)

FILL = {"root": "#ffcc80", "op": "#ffffff", "param": "#c8e6c9", "leaf": "#bbdefb",
        "const": "#eeeeee", "module": "#e1bee7"}
LEGEND = (("root", "root (output)"), ("op", "op result"), ("param", "parameter"),
          ("leaf", "leaf, requires grad"), ("const", "constant / no grad"),
          ("module", "collapsed module"))

_RULE_ARG = re.compile(r"/\s*d\s*([A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff]*)")
_NUMPY_KW = {"out", "where", "casting", "order", "dtype", "subok", "signature", "axes",
             "axis", "keepdims"}
_DTYPE_NAMES = {}


def dtype_name(dtype):
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


def small(text, color=DETAIL_COLOR):
    return f'<font point-size="{SMALL}" color="{color}">{text}</font>'


# ------------------------------------------------------------------ argument names
def arg_name(node, pos):
    """The name of input ``pos`` of graph node ``node``: from its rule text
    (``d(a*b)/db`` -> ``b``), else from its forward's signature, else ``input pos``."""
    try:
        op = node.op
        rules = getattr(op, "rules", None)
        if rules is not None and pos < len(rules):
            m = _RULE_ARG.search(rules[pos])
            if m:
                return m.group(1)
        forward = getattr(op, "forward", None)
        if forward is not None:
            names = [p.name for p in inspect.signature(forward).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                     and p.name not in _NUMPY_KW]
            if names and names[0] == "ctx":     # a custom Function's forward(ctx, ...)
                names = names[1:]
            if pos < len(names) and len(names) >= len(node.inputs):
                return names[pos]
    except (TypeError, ValueError, AttributeError):
        pass
    return f"input {pos}"


# ------------------------------------------------------------------ values as markup
def value_markup(arr, max_full, color=None, word=None):
    """A value (or, with ``word="grad"``, a gradient) as label markup: an aligned
    matrix for small arrays, ``min / mean / max`` for large ones."""
    prefix = "" if word is None else esc(word) + " "
    if is_released(arr):
        markup = prefix + "<i>" + esc(RELEASED_TEXT) + "</i>"
        return f'<font color="{color}">{markup}</font>' if color else markup
    arr = np.asarray(arr)
    if arr.size and fits(arr.shape, max_full) and arr.ndim >= 2 and arr.size > arr.shape[-1]:
        body = _matrix(arr)
        inner = f"<td>{esc(word)}&nbsp;</td>" if word else ""
        markup = (f'<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
                  f'<tr>{inner}<td border="1" sides="LR">{body}</td></tr></table>')
    elif arr.size and fits(arr.shape, max_full):
        tiny = noise_floor(arr)
        cells = ", ".join(esc(v) for v in matrix_rows(arr, tiny)[0]) if arr.ndim else \
            esc(matrix_rows(arr, tiny)[0][0])
        markup = prefix + ("[" * arr.ndim + cells + "]" * arr.ndim)
    elif arr.size == 0:
        markup = prefix + "[] (empty)"
    else:
        markup = prefix + "<br/>".join(esc(line) for line in stats_lines(arr))
    return f'<font color="{color}">{markup}</font>' if color else markup


def _matrix(arr):
    """An HTML-like table of the entries, right-aligned columns, a gap between blocks."""
    rows = matrix_rows(arr)
    starts = set(block_starts(arr.shape)[1:])
    ncol = len(rows[0]) if rows else 1
    out = []
    for i, row in enumerate(rows):
        if i in starts:
            out.append(f'<tr><td colspan="{ncol}" height="4"></td></tr>')
        out.append("<tr>" + "".join(f'<td align="right">&nbsp;{esc(v)}</td>' for v in row)
                   + "</tr>")
    return ('<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
            + "".join(out) + "</table>")


# ------------------------------------------------------------------ tensor boxes
def header(kind, obj, node_name, role=None):
    """``name = op`` for op results, ``name kind`` for leaves, ``arg of op`` for
    unnamed inputs and constants."""
    name = getattr(obj, "name", None)
    if node_name is not None:
        if name:
            return f"<b>{esc(name)}</b> = {esc(node_name)}"
        return f"<b>{esc(node_name)}</b>"
    word = "leaf" if kind == "root" else kind
    if name:
        return f"<b>{esc(name)}</b> " + small(word)
    if role is not None:
        arg, op = role
        return f"<b>{esc(arg)}</b> " + small(f"{word} of {esc(op)}")
    return f"<b>{word}</b>"


def details(arr, opts, index):
    """The shape row (plus dtype and creation id when asked), or None for a scalar."""
    parts = []
    if arr.ndim or opts["show_dtype"] or (opts["show_ids"] and index is not None):
        parts.append(esc(shape_text(arr.shape)))
    if opts["show_dtype"]:
        parts.append(esc(dtype_name(arr.dtype)))
    if opts["show_ids"] and index is not None:
        parts.append(f"#{index}")
    return small(" ".join(parts)) if parts else None


def tensor_label(graph, key, opts, state, roles):
    """The HTML-like label of one tensor or constant node."""
    kind = graph.kind(key)
    if key in graph.constants:
        value, node, pos = graph.constants[key]
        obj, node_name, index = None, None, None
        arr = np.asarray(value)
        role = (arg_name(node, pos), node.name)
    else:
        obj = graph.tensors[key]
        arr = obj.data
        node_name = obj.grad_fn.name if obj.grad_fn is not None else None
        index = obj._index
        role = roles.get(key)
    rows = [header(kind, obj, node_name, role)]
    row = details(arr, opts, index)
    if row is not None:
        rows.append(row)
    if opts["show_data"]:
        rows.append(value_markup(arr, opts["max_full"]))
    if opts["show_grad"] and obj is not None:
        g, note = state.grad(key, obj)
        before = state.hook_before(key) if hasattr(state, "hook_before") else None
        if g is not None:
            if before is not None:
                note = "after hook" + (f", {note}" if note else "")
            word = "grad" + (f" ({note})" if note else "")
            rows.append(value_markup(g, opts["max_full"], GRAD_COLOR, word))
        if before is not None:
            rows.append(value_markup(before, opts["max_full"], HOOK_COLOR, "before hook"))
    return table(rows)


def input_roles(graph):
    """For each unnamed leaf tensor: (argument name, op) of its first consumer."""
    roles = {}
    tensors = graph.tensors
    for src, dst, pos in graph.edges:
        if src in roles or src not in tensors:
            continue
        t = tensors[src]
        if t.grad_fn is None and not t.name:
            node = tensors[dst].grad_fn
            roles[src] = (arg_name(node, pos), node.name)
    return roles


def node_attrs(kind, status):
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


# ------------------------------------------------------------------ modules
def module_title(path, description):
    """``path  Description(…)``: the full dotted path, then the module's short repr
    (left out when it only repeats the path, as for a lone layer)."""
    title = f"<b>{esc(path, limit=None)}</b>"
    if description and description != path and not (
            description.startswith(path + "(") and "." not in path):
        title += "&nbsp;&nbsp;" + esc(description)
    elif description:
        title = f"<b>{esc(description)}</b>"
    return title


def module_label(path, description, members, graph):
    """The label of a module drawn as one box (``collapse``)."""
    n_ops = sum(1 for k in members if k in graph.tensors and graph.tensors[k].grad_fn)
    n_par = sum(1 for k in members if graph.kind(k) == "param")
    outs = [k for k in members if any(c not in members for c in graph.consumers.get(k, ()))]
    rows = [module_title(path, description),
            small(f"{n_ops} ops, {n_par} params (collapsed)", "#333333")]
    shapes = dict.fromkeys(shape_text(graph.tensors[k].shape) for k in outs
                           if k in graph.tensors)
    for shape in list(shapes)[:3]:
        rows.append(small(f"out {esc(shape)}", "#333333"))
    return table(rows)


# ------------------------------------------------------------------ legend
def legend_rows(stepping, boxes, kinds=True):
    """Rows of the legend table: a swatch per node kind, the text colours, the step
    markers (only while stepping) and the collapsed-module swatch (only if any)."""
    rows = []
    if kinds:
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
    return rows
