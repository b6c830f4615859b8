"""The examples in the optim docstrings run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["optim", "optim.optimizer", "optim.sgd", "optim.adam", "optim.adam_variants",
           "optim.adadelta", "optim.adagrad", "optim.asgd", "optim.rmsprop", "optim.rprop",
           "optim.lr_scheduler", "optim.schedulers_factor", "optim.schedulers_cyclic",
           "optim.schedulers_compose", "optim.schedulers_base", "optim.schedulers_plateau"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
