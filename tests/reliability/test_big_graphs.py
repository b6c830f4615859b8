"""Deep and wide graphs: a 100,000-node chain and 10,000-way fan-in/fan-out work in
backward, grad, backprop_steps and to_dot, without recursion and in linear time."""
import gc
import sys
import weakref

import numpy as np
import pytest

import autograd as ag

DEPTH = 100_000
WIDTH = 10_000


def leaf(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@pytest.fixture(scope="module")
def chain():
    """x -> sin -> sin -> ... (DEPTH times) and d y/d x = prod cos(y_k) from numpy."""
    x = leaf(0.5)
    y = x
    for _ in range(DEPTH):
        y = ag.sin(y)
    v, dydx = 0.5, 1.0
    for _ in range(DEPTH):
        dydx *= np.cos(v)
        v = np.sin(v)
    assert y.item() == pytest.approx(v)
    return x, y, dydx


def test_deep_chain_grad_then_backward(chain):
    x, y, dydx = chain
    assert sys.getrecursionlimit() < DEPTH          # a recursive walk would die here
    (g,) = ag.grad(y, x, retain_graph=True)
    assert g.item() == pytest.approx(dydx, rel=1e-9)
    x.grad = None
    y.backward(retain_graph=True)
    assert x.grad.item() == pytest.approx(dydx, rel=1e-9)


def test_deep_chain_backprop_steps_match_backward(chain):
    x, y, dydx = chain
    x.grad = None
    steps = 0
    for step in ag.backprop_steps(y):
        steps += 1
        if steps == 1:
            assert step.op == "sin"
    assert steps == DEPTH
    assert x.grad.item() == pytest.approx(dydx, rel=1e-9)


def test_deep_chain_to_dot(chain):
    _, y, _ = chain
    text = ag.to_dot(y, max_nodes=None, show_data=False, show_grad=False)
    assert text.count(" -> ") == DEPTH


def test_dropping_a_deep_chain_frees_it_without_recursion_errors():
    x = leaf(1.0)
    y = x
    for _ in range(DEPTH):
        y = y * 1.0
    first = weakref.ref(x * 1.0)                     # a node hanging off the leaf
    bottom = weakref.ref(y.grad_fn)
    y.backward()
    gc.disable()
    try:
        del y
        assert bottom() is None and first() is None
    finally:
        gc.enable()
    assert x.grad.item() == 1.0


@pytest.fixture(scope="module")
def wide():
    xs = [leaf(float(i)) for i in range(WIDTH)]
    weights = np.arange(WIDTH, dtype=np.float64) % 7 - 3.0
    return xs, weights


def test_fan_in_of_10k_inputs_backward_and_grad(wide):
    xs, w = wide
    for x in xs:
        x.grad = None
    y = (ag.stack(xs) * w).sum()                     # one concatenate node, 10k inputs
    assert len(y.grad_fn.inputs[0].grad_fn.inputs[0].grad_fn.inputs) == WIDTH
    y.backward(retain_graph=True)
    np.testing.assert_array_equal([x.grad.item() for x in xs], w)
    grads = ag.grad(y, xs)
    assert len(grads) == WIDTH
    np.testing.assert_array_equal([g.item() for g in grads], w)


def test_fan_in_of_10k_inputs_steps_and_dot(wide):
    xs, w = wide
    for x in xs:
        x.grad = None
    y = ag.stack(xs).sum()
    # WIDTH unsqueeze nodes, one concatenate, one sum
    assert sum(1 for _ in ag.backprop_steps(y)) == WIDTH + 2
    assert all(x.grad.item() == 1.0 for x in xs)
    text = ag.to_dot(y, max_nodes=None, show_data=False, show_grad=False)
    assert text.count(" -> ") == 2 * WIDTH + 1


def test_fan_out_to_10k_consumers():
    x = leaf(2.0)
    parts = [x * float(k) for k in range(WIDTH)]     # x feeds 10k nodes
    y = ag.stack(parts).sum()
    y.backward()
    assert x.grad.item() == sum(range(WIDTH))
    (g,) = ag.grad(ag.stack([x * float(k) for k in range(WIDTH)]).sum(), x)
    assert g.item() == sum(range(WIDTH))


def _tracked_tuples_of_tensors(node):
    return [r for r in gc.get_referents(node)
            if type(r) is tuple and gc.is_tracked(r) and any(isinstance(x, ag.Tensor)
                                                          for x in r)]


def test_a_node_of_one_or_two_operands_keeps_no_tuple_for_the_gc_to_walk():
    # the GC's full collections walk every object a long graph keeps: Tensor and Node
    # per op, not a tuple of operands as well
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a * b
    z = ag.exp(y)
    w = ag.where(np.array([True, False]), z, a)          # three operands: a tuple
    for node, operands in ((y.grad_fn, (a, b)), (z.grad_fn, (y,)), (w.grad_fn, None)):
        got = node.inputs
        assert type(got) is tuple
        if operands is not None:
            assert len(got) == len(operands) and all(g is o for g, o in zip(got, operands))
            assert _tracked_tuples_of_tensors(node) == []
    assert [x is t for x, t in zip(w.grad_fn.inputs[1:], (z, a))] == [True, True]
    w.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0 * np.exp(3.0), 1.0])
    assert y.grad_fn.inputs[0] is a and z.grad_fn.inputs[0] is y
