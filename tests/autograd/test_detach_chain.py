"""Detaching a detached tensor (e.g. functional.jacobian(f, w.detach())) must work."""
import numpy as np

import autograd as ag
from autograd.functional import jacobian


def test_detach_of_a_detached_tensor_shares_the_root_version():
    w = ag.randn(3, 2, requires_grad=True)
    d1 = w.detach()
    d2 = d1.detach()                       # raised "truth value ... ambiguous" before
    assert d2._base is w and np.shares_memory(d2.data, w.data)


def test_jacobian_of_a_detached_input():
    x = ag.randn(4, 3)
    w = ag.randn(3, 2, requires_grad=True)
    J = jacobian(lambda w_: x @ w_, w.detach())
    assert J.shape == (4, 2, 3, 2)
    assert np.allclose(J.numpy()[:, 0, :, 0], x.numpy())
