"""Fixtures for the nn tests: a default dtype (restored after) and a fixed seed."""
import numpy as np
import pytest

import autograd as ag


def _default_dtype(dtype):
    old = ag.get_default_dtype()
    ag.set_default_dtype(dtype)
    ag.manual_seed(0)
    try:
        yield
    finally:
        ag.set_default_dtype(old)


@pytest.fixture
def float64():
    """Build layers in float64 for tight PyTorch comparisons; restore the old dtype after."""
    yield from _default_dtype(np.float64)


@pytest.fixture
def float32():
    """The library default, float32, whatever an earlier test left set."""
    yield from _default_dtype(np.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
