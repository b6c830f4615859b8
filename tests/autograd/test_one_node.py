"""One node type: a primitive, a custom Function and a hook tap all record a ``Node``;
only the op it records differs. So a Function's node is drawn, explained and stepped
exactly like a primitive's, and an in-place write moves any node's output alike."""
import re

import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from autograd.hooks import tap
from test_function_second_order import ExpOut   # ag.exp written as a Function


class Split(ag.Function):
    """Two outputs: (a + b, a - b)."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b, a - b

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 + g2, g1 - g2


def _x():
    return ag.Tensor([0.5, -1.0, 2.0], dtype=np.float64, requires_grad=True, name="x")


def test_primitive_function_and_tap_outputs_have_nodes_of_one_class():
    x = _x()
    by_primitive = ag.exp(x)
    by_function = ExpOut.apply(x)
    s, d = Split.apply(x, x)
    (by_tap,) = tap([x * 1], lambda grads, create_graph: grads)
    hooked = nn.Linear(3, 2)
    hooked.register_full_backward_hook(lambda module, gin, gout: None)
    out = hooked(ag.Tensor([0.5, -1.0, 2.0], requires_grad=True))   # tap(linear(tap(x)))
    nodes = [t.grad_fn for t in (by_primitive, by_function, s, d, by_tap, out)]
    nodes.append(out.grad_fn.next_functions[0].next_functions[0])
    assert {type(n) for n in nodes} == {ag.ops.Node}
    assert [n.name for n in nodes] == ["exp", "ExpOut", "Split", "Split",
                                       "BackwardHookFunctionBackward",
                                       "BackwardHookFunctionBackward",
                                       "BackwardHookFunctionBackward"]
    assert s.grad_fn is d.grad_fn and s.grad_fn.n_outputs == 2
    assert by_function.grad_fn.n_outputs == by_primitive.grad_fn.n_outputs == 1
    assert by_function.grad_fn.out() is by_function and s.grad_fn.out() is s
    assert s.grad_fn.outputs() == (s, d) and s.grad_fn.output_index(d) == 1


def _canonical_dot(dot, name):
    """``dot`` with its node ids numbered by first appearance and ``name`` as "exp"."""
    ids = {}
    dot = re.sub(r'"([tc]\d+(?:_\d+)?)"', lambda m: '"n%d"' % ids.setdefault(
        m.group(1), len(ids)), dot)
    return dot.replace(f"<b>{name}</b>", "<b>exp</b>")


def test_drawn_like_a_primitive():
    x = _x()
    by_primitive = ag.to_dot((ag.exp(x) * 2).sum())
    by_function = ag.to_dot((ExpOut.apply(x) * 2).sum())
    assert "<b>ExpOut</b>" in by_function
    assert _canonical_dot(by_function, "ExpOut") == _canonical_dot(by_primitive, "exp")


def test_explained_and_stepped_like_a_primitive():
    x = _x()
    prim_loss, fn_loss = (ag.exp(x) * 2).sum(), (ExpOut.apply(x) * 2).sum()
    prim, fn = list(ag.backprop_steps(prim_loss)), list(ag.backprop_steps(fn_loss))
    assert [s.op for s in prim] == ["sum", "mul", "exp"]
    assert [s.op for s in fn] == ["sum", "mul", "ExpOut"]
    for p, f in zip(prim, fn):
        assert type(p.grad_fn) is type(f.grad_fn)
        assert len(p.inputs) == len(f.inputs)
        np.testing.assert_allclose(np.asarray(p.grad_output), np.asarray(f.grad_output))
        for gp, gf in zip(p.input_grads, f.input_grads):
            assert (gp is None) == (gf is None)
            if gp is not None:
                np.testing.assert_allclose(gp, gf)
    assert fn[-1].rules == ("ExpOut.backward (user-defined)",)
    assert fn[-1].node is fn_loss.grad_fn.inputs[0].grad_fn.inputs[0]
    prim_rows = ag.explain((ag.exp(x) * 2).sum()).rows
    fn_rows = ag.explain((ExpOut.apply(x) * 2).sum()).rows
    assert [r["op"] for r in fn_rows] == ["sum", "mul", "ExpOut"]
    assert len(prim_rows) == len(fn_rows)
    assert fn_rows[-1]["rule"] == "ExpOut.backward (user-defined)"
    assert fn_rows[-1]["input"] == prim_rows[-1]["input"] == "x"


def test_a_multi_output_function_is_stepped_with_one_gradient_per_output():
    a = ag.Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True, name="a")
    b = ag.Tensor([3.0, 5.0], dtype=np.float64, requires_grad=True, name="b")
    s, d = Split.apply(a, b)
    steps = list(ag.backprop_steps((s * 3 + d).sum()))
    (split,) = [st for st in steps if st.op == "Split"]
    assert isinstance(split.grad_output, list) and len(split.grad_output) == 2
    np.testing.assert_allclose(split.grad_output[0], [3.0, 3.0])
    np.testing.assert_allclose(split.grad_output[1], [1.0, 1.0])
    np.testing.assert_allclose(split.input_grads[0], [4.0, 4.0])
    np.testing.assert_allclose(split.input_grads[1], [2.0, 2.0])


def _torch_split(a, b):
    return a + b, a - b


@pytest.mark.parametrize("which", [0, 1])
def test_in_place_write_into_one_output_of_a_multi_output_function(which):
    values = (np.array([1.0, -2.0, 3.0]), np.array([-0.5, 4.0, 1.0]))
    a, b = (ag.tensor(v, dtype=np.float64, requires_grad=True) for v in values)
    outs = list(Split.apply(a, b))
    node = outs[0].grad_fn
    F.relu_(outs[which])
    assert outs[1 - which].grad_fn is not node           # both moved to one new node
    assert outs[1 - which].grad_fn.name == "Split"
    (outs[0] * 2 + outs[1] * 3).sum().backward()

    ta, tb = (torch.tensor(v, requires_grad=True) for v in values)
    touts = list(_torch_split(ta, tb))
    torch.relu_(touts[which])
    (touts[0] * 2 + touts[1] * 3).sum().backward()
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy())
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy())


def test_in_place_write_into_a_saved_function_output_after_its_backward():
    x = ag.tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    y = ExpOut.apply(x)
    with pytest.raises(RuntimeError, match="custom Function 'ExpOut'.*saved"):
        F.relu_(y)
    y = ExpOut.apply(x)
    y.sum().backward()              # frees the node: its ctx (the saved output) is gone
    F.relu_(y)                      # nothing saved any more: allowed, as before
    np.testing.assert_allclose(y.data, np.exp([0.5, -1.0]))
    assert y.grad_fn.name == "relu"
