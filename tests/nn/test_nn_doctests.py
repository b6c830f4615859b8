"""The examples in the nn docstrings run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["nn", "nn.module", "nn.parameter", "nn.containers", "nn.init", "nn.utils",
           "nn.io", "nn.functional", "nn.functional.activation", "nn.functional.loss",
           "nn.functional.normalization", "nn.functional.dropout", "nn.functional.linear",
           "nn.functional.embedding", "nn.layers.linear", "nn.layers.activation",
           "nn.layers.loss", "nn.layers.normalization", "nn.layers.dropout",
           "nn.layers.embedding", "nn.layers.flatten", "nn.functional.padding",
           "nn.functional.distance", "nn.functional.vision", "nn.functional.unpool",
           "nn.functional.lp_pool", "nn.functional.adaptive_pool", "nn.functional.loss_margin",
           "nn.functional.ctc", "nn.layers.padding", "nn.layers.distance",
           "nn.layers.transformer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, float32):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0

