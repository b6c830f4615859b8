"""The examples in the reliability modules' docstrings run as written."""
import doctest
import importlib

import numpy as np
import pytest


@pytest.mark.parametrize("name", ["autograd.inplace", "autograd.anomaly"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with np.errstate(all="ignore"):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
