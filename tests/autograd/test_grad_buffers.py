"""Leaf gradients never share memory with each other, with the seed or with data.

The walk lets a leaf adopt a VJP result as its ``.grad`` without a copy when nothing
else refers to it (leaf_grads.unshared); these cases pin down that adoption never
aliases a buffer someone else can see.
"""
import weakref

import numpy as np
import pytest

import autograd as ag

RNG = np.random.default_rng(0)


def _leaf(*shape):
    return ag.Tensor(RNG.standard_normal(shape), requires_grad=True)


GRAPHS = {
    "add": lambda a, b: (a + b).sum(),
    "mul": lambda a, b: (a * b).sum(),
    "same input twice": lambda a, b: (a * a + b).sum(),
    "transposed": lambda a, b: (a.T + b.T).sum(),
    "scaled transposed": lambda a, b: ((a * 2).T * (b * 2).T).sum(),
    "reshape": lambda a, b: (a.reshape(12) + b.reshape(12)).sum(),
    "matmul": lambda a, b: (a @ b.T).sum(),
    "concat": lambda a, b: ag.concatenate([a * 2, b]).sum(),
    "split": lambda a, b: sum((p * b[:, :2]).sum() for p in ag.split(a, 2, axis=1)),
    "leaf used three times": lambda a, b: (a + a + a * b).sum(),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_leaf_grads_do_not_alias(name):
    a, b = _leaf(3, 4), _leaf(3, 4)
    GRAPHS[name](a, b).backward()
    ga, gb = a.grad.data, b.grad.data
    assert not np.shares_memory(ga, gb)
    for g in (ga, gb):
        assert g.flags.writeable
        assert not np.shares_memory(g, a.data) and not np.shares_memory(g, b.data)
    expected = a.grad.data.copy()
    b.grad.data[...] = 0          # writing one gradient leaves the other alone
    np.testing.assert_array_equal(a.grad.data, expected)


@pytest.mark.parametrize("make", [lambda a: a * 2.0, lambda a: a + 0.0, lambda a: a.T * 1.0,
                                  lambda a: a.reshape(12).reshape(3, 4)])
def test_leaf_grad_does_not_alias_the_seed(make):
    a = _leaf(3, 4)
    y = make(a)
    seed = np.ones(y.shape)
    y.backward(gradient=seed)
    assert not np.shares_memory(a.grad.data, seed)
    a.grad.data[...] = 7
    assert (seed == 1).all()


def test_retained_grad_and_leaf_grad_are_separate():
    a = _leaf(3, 4)
    h = a * 2.0
    h.retain_grad()
    (h * 3.0).sum().backward()
    assert not np.shares_memory(a.grad.data, h.grad.data)
    np.testing.assert_allclose(a.grad.data, 6.0)
    np.testing.assert_allclose(h.grad.data, 3.0)


@pytest.mark.parametrize("seed", [np.ones(()), np.ones((3, 4))])
def test_a_leaf_used_twice_by_one_node_gets_its_own_grad(seed):
    # add's VJP passes the upstream gradient itself to both inputs: the leaf's sum of
    # the two is a fresh array, never the seed
    a = _leaf(*seed.shape)
    (a + a).backward(gradient=seed)
    assert not np.shares_memory(a.grad.data, seed)
    np.testing.assert_array_equal(a.grad.data, 2 * seed)


def test_a_leafs_contributions_are_summed_before_they_reach_its_grad():
    # PyTorch's AccumulateGrad receives the sum of a leaf's contributions: grad + (g1 + g2),
    # which here differs from (grad + g1) + g2 in the last bit
    torch = pytest.importorskip("torch")
    x = ag.Tensor(1.0, requires_grad=True, dtype=np.float64)
    tx = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    for t in (x, tx):
        (t * 1.0).backward()
        (t * 1e-16 + t * 1e-16).backward()
    assert x.grad.item() == tx.grad.item() == 1.0000000000000002


def _accumulated(walk):
    """x.grad after a second backward whose two contributions reach x separately."""
    x = ag.Tensor(1.0, requires_grad=True, dtype=np.float64)
    (x * 1.0).backward()
    loss = x * 1e-16 + x * 1e-16
    walk(loss)
    return x.grad.item()


def _with_a_hook(loss):
    loss.register_hook(lambda g: g)         # any tensor hook: the engine's general walk
    loss.backward()


def _stepped(loss):
    seen = []
    for step in ag.backprop_steps(loss):
        seen.append(step)
    return seen


@pytest.mark.parametrize("walk", [lambda loss: loss.backward(), _with_a_hook, _stepped],
                         ids=["plain", "hook", "stepped"])
def test_every_walk_accumulates_a_leaf_in_the_same_order(walk):
    # a hook or a stepper must not change a bit of .grad: each walk sums a leaf's
    # contributions first, as a plain backward() and PyTorch do
    assert _accumulated(walk) == 1.0000000000000002


def test_a_stepper_shows_a_leafs_grad_as_it_stands_and_ends_as_backward():
    x = ag.Tensor(1.0, requires_grad=True, dtype=np.float64)
    (x * 1.0).backward()
    grad_before = x.grad
    loss = x * 1e-16 + x * 1e-16
    seen = []
    for _ in ag.backprop_steps(loss):
        seen.append(x.grad.item())
    assert seen[-1] == 1.0000000000000002 and seen[0] == 1.0   # 1 + 1e-16 rounds to 1
    assert x.grad is grad_before                 # the same Tensor, updated in place


class _Doubled(ag.Function):
    """x * 2 whose backward keeps a weak reference to the gradient it returns."""

    returned = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        out = g * 2
        _Doubled.returned.append(weakref.ref(out))
        return out


@pytest.mark.parametrize("walk", [lambda loss: loss.backward(), _with_a_hook],
                         ids=["plain", "hook"])
def test_a_leaf_adopts_a_gradient_nothing_else_holds(walk):
    # no copy of a fresh VJP result (leaf_grads.unshared; W4 copied every weight's
    # gradient each step while a half-built list in the walk held it as well)
    _Doubled.returned = []
    a = _leaf(3, 4)
    walk(_Doubled.apply(a).sum())
    assert _Doubled.returned[0]() is a.grad.data
    np.testing.assert_array_equal(a.grad.data, 2.0)
