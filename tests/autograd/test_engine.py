"""Engine behaviour: the walk, accumulation, graph freeing, grad modes, errors."""
import copy
import sys

import numpy as np
import pytest

import autograd as ag


def leaf(a, dtype=np.float64):
    return ag.Tensor(np.asarray(a, dtype=dtype), requires_grad=True)


def test_micrograd_example_values():
    # f = (x + y) * z at x=1, y=-3, z=4 (the course's first worked example)
    x, y, z = leaf(1.0), leaf(-3.0), leaf(4.0)
    f = (x + y) * z
    f.backward()
    assert f.item() == -8.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (4.0, 4.0, -2.0)


def test_fan_out_accumulates_every_path():
    x = leaf([1.0, 2.0])
    y = x * x + x.exp() + x          # x used four times
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + np.exp(x.data) + 1)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


def test_distinct_leaves_never_share_gradient_memory():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad.data[0] = 100.0
    assert b.grad.item() == 1.0


def test_deep_chain_of_100k_ops_backprops_iteratively():
    limit = sys.getrecursionlimit()
    x = leaf(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0)
    assert sys.getrecursionlimit() == limit


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*mul|second time.*sum"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_non_leaf_grads_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2
    k = h * 3
    h.retain_grad()
    k.sum().backward()
    np.testing.assert_allclose(h.grad.data, [3.0, 3.0])
    with pytest.warns(UserWarning, match=r"not a leaf.*retain_grad\(\)"):
        assert k.grad is None                 # PyTorch's warning: it is never filled
    assert not h.is_leaf and x.is_leaf


def test_no_grad_and_enable_grad():
    x = leaf([1.0])
    with ag.no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn.name == "mul"

    @ag.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ag.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        y.backward()
    y.backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_gradient_shape_mismatch_is_reported():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        y.backward(gradient=np.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.tensor([1.0]).sum().backward()


def test_shape_errors_name_the_op_and_shapes():
    a, b = ag.ones((2, 3)), ag.ones((4,))
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        a + b
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        a @ a


def test_broadcast_gradients_have_input_shapes():
    a, b, c = leaf(np.ones((2, 1, 3))), leaf(np.ones(3)), leaf(2.0)
    ((a * b + c) ** 2).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (3,) and c.grad.shape == ()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ag.Tensor(np.array([1, 2]), requires_grad=True)
    x = leaf([1.5, 2.5])
    n = x.astype(np.int64)
    assert not n.requires_grad


def test_dtype_rules():
    assert ag.Tensor([1.0, 2.0]).dtype == np.float32
    assert ag.Tensor(2).dtype == np.float32
    assert ag.Tensor([True, False]).dtype == bool
    assert ag.Tensor(np.arange(3)).dtype == np.int64
    assert ag.Tensor(np.ones(2, np.float64)).dtype == np.float64
    x = ag.ones(3)
    assert (x * 2.5).dtype == np.float32 and (2.5 * x).dtype == np.float32
    assert (x ** 2).dtype == np.float32 and (x / 3).dtype == np.float32
    assert (x + np.ones(3)).dtype == np.float64     # numpy arrays keep theirs (NumPy rules)
    assert (ag.Tensor(np.arange(3)) * 1.5).dtype == np.float32
    ag.set_default_dtype(np.float64)
    try:
        assert ag.Tensor([1.0]).dtype == np.float64
        assert ag.zeros((2, 3)).dtype == np.float64
    finally:
        ag.set_default_dtype(np.float32)


def test_gradients_keep_the_input_dtype():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    (x * np.ones(2)).sum().backward()       # the product is float64
    assert x.grad.dtype == np.float32


def test_repr_shows_data_grad_fn_and_requires_grad():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<mul>)"
    assert "dtype=float64" in repr(ag.Tensor(np.ones(1)))


def test_python_conversions_and_deepcopy():
    x = ag.Tensor([3.0], requires_grad=True)
    assert float(x) == 3.0 and int(x) == 3 and x.item() == 3.0
    assert x.tolist() == [3.0] and x.numel() == 1
    assert np.asarray(x).dtype == np.float32
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.data is not x.data
    with pytest.raises(ValueError, match="one-element"):
        ag.ones(2).item()


def test_comparisons_return_boolean_tensors_without_grad():
    x = leaf([1.0, -1.0])
    for r in (x < 0, x <= 0, x > 0, x >= 0, x == 1, x != 1):
        assert r.dtype == bool and not r.requires_grad


def test_setitem_is_refused_on_graph_tensors_and_allowed_on_plain_ones():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 5.0
    with ag.no_grad():
        x[0] = 5.0
    assert x.data[0] == 5.0
    t = ag.zeros(3)
    t[1:] = 2.0
    assert t.tolist() == [0.0, 2.0, 2.0]


def test_grad_returns_tuple_and_leaves_dot_grad_untouched():
    x, y = leaf(2.0), leaf(3.0)
    z = x * y
    gx, gy = ag.grad(z, [x, y])
    assert (gx.item(), gy.item()) == (3.0, 2.0)
    assert x.grad is None and y.grad is None


