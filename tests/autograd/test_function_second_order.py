"""Custom Functions under create_graph: a backward written with glassgrad ops is
differentiable, one written with NumPy says so, and a wrongly shaped gradient is named
(issue 13 item 12). PyTorch 2.13 (float64) is the oracle."""
import numpy as np
import pytest
import torch

import autograd as ag


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


class NumpySin(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.cos(x) * g            # NumPy: first order only


class ExpOut(ag.Function):
    """Saves its output; backward uses it (exp' = exp)."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_double_backward_through_a_function_written_with_glassgrad_ops():
    x = ag.tensor([1.0, -2.0, 0.5], dtype=np.float64, requires_grad=True)
    (gx,) = ag.grad(Cube.apply(x).sum(), [x], create_graph=True)
    gx.sum().backward()
    xt = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    (gt,) = torch.autograd.grad((xt ** 3).sum(), [xt], create_graph=True)
    gt.sum().backward()
    np.testing.assert_allclose(gx.data, gt.detach().numpy())
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy())


def test_gradgradcheck_passes_for_functions_whose_backward_uses_ops():
    x = ag.tensor([0.3, -0.7], dtype=np.float64, requires_grad=True)
    assert ag.gradgradcheck(lambda t: Cube.apply(t), [x])
    assert ag.gradgradcheck(lambda t: ExpOut.apply(t), [x])


def test_a_numpy_backward_gives_first_order_and_refuses_second_order():
    x = ag.tensor([0.3, 1.2], dtype=np.float64, requires_grad=True)
    (gx,) = ag.grad(NumpySin.apply(x).sum(), [x], create_graph=True)
    np.testing.assert_allclose(gx.data, np.cos([0.3, 1.2]))
    with pytest.raises(RuntimeError, match=r"NumpySin\.backward is not differentiable"):
        gx.sum().backward()
    y = NumpySin.apply(x).sum()          # the plain path is unchanged
    y.backward()
    np.testing.assert_allclose(x.grad.data, np.cos([0.3, 1.2]))


class WrongShape(ag.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        return g, np.ones((4,))           # b has shape (3,)


def test_a_wrongly_shaped_gradient_names_the_function_the_input_and_both_shapes():
    a = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape\.backward returned a gradient of "
                       r"shape \(4,\) for input 1, which has shape \(3,\)"):
        WrongShape.apply(a, b).sum().backward()
    with pytest.raises(RuntimeError, match=r"WrongShape.*\(4,\) for input 1"):
        ag.grad(WrongShape.apply(a, b).sum(), [a, b], create_graph=True)
