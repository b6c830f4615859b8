"""Step 3 of rendering: DOT text -> a ``graphviz.Digraph`` that Jupyter shows inline.

Drawing needs the Graphviz ``dot`` program; building the graph and its DOT text
does not. When ``dot`` is missing, rendering raises :class:`GraphvizNotFoundError`
with the install command for each platform, while ``to_dot`` keeps working. The
graphviz Python package is imported on first drawing (``digraph.py``), so
``import autograd`` needs NumPy alone.
"""
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


PACKAGE_HELP = (
    "Drawing the graph needs the graphviz Python package, which is not installed: "
    "pip install graphviz (pip install -e . installs it with glassgrad). Without it "
    "autograd.to_dot(...) still gives the DOT text.")


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
