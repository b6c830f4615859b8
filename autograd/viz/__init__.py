"""See the graph and step through backprop.

Rendering is three separate steps: ``trace`` (tensors and edges, iterative) ->
``to_dot`` (DOT text, no Graphviz program needed) -> ``draw_graph`` (a
``graphviz.Digraph`` that Jupyter renders inline). ``draw_graph(loss, grads="all")``
shows every node's gradient (``all_grads`` runs the observed backward behind it);
``backprop_steps`` runs the engine's backward walk one node per step; ``explain``
tabulates those steps and ``play`` turns them into a self-contained HTML player.

>>> import autograd as ag
>>> w = ag.Tensor([0.5, -1.0], requires_grad=True, name="w")
>>> loss = (w * w).sum()
>>> [s.op for s in ag.backprop_steps(loss)]
['sum', 'mul']
"""
from .dot import to_dot
from .explain import Explanation, explain
from .grads import GradMap, all_grads, retain_grads
from .player import StepStrip, play
from .render import INSTALL_HELP, draw_graph
from .steps import Step, backprop_steps
from .summary import summarize
from .trace import GraphTrace, trace
from .walkthrough import Walkthrough

__all__ = ["trace", "to_dot", "draw_graph", "backprop_steps", "Step", "explain",
           "Explanation", "play", "StepStrip", "Walkthrough", "Graph",
           "GraphvizNotFoundError", "INSTALL_HELP", "summarize", "GraphTrace", "all_grads",
           "GradMap", "retain_grads"]


def __getattr__(name):
    """``Graph`` and ``GraphvizNotFoundError`` import graphviz on first access."""
    if name in ("Graph", "GraphvizNotFoundError"):
        from . import render
        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
