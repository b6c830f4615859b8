"""Fixtures for the distributed tests run in the pytest process."""
import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def float64():
    """Build layers in float64; restore the previous default dtype after."""
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(old)
