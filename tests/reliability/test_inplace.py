"""In-place safety: version counters catch writes to tensors a graph still needs.

Decision on ``x[i] = v`` (and every ``*_`` method), PyTorch's: refused on a leaf that
requires grad while grad mode is on; recorded in the graph (the tensor takes the
write's result and its place) on a tensor made by an op while grad mode is on, and on
a tensor that needs no gradient written from a value that does; otherwise a plain
write. Any write bumps ``_version``; a backward through a node recorded before the
write raises.
"""
import numpy as np
import pytest

import autograd as ag


def leaf(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def const(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64))


WRITES = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "copy_": lambda t: t.copy_(np.zeros(t.shape)),
    "fill_": lambda t: t.fill_(3.0),
    "zero_": lambda t: t.zero_(),
    "clamp_": lambda t: t.clamp_(0.0, 1.0),
    "setitem": lambda t: t.__setitem__(0, 7.0),
    "external bump": lambda t: setattr(t, "_version", t._version + 1),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_writing_a_saved_constant_after_use_is_caught_at_backward(write):
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    y = (x * c).sum()
    WRITES[write](c)
    assert c._version == 1
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    for part in ("input 1 of 'mul'", "shape (2,)", "modified by an in-place operation",
                 "version 1", "after backward"):
        assert part in msg, (part, msg)
    assert x.grad is None


def test_optimizer_style_update_before_backward_is_caught():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    with ag.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match=r"input 0 of 'mul' \(node #\d+\)"):
        loss.backward()


def test_update_after_backward_then_new_forward_is_fine():
    w = leaf([1.0, 2.0])
    for _ in range(3):
        w.grad = None
        loss = (w * w).sum()
        loss.backward()
        np.testing.assert_allclose(w.grad.data, 2 * w.data)
        with ag.no_grad():
            w.sub_(0.1 * w.grad.data)
    assert w._version == 3


def test_write_before_use_is_fine_and_gradient_uses_new_value():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    c.add_(1.0)
    (x * c).sum().backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 5.0])


def test_writes_to_unrelated_tensors_do_not_trip_the_check():
    x, c, other = leaf([1.0, 2.0]), const([3.0, 4.0]), const([0.0])
    y = (x * c).exp().sum()
    other.add_(1.0)                       # the global clock moves, these inputs do not
    y.backward()
    np.testing.assert_allclose(x.grad.data, c.data * np.exp(x.data * c.data))


def test_write_through_a_detached_alias_is_caught():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    x.detach().mul_(3.0)                  # shares x's data
    assert x._version == 1
    with pytest.raises(RuntimeError, match="input 0 of 'mul'"):
        y.backward()


def test_write_to_base_is_caught_when_a_node_saved_a_detached_alias():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    d = c.detach()
    y = (x * d).sum()
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="input 1 of 'mul'"):
        y.backward()


def test_write_to_an_output_through_a_detached_alias_is_caught():
    x = leaf([1.0, 2.0])
    y = x.exp()                            # exp's VJP reads its output
    y.detach().zero_()
    with pytest.raises(RuntimeError, match=r"output of 'exp'.*detached"):
        y.sum().backward()


def test_grad_and_retained_second_backward_are_checked_too():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    y = (x * c).sum()
    y.backward(retain_graph=True)
    c.fill_(0.0)
    with pytest.raises(RuntimeError, match="'mul'"):
        y.backward()
    with pytest.raises(RuntimeError, match="'mul'"):
        ag.grad(y, x, retain_graph=True)


def test_create_graph_backward_is_checked():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    y = (x * x * c).sum()
    c[1] = 0.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        ag.grad(y, x, create_graph=True)


def test_custom_function_saved_input_write_is_caught():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = leaf([1.0, 2.0])
    y = Square.apply(x).sum()
    with ag.no_grad():
        x[0] = 10.0
    with pytest.raises(RuntimeError, match="input 0 of 'Square'"):
        y.backward()


# ------------------------------------------- what is recorded, what is refused
TORCH_WRITES = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "copy_": lambda t: t.copy_(t.new_zeros(t.shape)),
    "fill_": lambda t: t.fill_(3.0),
    "zero_": lambda t: t.zero_(),
    "clamp_": lambda t: t.clamp_(0.0, 1.0),
    "setitem": lambda t: t.__setitem__(0, 7.0),
}


