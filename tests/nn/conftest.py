"""Fixtures for the nn tests: float64 default dtype (restored after) and a fixed seed."""
import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def float64():
    """Build layers in float64 for tight PyTorch comparisons; restore float32 after."""
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    ag.manual_seed(0)
    try:
        yield
    finally:
        ag.set_default_dtype(old)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
