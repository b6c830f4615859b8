"""The examples in the viz docstrings run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["autograd.viz", "autograd.viz.summary", "autograd.viz.trace", "autograd.viz.dot",
           "autograd.viz.render", "autograd.viz.steps", "autograd.viz.explain",
           "autograd.viz.text", "autograd.viz.grads", "autograd.viz.flow",
           "autograd.viz.labels", "autograd.viz.layout", "autograd.viz.circuit",
           "autograd.viz.walkthrough", "autograd.viz.player", "nn.graph_label"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in ("autograd.viz.summary", "autograd.viz.text", "autograd.viz.grads",
                "autograd.viz.flow", "nn.graph_label"):
        assert result.attempted > 0
