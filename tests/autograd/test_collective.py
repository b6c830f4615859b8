"""The collective primitive ``all_reduce_sum`` with stand-in groups (no MPI here: the
MPI group is exercised by tests/distributed).

``Replicated(k)`` acts as k processes that all hold the same array: the sum over the
group is k times it. The gradient of y = k x is then k g, which is only right if the
backward is itself an all-reduce of the gradient.
"""
import numpy as np
import pytest
import torch

import autograd as ag
from autograd.ops.collective import OneProcess

all_reduce_sum = ag.ops.all_reduce_sum


class Replicated:
    """k processes holding equal arrays; remembers what each call was for."""

    def __init__(self, k):
        self.k, self.calls = k, []

    def allreduce_sum(self, array, what):
        self.calls.append(what)
        return self.k * np.array(array, copy=True)


def test_backward_is_an_all_reduce_of_the_gradient():
    group = Replicated(3)
    x = ag.tensor([1.0, -2.0, 0.5], dtype=np.float64, requires_grad=True)
    w = np.array([0.3, 1.0, -2.0])
    y = all_reduce_sum(x, group=group, what="the test sums")
    (y * w).sum().backward()
    np.testing.assert_allclose(y.data, 3 * x.data)
    np.testing.assert_allclose(x.grad.data, 3 * w)
    assert group.calls == ["the test sums", "the backward of the test sums"]


def test_equals_torch_for_replicated_inputs():
    """torch's sum of k equal copies: the same value and gradient."""
    data = np.random.default_rng(0).normal(size=(2, 3))
    x = ag.tensor(data, requires_grad=True)
    (all_reduce_sum(x, group=Replicated(4)) ** 2).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    (torch.stack([t] * 4).sum(0) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)


def test_create_graph_records_the_backward_all_reduce():
    group = Replicated(2)
    x = ag.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (gx,) = ag.grad((all_reduce_sum(x, group=group) ** 3).sum(), [x], create_graph=True)
    assert gx.grad_fn is not None
    names = set()
    stack = [gx.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node.name not in names:
            names.add(node.name)
            stack.extend(node.next_functions)
    assert "all_reduce_sum" in names           # the backward's all-reduce is a node
    np.testing.assert_allclose(gx.data, 2 * 3 * (2 * x.data) ** 2)     # d/dx (2x)^3
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * 2 * 6 * (2 * x.data))  # d/dx 6(2x)^2


def test_one_process_is_the_identity_and_passes_gradcheck():
    x = ag.tensor(np.random.default_rng(1).normal(size=(3, 2)), requires_grad=True)
    y = all_reduce_sum(x, group=OneProcess())
    assert np.array_equal(y.data, x.data) and y.data is not x.data
    assert ag.gradgradcheck(lambda t: all_reduce_sum(t, group=OneProcess()) ** 2, [x])


def test_a_group_without_the_method_is_refused():
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"all_reduce_sum: .*allreduce_sum\(array, what\)"
                                        r".*nn.parallel.all_reduce_sum"):
        all_reduce_sum(x, group=object())


def test_a_group_returning_another_shape_is_refused():
    class Broken:
        def allreduce_sum(self, array, what):
            return np.zeros(3)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"all_reduce_sum: .*Broken.allreduce_sum "
                                         r"returned shape \(3,\) .* shape \(2,\)"):
        all_reduce_sum(x, group=Broken())
