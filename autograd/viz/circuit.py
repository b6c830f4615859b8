"""``style="circuit"``: the lecture's circuit diagram (and micrograd's ``draw_dot``).

Ops are small circles (``+``, ``×``, ``exp``…); every tensor is a wire, labelled
with its value above (black) and its gradient below (red). Where a tensor feeds
several ops, each branch carries the part of the gradient that came back through
it (the parts sum to the tensor's gradient at the fork). Leaves and constants are
plain text at the wires' starts; the output gets a wire of its own::

    x ──  1 / -4 ──┐
                   (+) ── -2 / 4 ──┐
    y ── -3 / 4  ──┘               (×) ── -8 / 1 ── f
    z ──  4 / -2 ──────────────────┘
"""
from .labels import CURRENT_FILL, DONE_COLOR, FILL, GRAD_COLOR, header, value_markup
from .text import esc, quote

SYMBOLS = {"add": "+", "sub": "\u2212", "mul": "\u00d7", "div": "\u00f7", "neg": "\u2212x",
           "pow": "x\u207f", "matmul": "@"}


def op_line(rep, tensor, status):
    """A circle holding the op's symbol (yellow while stepping through it)."""
    name = tensor.grad_fn.name
    symbol = SYMBOLS.get(name, name)
    fill = CURRENT_FILL if status == "current" else FILL["op"]
    shape = "circle" if len(symbol) <= 3 else "ellipse"
    attrs = [f"shape={shape}", f'fillcolor="{fill}"', 'style="filled"', "margin=0.02",
             "fontsize=12"]
    if status == "current":
        attrs += [f'color="{GRAD_COLOR}"', "penwidth=3"]
    elif status == "done":
        attrs += [f'color="{DONE_COLOR}"', "penwidth=2"]
    return f"{quote(rep)} [label=<{esc(symbol)}> {' '.join(attrs)}]\n"


def source_line(graph, rep, roles):
    """A leaf or constant: its name (a constant: its value) as plain text where its
    wires start."""
    kind = graph.kind(rep)
    if rep in graph.constants:
        value = graph.constants[rep][0]
        label = value_markup(value, (1, 1)) if getattr(value, "size", 1) == 1 else \
            "<b>const</b>"
    else:
        t = graph.tensors[rep]
        role = roles.get(rep)
        label = (f"<b>{esc(t.name)}</b>" if t.name else
                 f"<b>{esc(role[0])}</b>" if role else header(kind, t, None))
    colour = {"param": "#1b5e20", "leaf": "#0d47a1"}.get(kind, "#424242")
    return (f"{quote(rep)} [label=<{label}> shape=plaintext style=\"\" fontsize=12 "
            f'fontcolor="{colour}"]\n')


def wire_label(graph, key, grad, max_full, show_data, show_grad, named=True):
    """Value above, gradient below: the label of a wire carrying tensor ``key`` (with
    the tensor's name on top if it has one and ``named``)."""
    rows = []
    t = graph.tensors.get(key)
    if named and t is not None and t.name and t.grad_fn is not None:
        rows.append(f"<i>{esc(t.name)}</i>")
    if show_data:
        value = t.data if t is not None else graph.constants[key][0]
        rows.append(value_markup(value, max_full))
    if show_grad and grad is not None:
        rows.append(value_markup(grad, max_full, GRAD_COLOR))
    if not rows:
        return ""
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return (' label=<<table border="0" cellborder="0" cellspacing="0" cellpadding="0">'
            f"{cells}</table>> fontsize=11")


def output_lines(graph, root, state, opts):
    """The output's own wire: from its op to a plain-text node with its name."""
    t = graph.tensors[root]
    if t.grad_fn is None:
        return []
    name = t.name or "out"
    grad, _ = state.grad(root, t)
    label = wire_label(graph, root, grad, opts["max_full"], opts["show_data"],
                       opts["show_grad"], named=False)
    out = quote("out:" + root)
    return [f"\t{out} [label=<<b>{esc(name)}</b>> shape=plaintext style=\"\" fontsize=12]\n",
            f"\t{quote(root)} -> {out} [{label.strip()} penwidth=1.5]\n"]
