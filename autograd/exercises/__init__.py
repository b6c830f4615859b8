"""Checks for backprop exercises: a student's code against glassgrad and finite differences.

The notebooks ask students to predict gradients, write VJPs and fix buggy backward
functions; these checks tell them whether they got it right and, if not, exactly
where and how it goes wrong (which input, which element, expected vs got, the kind
of mistake, and a picture of the node)::

    import numpy as np
    import autograd as ag
    from autograd import exercises as ex

    def sigmoid_vjp(g, x):                 # dL/dx from the upstream dL/dσ
        s = 1 / (1 + np.exp(-x))
        return g * s * (1 - s)

    ex.check_vjp(sigmoid_vjp, ag.sigmoid, np.array([0.5, -1.0, 2.0]))

The checks (each returns a :class:`Check`: ``.ok``, ``.status``, a text/HTML report):

* :func:`check_vjp` — a student's ``vjp(g, *inputs)`` vs the VJP of a glassgrad function;
* :func:`check_grad` — the gradient of a scalar function;
* :func:`check_op` — a whole differentiable op (e.g. a custom ``ag.Function``);
* :func:`check_value` — a predicted number, array, shape or a dict of them;
* :func:`check_function` — a student's function's result;
* :func:`check_topological_order` — an order of the nodes of a graph;
* :func:`compare_graphs` — a student's own (micrograd-style) engine vs glassgrad, node
  by node, saying where backprop first goes wrong; :func:`draw_values` draws such a graph.

Code that is still a template (a body of ``...``, an answer ``= ...``,
``NotImplementedError``, :class:`NotDone`) is reported as "not done yet", never as a
traceback. Every check is recorded (:func:`results`); ``set_mode("strict")`` (or
``GLASSGRAD_EXERCISES=strict``) makes a check that did not pass raise
:class:`ExerciseFailed`.
"""
from .answers import check_function, check_topological_order, check_value
from .engines import compare_graphs, draw_values
from .gradients import check_grad, check_op, check_vjp
from .report import (Check, ExerciseFailed, NotDone, get_mode, reset_results, results,
                     set_mode)

__all__ = ["check_vjp", "check_grad", "check_op", "check_value", "check_function",
           "check_topological_order", "compare_graphs", "draw_values", "Check", "NotDone",
           "ExerciseFailed", "set_mode", "get_mode", "results", "reset_results"]
