"""The examples in the viz docstrings run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["autograd.viz", "autograd.viz.summary", "autograd.viz.trace", "autograd.viz.dot",
           "autograd.viz.render", "autograd.viz.steps", "autograd.viz.explain"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
