"""``Value`` follows micrograd where micrograd has a rule, stays a glassgrad tensor
everywhere else, and leaves ``Tensor``'s PyTorch semantics alone. PyTorch (float64)
is the oracle for every number."""
import copy
import math
import pickle

import numpy as np
import pytest
import torch

import autograd as ag
import optim
from autograd import Tensor, Value


def lecture_neuron(make):
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), every node returned."""
    x1, x2, w1, w2, b = (make(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    x1w1, x2w2 = x1 * w1, x2 * w2
    n = x1w1 + x2w2 + b
    o = n.tanh()
    return [x1, x2, w1, w2, b, x1w1, x2w2, n, o]


def torch_leaf(v):
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


# ------------------------------------------------------------------ defaults
def test_a_new_value_requires_grad_holds_a_double_and_reads_grad_zero():
    a = Value(-4.0)
    assert isinstance(a, Tensor) and a.requires_grad and a.is_leaf
    assert a.dtype == np.float64 and Value(3).dtype == np.float64
    assert a.grad == 0 and isinstance(a.grad, float)
    assert Value([1.0, 2.0]).grad.tolist() == [0.0, 0.0]
    assert not Value(1.0, requires_grad=False).requires_grad
    assert Value(np.float32(1.5)).dtype == np.float32     # NumPy data keeps its dtype


def test_tensor_keeps_pytorch_defaults():
    t = Tensor(2.0)
    assert not t.requires_grad and t.grad is None and t.dtype == np.float32
    w = Tensor(2.0, requires_grad=True)
    (w * w).backward()
    assert isinstance(w.grad, Tensor) and float(w.grad) == 4.0
    assert repr(w) == "tensor(2., requires_grad=True)"
    y = w * 3
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_repr_is_micrographs():
    a = Value(-4.0)
    assert repr(a) == "Value(data=-4.0, grad=0.0)"
    b = a * 2
    b.backward()
    assert repr(b) == "Value(data=-8.0, grad=1.0)" and str(a) == "Value(data=-4.0, grad=2.0)"
    assert repr(Value([1.0, 2.0], label="v")) == \
        "Value(data=[1.0, 2.0], grad=[0.0, 0.0], name='v')"


# ----------------------------------------------------------- .data and .grad
def test_data_reads_and_writes_as_a_number():
    p = Value(0.5)
    assert p.data == 0.5 and float(p.data) == 0.5 and f"{p.data:.2f}" == "0.50"
    assert p.data * 2 == 1.0 and math.exp(p.data) == math.exp(0.5)
    p.data = 2
    assert p.data == 2.0 and p.dtype == np.float64 and p.shape == ()
    p.data = p.data + 1.5
    assert p.data == 3.5
    assert float((p * p).data) == 12.25           # the new value is the one ops use


def test_the_students_update_loop_zero_grad_and_accumulation():
    w = Value(2.0)
    for _ in range(2):                             # no zero_grad: gradients add up
        loss = w * w * 3.0
        loss.backward()
    assert w.grad == 2 * 12.0
    w.grad = 0                                     # micrograd's zero_grad
    assert w.grad == 0
    loss = w * w * 3.0
    loss.backward()
    assert w.grad == 12.0
    w.data -= 0.1 * w.grad                         # micrograd's SGD step
    assert w.data == pytest.approx(2.0 - 1.2) and w.grad == 12.0
    w.grad = 0.25
    assert w.grad == 0.25
    with pytest.raises(ValueError, match=r"Value.grad: .*shape \(3,\).*shape \(\)"):
        w.grad = [1.0, 2.0, 3.0]


def test_backward_again_walks_the_graph_again_as_micrograd_does():
    a = Value(3.0)
    b = a * a
    b.backward()
    b.backward()
    assert a.grad == 12.0 and b.grad == 2.0


def test_every_node_keeps_its_gradient_like_micrograd():
    nodes = lecture_neuron(Value)
    nodes[-1].backward()
    ref = lecture_neuron(torch_leaf)
    for t in ref:
        t.retain_grad()
    ref[-1].backward()
    for v, t in zip(nodes, ref):
        assert isinstance(v, Value)
        assert v.data == pytest.approx(t.item(), abs=1e-12)
        assert v.grad == pytest.approx(t.grad.item(), abs=1e-12)


# --------------------------------------------------------------- the ops
@pytest.mark.parametrize("fn", [
    lambda a, b: a.relu() + (-a).relu() * b,
    lambda a, b: (a * 0.3).tanh() * b.exp(),
    lambda a, b: a ** 3 - b ** -1.5 + 2.0 ** b,
    lambda a, b: -a / b + 10.0 / a - (a - b),
    lambda a, b: sum([a, b, a * b]) * 0.5,
], ids=["relu", "tanh-exp", "pow", "div-sub-neg", "sum-of-list"])
def test_micrograds_ops_match_pytorch(fn):
    a, b = Value(-1.5), Value(2.5)
    out = fn(a, b)
    assert isinstance(out, Value)
    out.backward()
    ta, tb = torch_leaf(-1.5), torch_leaf(2.5)
    ref = fn(ta, tb)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_plus_equals_rebinds_as_in_micrograd():
    a = Value(1.0)
    c = a
    c += 1
    assert c is not a and a.data == 1.0 and c.data == 2.0 and isinstance(c, Value)


def test_what_ops_on_values_return():
    a, b = Value(2.0), Value(3.0)
    t = Tensor(4.0, dtype=np.float64, requires_grad=True)
    for v in (a + b, a * 2, 2 * a, 1 - a, a ** 2, -a, a.tanh(), a.exp(), a.relu(),
              sum([a, b]), Value([1.0, 2.0])[0], Value([1.0, 2.0]).sum()):
        assert type(v) is Value, v
    for m in (a * t, t * a, t + a, a.maximum(t), ag.relu(a), ag.tanh(a)):
        assert type(m) is Tensor, m        # a Tensor, or an ag.* function: a Tensor
    mixed = a * t + b
    mixed.backward()
    assert isinstance(t.grad, Tensor) and float(t.grad) == 2.0 and a.grad == 4.0
    assert type(a > b) is Tensor and not bool(a > b)


def test_values_and_tensors_of_any_shape_mix():
    v = Value([[1.0, 2.0], [3.0, 4.0]])
    w = Tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    loss = ((v @ w).tanh() ** 2).sum()
    loss.backward()
    tv = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    ((tv @ tw).tanh() ** 2).sum().backward()
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-12)


# --------------------------------------------------- the rest of glassgrad
def test_gradcheck_first_and_second_order_on_values():
    a, b = Value(0.7), Value(-1.3)

    def f(x, y):
        return (x * y).tanh() + (x ** 2) / (1.0 + y.exp())

    assert ag.gradcheck(f, (a, b))
    assert ag.gradgradcheck(f, (a, b))


def test_stepper_explain_and_draw_graph_see_values():
    x1, x2, w1, w2, b, *_, o = lecture_neuron(Value)
    for t, name in zip((x1, x2, w1, w2, b, o), ("x1", "x2", "w1", "w2", "b", "o")):
        t.label = name
    steps = list(ag.backprop_steps(o))
    assert [s.op for s in steps] == ["tanh", "add", "add", "mul", "mul"]
    assert "tanh" in str(ag.explain(o))
    assert x1.grad == pytest.approx(-1.5) and w1.grad == pytest.approx(1.0)
    assert o._op == "tanh" and o._prev == {o.grad_fn.inputs[0]} and x1._prev == set()
    assert "w1" in ag.to_dot(o)


def test_draw_dot_shows_every_node_with_its_data_and_grad_left_to_right():
    nodes = lecture_neuron(Value)
    for t, name in zip(nodes, ("x1", "x2", "w1", "w2", "b", "x1w1", "x2w2", "n", "o")):
        t.label = name
    o = nodes[-1]
    dot = ag.draw_dot(o).source
    assert "rankdir=LR" in dot
    assert "0.7071" in dot                       # o's data
    assert "-1.5" in dot and "0.5" in dot        # x1's grad, n's grad
    assert o.grad == 0                           # drawing runs no backward of its own
    before = dot
    o.backward()
    assert ag.draw_dot(o).source == before       # the same picture after backward


def test_an_optimizer_steps_values_as_it_steps_tensors():
    a = Value(1.0)
    t = Tensor(1.0, dtype=np.float64, requires_grad=True)
    opt = optim.SGD([a, t], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        ((a - 3.0) ** 2 + (t - 3.0) ** 2).backward()
        opt.step()
    assert a.data == pytest.approx(float(t.data)) and a.data != 1.0
    opt.zero_grad()
    assert a.grad == 0 and t.grad is None


def test_a_value_survives_deepcopy_and_pickle_as_a_value():
    a = Value(1.5, label="a")
    (a * a).backward()
    c = copy.deepcopy(a)
    assert type(c) is Value and c.data == 1.5 and c.grad == 3.0 and c.name == "a"
    c.grad = 0
    assert a.grad == 3.0
    p = pickle.loads(pickle.dumps(a))
    assert type(p) is Value and p.data == 1.5 and p.requires_grad and p.name == "a"


def test_ag_compile_replays_a_micrograd_style_step_bit_for_bit():
    from micrograd_style import build, make_moons

    X, y = make_moons(8, seed=3)
    models = [build(Value, seed=5)[2](2, [4, 1]) for _ in range(2)]

    def step(model):
        scores = [model(list(map(Value, row))) for row in X.tolist()]
        loss = sum((1 + -yi * s).relu() for yi, s in zip((2 * y - 1).tolist(), scores))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        return loss

    compiled = ag.compile(step)
    for _ in range(4):
        eager_loss, replay_loss = step(models[0]), compiled(models[1])
        assert float(eager_loss.data) == float(replay_loss.data)
        for p, q in zip(models[0].parameters(), models[1].parameters()):
            assert p.data == q.data and p.grad == q.grad
    assert compiled.stats()["replays"] >= 2


def test_gradient_clipping_sees_values_gradients():
    import nn

    a, b = Value(3.0), Value([1.0, 1.0])
    (a * 4.0 + (b * 3.0).sum()).backward()             # grads 4 and [3, 3]
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert float(total) == pytest.approx(math.sqrt(34.0))
    assert a.grad == pytest.approx(4.0 / math.sqrt(34.0), rel=1e-6)
    assert b.grad.tolist() == pytest.approx([3.0 / math.sqrt(34.0)] * 2, rel=1e-6)
