"""See the graph and step through backprop.

Rendering is three separate steps: ``trace`` (tensors and edges, iterative) ->
``to_dot`` (DOT text, no Graphviz program needed) -> ``draw_graph`` (a
``graphviz.Digraph`` that Jupyter renders inline). ``backprop_steps`` runs the
engine's backward walk one node per step; ``explain`` tabulates those steps and
``play`` animates them in a notebook.

>>> import autograd as ag
>>> w = ag.Tensor([0.5, -1.0], requires_grad=True, name="w")
>>> loss = (w * w).sum()
>>> [s.op for s in ag.backprop_steps(loss)]
['sum', 'mul']
"""
from .dot import to_dot
from .explain import Explanation, explain
from .player import StepStrip, play
from .render import INSTALL_HELP, draw_graph
from .steps import Step, backprop_steps
from .summary import summarize
from .trace import GraphTrace, trace

__all__ = ["trace", "to_dot", "draw_graph", "backprop_steps", "Step", "explain",
           "Explanation", "play", "StepStrip", "Graph", "GraphvizNotFoundError",
           "INSTALL_HELP", "summarize", "GraphTrace"]


def __getattr__(name):
    """``Graph`` and ``GraphvizNotFoundError`` import graphviz on first access."""
    if name in ("Graph", "GraphvizNotFoundError"):
        from . import render
        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
