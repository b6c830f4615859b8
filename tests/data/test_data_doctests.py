"""The examples in the nn.data and glassgrad.training docstrings run and print what they claim."""
import doctest
import importlib

import numpy as np
import pytest

import autograd as ag

MODULES = ["nn.data", "nn.data.dataset", "nn.data.loader", "nn.data.split",
           "nn.data.digits", "glassgrad.training"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float32)
    try:
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    finally:
        ag.set_default_dtype(old)
    assert result.attempted > 0 and result.failed == 0
