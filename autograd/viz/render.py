"""Step 3 of rendering: DOT text -> a ``graphviz.Digraph`` that Jupyter shows inline.

Drawing needs the Graphviz ``dot`` program; building the graph and its DOT text
does not. When ``dot`` is missing, rendering raises :class:`GraphvizNotFoundError`
with the install command for each platform, while ``to_dot`` keeps working.
"""
import graphviz
from graphviz.jupyter_integration import JUPYTER_FORMATS

from .dot import DEFAULT_MAX_NODES, dot_body

INSTALL_HELP = (
    "Drawing the graph needs the Graphviz 'dot' program, which was not found on PATH. "
    "Install it with one of:\n"
    "    apt-get install graphviz      (Debian/Ubuntu)\n"
    "    brew install graphviz         (macOS)\n"
    "    conda install graphviz        (conda)\n"
    "    winget install graphviz       (Windows; then add it to PATH)\n"
    "The Python package alone is not enough. Without the program you can still get "
    "the DOT text with autograd.to_dot(...) and paste it into any Graphviz viewer.")

FORMATS = ("svg", "png", "jpeg", "jpg")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The Graphviz ``dot`` program is missing (a RuntimeError, like graphviz's own)."""

    def __init__(self, detail=""):
        RuntimeError.__init__(self, INSTALL_HELP + (f"\n({detail})" if detail else ""))


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains how to install a missing Graphviz.

    ``format`` ("svg" or "png") is also what Jupyter displays: use "png" for very
    large graphs, where an inline SVG gets slow.
    """

    def _set_display_format(self, fmt):
        if fmt not in FORMATS:
            raise ValueError(f"draw_graph: format must be one of {FORMATS}, got {fmt!r}")
        self.format = fmt
        self._jupyter_mimetype = JUPYTER_FORMATS[fmt]

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError(str(e)) from None

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise GraphvizNotFoundError(str(e)) from None

    def svg(self):
        """The rendered SVG as text."""
        return self.pipe(format="svg", encoding="utf-8")

    def png(self):
        """The rendered PNG as bytes."""
        return self.pipe(format="png")


def make_graph(body, fmt="svg"):
    """Wrap DOT body lines (from ``dot_body``) in a :class:`Graph`."""
    g = Graph(name="G", body=list(body))
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