def test_grad_with_respect_to_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = ag.grad(y, h)
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_grad_unused_input():
    x, u = leaf(1.0), leaf(1.0)
    with pytest.raises(RuntimeError, match="not used"):
        ag.grad(x * 2, [x, u])
    assert ag.grad(x * 2, [x, u], allow_unused=True)[1] is None


def test_grad_requires_inputs_that_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.grad(leaf(1.0) * 2, [ag.tensor(1.0)])


def test_grad_outputs_length_is_checked():
    x = leaf([1.0])
    with pytest.raises(ValueError, match="grad_outputs"):
        ag.grad([x * 2], [x], grad_outputs=[None, None])


def test_third_derivative():
    x = leaf(0.3)
    (g,) = ag.grad(ag.sin(x), x, create_graph=True)
    (h,) = ag.grad(g, x, create_graph=True)
    (k,) = ag.grad(h, x)
    assert k.item() == pytest.approx(-np.cos(0.3))


def test_backward_create_graph_gives_differentiable_leaf_grads():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_walk_order_is_reverse_creation():
    from autograd.engine import walk
    x = leaf([1.0])
    a = x * 2
    b = a.exp()
    c = b + a
    names = [e.node.name for e in walk([c.sum()], [np.array(1.0)], observe=True)]
    assert names == ["sum", "add", "exp", "mul"]


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


class SplitSum(ag.Function):
    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.scale = scale
        return a + b, (a - b) * scale

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 + g2 * ctx.scale, g1 - g2 * ctx.scale


def test_custom_function_single_output():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])


def test_custom_function_multiple_outputs_and_kwargs():
    a, b = leaf([1.0]), leaf([2.0])
    s, d = SplitSum.apply(a, b, scale=2.0)
    (s * 3 + d).sum().backward()
    assert a.grad.item() == 5.0 and b.grad.item() == 1.0
    a.grad = b.grad = None
    s, d = SplitSum.apply(a, b, scale=2.0)
    s.sum().backward()            # d unused: its gradient counts as zero
    assert a.grad.item() == 1.0 and b.grad.item() == 1.0


def test_custom_function_wrong_number_of_gradients():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned 1 gradients.*2 inputs"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_scope_is_recorded_on_nodes():
    x = leaf([1.0])
    with ag.scope("encoder"):
        with ag.scope("layer1"):
            y = x * 2
        z = y + 1
    w = z * 3
    assert y.grad_fn.scope == "encoder.layer1"
    assert z.grad_fn.scope == "encoder"
    assert w.grad_fn.scope is None


def test_value_is_a_tensor():
    assert issubclass(ag.Value, ag.Tensor)     # micrograd's defaults: tests/value
    a = ag.Value(2.0, requires_grad=True)
    assert a.ndim == 0 and a.shape == () and isinstance(a, ag.Tensor)


def test_array_protocol_honours_copy():
    t = ag.Tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    c = np.array(t, copy=True)
    c[0] = 9.0
    assert t.data[0] == 1.0


def test_backward_uses_the_arrays_the_forward_saw_and_release_drops_them():
    a = ag.Tensor(np.array([2.0, 3.0]))             # a constant input of mul
    x = ag.Tensor(np.array([1.0, 1.0]), requires_grad=True)
    y = (x * a).sum()
    node = y.grad_fn.inputs[0].grad_fn
    a.data = np.array([5.0, 7.0])                   # rebinding is not an in-place write
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0])   # as PyTorch: saved values
    assert node.arrays is not None                  # retained for a second backward
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 6.0])
    assert node.arrays is None and node.inputs[1] is a       # freed; still drawable


def test_relu_matches_torch_at_nan_zero_and_with_infinite_upstream_gradients():
    torch = pytest.importorskip("torch")
    values = np.array([np.nan, 0.0, -0.0, -1.0, 2.0, np.inf, -np.inf])
    upstream = np.array([1.0, 1.0, 1.0, np.inf, np.inf, -np.inf, 1.0])
    x = ag.Tensor(values, requires_grad=True)
    y = ag.relu(x)
    y.backward(upstream)
    tx = torch.tensor(values, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    x2 = ag.Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    (g,) = ag.grad(ag.relu(x2).sum(), x2, create_graph=True)   # the VJP records a graph
    (h,) = ag.grad((g * x2).sum(), x2)                          # d(relu'(x)·x)/dx = relu'(x)
    np.testing.assert_array_equal(h.data, [0.0, 1.0])


def test_an_op_result_sets_the_slots_a_new_tensor_sets():
    # registry.apply writes Tensor._init out (one call fewer per op): a slot added to
    # _init must be set there too, with the same starting values
    from autograd.tensor import Tensor
    made = Tensor(np.ones(3, np.float32))
    out = ag.tensor(np.ones(3, np.float32)) * 2.0
    for slot in Tensor.__slots__:
        if slot == "__weakref__":
            continue
        assert hasattr(out, slot) == hasattr(made, slot), slot
        if hasattr(made, slot) and slot not in ("data", "_index"):
            assert getattr(out, slot) == getattr(made, slot), slot
    assert out._index > made._index