@pytest.mark.parametrize("write", sorted(TORCH_WRITES))
def test_in_place_on_a_tensor_made_by_an_op_is_recorded_as_in_pytorch(write):
    torch = pytest.importorskip("torch")
    x = leaf([0.25, 2.0])
    y = x * 2
    WRITES[write](y)                 # grad mode on: recorded, y is the write's result
    assert y.grad_fn is not None and y._version == 1
    (y * ag.tensor([1.0, 3.0], dtype=np.float64)).sum().backward()
    tx = torch.tensor([0.25, 2.0], dtype=torch.float64, requires_grad=True)
    ty = tx * 2
    TORCH_WRITES[write](ty)
    (ty * torch.tensor([1.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("write", sorted(TORCH_WRITES))
def test_in_place_on_a_tensor_made_by_an_op_under_no_grad_is_versioned(write):
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    with ag.no_grad():
        WRITES[write](y)             # allowed (PyTorch), not recorded, version bumped
    assert y._version == 1 and y.grad_fn.name == "mul"
    with pytest.raises(RuntimeError, match=r"input 0 of 'mul'.*modified by an in-place"):
        z.sum().backward()


@pytest.mark.parametrize("write", sorted(set(WRITES) - {"external bump"}))
def test_in_place_on_a_leaf_that_requires_grad_needs_no_grad(write):
    x = leaf([0.5, 2.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        WRITES[write](x)
    assert x._version == 0 and x.data.tolist() == [0.5, 2.0]
    with ag.no_grad():
        WRITES[write](x)
    assert x._version == 1


# ---------------------------------------------------------- what they compute
def test_in_place_values_match_numpy_and_return_self():
    t = const([1.0, -2.0, 3.0])
    assert t.add_(np.array([1.0, 1.0, 1.0]), alpha=2) is t
    np.testing.assert_allclose(t.data, [3.0, 0.0, 5.0])
    t.sub_(const([1.0, 1.0, 1.0]), alpha=0.5)
    np.testing.assert_allclose(t.data, [2.5, -0.5, 4.5])
    t.mul_(2.0)
    t.div_(const(4.0))
    np.testing.assert_allclose(t.data, [1.25, -0.25, 2.25])
    t.clamp_(min=0.0, max=2.0)
    np.testing.assert_allclose(t.data, [1.25, 0.0, 2.0])
    t.copy_(np.float32(7.0))                 # broadcast
    np.testing.assert_allclose(t.data, [7.0, 7.0, 7.0])
    t.zero_()
    assert t.data.tolist() == [0.0, 0.0, 0.0]
    assert t._version == 7


def test_in_place_keeps_dtype_and_memory():
    t = ag.zeros(3)                          # float32
    buf = t.data
    t.add_(np.ones(3, dtype=np.float64))
    assert t.dtype == np.float32 and t.data is buf
    b = ag.Tensor(np.array([True, False]))
    b.zero_()
    assert b.data.tolist() == [False, False]


def test_in_place_errors_name_the_method_shapes_and_dtypes():
    i = ag.Tensor(np.arange(3))
    with pytest.raises(TypeError, match=r"add_: .*float64.*int64.*\(3,\).*astype"):
        i.add_(0.5)
    with pytest.raises(TypeError, match="div_"):
        i.div_(2)
    with pytest.raises(ValueError, match=r"add_: .*\(2, 3\).*\(3,\)"):
        ag.zeros(3).add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"fill_: expected a number.*\(2,\)"):
        ag.zeros(3).fill_([1.0, 2.0])
    with pytest.raises(ValueError, match="clamp_: give at least one"):
        ag.zeros(3).clamp_()
    assert i._version == 0


def test_setitem_decision():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 5.0                           # leaf, grad mode on
    with ag.no_grad():
        x[0] = 5.0                           # leaf under no_grad: allowed, versioned
    assert x._version == 1 and x.data[0] == 5.0
    y = x * 1.0
    y[0] = 1.0                               # made by an op: recorded (PyTorch's CopySlices)
    assert y.grad_fn.name == "where" and y.tolist() == [1.0, 2.0]
    t = ag.zeros(3)
    t[1:] = 2.0                              # plain tensor: allowed
    assert t.tolist() == [0.0, 2.0, 2.0] and t._version == 1


def test_optimizer_step_between_forward_and_backward_is_caught():
    import nn
    import optim
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = ag.tensor(np.ones((2, 3)))
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    opt.step()                               # parameters written in place (versions bumped)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*\(3, 1\)|"
                       r"modified by an in-place operation.*shape \(1,\)|"
                       r"modified by an in-place operation"):
        loss.backward()
    opt.zero_grad()
    model(x).sum().backward()                # a fresh forward is fine
    opt.step()


def test_load_state_dict_between_forward_and_backward_is_caught():
    import nn
    model = nn.Linear(3, 1)
    x = ag.tensor(np.ones((2, 3)))
    loss = model(x).sum()
    model.load_state_dict({k: np.zeros_like(v) for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_the_message_gives_the_saved_and_the_current_version():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    c.add_(1.0)
    c.add_(1.0)                              # version 2 when mul saves it
    y = (x * c).sum()
    c.mul_(2.0)
    with pytest.raises(RuntimeError, match="it is at version 3, 'mul' saved it at version 2"):
        y.backward(retain_graph=True)
    for _ in range(20):                      # beyond the kept history: a bound
        c.add_(0.0)
    with pytest.raises(RuntimeError, match="at version 23, 'mul' saved it at version at most"):
        y.backward()


def test_versions_through_a_detached_alias_are_the_shared_memorys():
    x, c = leaf([1.0, 2.0]), const([3.0, 4.0])
    d = c.detach()
    y = (x * d).sum()
    c.add_(1.0)                              # written through the base
    with pytest.raises(RuntimeError, match="input 1 .* at version 1, 'mul' saved it at "
                                           "version 0"):
        y.backward()
