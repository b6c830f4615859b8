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


def draw_graph(*roots, show_data=True, show_grad=True, rankdir="LR", group_modules=True,
               collapse=None, max_nodes=DEFAULT_MAX_NODES, size=None, legend=True,
               max_full=6, title=None, format="svg"):
    """Draw the graph behind ``roots`` as a ``graphviz.Digraph`` (inline in Jupyter).

    Each tensor is one box: its name (if set) and op, shape, dtype, creation
    index, a value summary (black) and its ``.grad`` summary (red). Options are
    those of :func:`to_dot`; ``format="png"`` renders PNG instead of SVG (for big
    graphs). ``draw_graph(...).source == to_dot(...)``.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> g = draw_graph(loss)         # display it in Jupyter, or g.render("graph")
    """
    body = dot_body(roots, show_data, show_grad, rankdir, group_modules, collapse,
                    max_nodes, size, legend, max_full, title, format)
    return make_graph(body, format)
