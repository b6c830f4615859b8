"""Step 3 of rendering: DOT text -> a ``graphviz.Digraph`` that Jupyter shows inline.

Drawing needs the Graphviz ``dot`` program; building the graph and its DOT text
does not. When ``dot`` is missing, rendering raises :class:`GraphvizNotFoundError`
with the install command for each platform, while ``to_dot`` keeps working. The
graphviz Python package is imported on first drawing (``digraph.py``), so
``import autograd`` needs NumPy alone.
"""
from .dot import DEFAULT_MAX_NODES, dot_body
from .graphviz_help import FORMATS, INSTALL_HELP, PACKAGE_HELP  # noqa: F401


def _digraph_module():
    """``autograd.viz.digraph``, imported on first use: it needs the graphviz package."""
    try:
        from . import digraph
    except ModuleNotFoundError as exc:
        if exc.name != "graphviz" and not (exc.name or "").startswith("graphviz."):
            raise
        raise ModuleNotFoundError(PACKAGE_HELP, name="graphviz") from exc
    return digraph


def __getattr__(name):
    """``Graph`` and ``GraphvizNotFoundError`` load graphviz on first access (PEP 562)."""
    if name in ("Graph", "GraphvizNotFoundError"):
        return getattr(_digraph_module(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_graph(body, fmt="svg"):
    """Wrap DOT body lines (from ``dot_body``) in a :class:`Graph`."""
    g = _digraph_module().Graph(name="G", body=list(body))
    g._set_display_format(fmt)
    return g


def draw_graph(*roots, show_data=True, show_grad=True, rankdir="auto", group_modules=True,
               collapse="auto", max_nodes=DEFAULT_MAX_NODES, size=None, legend=None,
               max_full=None, title=None, format="svg", grads=None, style="boxes",
               grad_flow=False, show_ids=False, show_dtype=False):
    """Draw the graph behind ``roots`` as a ``graphviz.Digraph`` (inline in Jupyter).

    Each tensor is one box: its name (if set) and op, its shape, its value (black)
    and its gradient (red). Options are those of :func:`to_dot`: ``grads="all"``
    shows every node's gradient (the circuit diagram; ``style="circuit"`` draws it
    with op circles and labelled wires), ``grad_flow=True`` draws gradient norms as
    edge widths and colours, ``format="png"`` renders PNG instead of SVG (for big
    graphs). ``draw_graph(...).source == to_dot(...)``.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> g = draw_graph(loss, grads="all")   # display it in Jupyter, or g.render("graph")
    """
    body = dot_body(roots, show_data=show_data, show_grad=show_grad, rankdir=rankdir,
                    group_modules=group_modules, collapse=collapse, max_nodes=max_nodes,
                    size=size, legend=legend, max_full=max_full, title=title, format=format,
                    grads=grads, style=style, grad_flow=grad_flow, show_ids=show_ids,
                    show_dtype=show_dtype)
    return make_graph(body, format)


def draw_dot(root, format="svg", rankdir="LR", **options):  # noqa: A002 - micrograd's name
    """micrograd's ``draw_dot(root)``: every node of the graph behind ``root`` with its
    value and gradient, left to right, in one call.

    It is ``draw_graph(root, style="circuit", grads="all", rankdir="LR")``: op circles,
    each wire labelled with its value and (in red) its gradient, which are the gradients
    ``root.backward()`` gives (computed by an observed backward that changes nothing, so
    the picture is the same before and after ``backward``). Other ``draw_graph``
    options pass through, e.g. ``style="boxes"`` for one box per node.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> g = draw_dot((a * b).tanh())      # display it in Jupyter, or g.render("graph")
    """
    options = {"style": "circuit", "grads": "all", **options}
    return draw_graph(root, format=format, rankdir=rankdir, **options)
