"""The ``graphviz``-backed classes of the renderer: :class:`Graph` and its error.

Imported on first drawing (through ``render``), never by ``import autograd``: the
engine and ``to_dot`` need NumPy alone, drawing needs the graphviz package.
"""
import graphviz
from graphviz.jupyter_integration import JUPYTER_FORMATS

from .graphviz_help import FORMATS, INSTALL_HELP


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


# Their public home is ``autograd.viz.render`` (which loads this module on first use):
# reprs, pickles and error types name them there, as before the move.
GraphvizNotFoundError.__module__ = Graph.__module__ = "autograd.viz.render"
