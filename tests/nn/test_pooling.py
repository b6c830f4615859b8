"""Pooling against PyTorch (float64): outputs and input gradients, with ties."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import run_both


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def relu_ties(shape, seed=0):
    """ReLU'd, rounded input: many zeros and repeated values, so windows have ties."""
    return np.maximum(np.random.default_rng(seed).standard_normal(shape), 0).round(0)


def check(ours, theirs, x):
    """Compare output (and indices, if returned) and the input gradient with torch's."""
    run_both(torch, ours, theirs, [x], rtol=1e-7, atol=1e-12, seed=1)



MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=2, stride=1, return_indices=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True),
]


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_with_ties_matches_torch(kw):
    check(nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw), relu_ties((2, 3, 9, 8)))


def test_max_pool_gradient_goes_to_first_max_only():
    x = ag.Tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_max_pool1d_and_unbatched():
    x = relu_ties((2, 3, 11), seed=2)
    check(nn.MaxPool1d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool1d(3, 2, 1, ceil_mode=True), x)
    check(nn.MaxPool2d(2, ceil_mode=True), torch.nn.MaxPool2d(2, ceil_mode=True),
          relu_ties((3, 5, 5), seed=3))


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("geometry", [dict(kernel_size=3, stride=2, padding=1),
                                      dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1)),
                                      dict(kernel_size=2)])
def test_avg_pool2d_matches_torch(geometry, ceil_mode, count_include_pad):
    kw = dict(geometry, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    check(nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw), relu_ties((2, 3, 9, 8), seed=4))


def test_avg_pool_divisor_override_and_1d():
    x = relu_ties((2, 3, 7, 7), seed=5)
    check(nn.AvgPool2d(3, divisor_override=5), torch.nn.AvgPool2d(3, divisor_override=5), x)
    check(nn.AvgPool1d(3, 2, 1, ceil_mode=True), torch.nn.AvgPool1d(3, 2, 1, ceil_mode=True),
          x[:, :, 0])


@pytest.mark.parametrize("size", [(4, 3), (5, None), 7, 1, (3, 8)])
def test_adaptive_avg_pool2d_non_divisible(size):
    x = np.random.default_rng(6).standard_normal((2, 3, 9, 8))
    check(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), x)


def test_adaptive_avg_pool1d_and_unbatched():
    x = np.random.default_rng(7).standard_normal((2, 3, 10))
    check(nn.AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4), x)
    check(nn.AdaptiveAvgPool2d(3), torch.nn.AdaptiveAvgPool2d(3), x)


@pytest.mark.parametrize("kw", [dict(output_size=(4, 3)),
                                dict(output_size=2, return_indices=True)])
def test_adaptive_max_pool2d_with_ties(kw):
    check(nn.AdaptiveMaxPool2d(**kw), torch.nn.AdaptiveMaxPool2d(**kw), relu_ties((2, 3, 9, 7)))


def test_pool_errors():
    with pytest.raises(ValueError, match="max_pool2d.*half"):
        F.max_pool2d(ag.zeros((1, 1, 5, 5)), 2, padding=2)
    with pytest.raises(ValueError, match="max_pool2d.*4-d"):
        F.max_pool2d(ag.zeros((5, 5)), 2)


def test_3d_pools_match_torch():
    x = relu_ties((2, 2, 5, 6, 4), seed=8)
    kw = dict(kernel_size=(3, 2, 2), stride=2, padding=1, ceil_mode=True)
    check(nn.MaxPool3d(**kw), torch.nn.MaxPool3d(**kw), x)
    check(nn.AvgPool3d(**kw, count_include_pad=False),
          torch.nn.AvgPool3d(**kw, count_include_pad=False), x)


def test_max_pool_keeps_the_first_of_equal_zeros_and_routes_nan_like_torch():
    signed = np.array([[[[-0.0, 0.0], [0.0, 0.0]]], [[[0.0, -0.0], [0.0, 0.0]]]])
    y = F.max_pool2d(ag.Tensor(signed), 2)
    ref = torch.nn.functional.max_pool2d(torch.tensor(signed), 2)
    np.testing.assert_array_equal(np.signbit(y.data), torch.signbit(ref).numpy())
    nan = np.array([[[[1.0, np.nan], [np.nan, 2.0]], [[np.nan, 3.0], [0.0, 4.0]]]])
    x, xt = ag.Tensor(nan, requires_grad=True), torch.tensor(nan, requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    yt, idxt = torch.nn.functional.max_pool2d(xt, 2, return_indices=True)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(idx.data, idxt.numpy())
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())


@pytest.mark.parametrize("kw", MAX_CASES[:4])
def test_max_pool_double_backward_matches_torch(kw):
    kw = {k: v for k, v in kw.items() if k != "return_indices"}
    xa = relu_ties((2, 2, 9, 8), seed=5)
    ga = np.random.default_rng(6).standard_normal(F.max_pool2d(ag.Tensor(xa), **kw).shape)
    x, xt = ag.Tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
    g, gt = ag.Tensor(ga, requires_grad=True), torch.tensor(ga, requires_grad=True)
    (dx,) = ag.grad(F.max_pool2d(x, **kw), x, g, create_graph=True)
    (dxt,) = torch.autograd.grad(torch.nn.functional.max_pool2d(xt, **kw), xt, gt,
                                 create_graph=True)
    w = np.random.default_rng(7).standard_normal(xa.shape)
    (gg,) = ag.grad((dx * ag.Tensor(w)).sum(), g)
    (ggt,) = torch.autograd.grad((dxt * torch.tensor(w)).sum(), gt)
    # overlapping windows add in another order than torch: equal up to rounding
    np.testing.assert_allclose(dx.data, dxt.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gg.data, ggt.numpy(), rtol=1e-13, atol=1e-15)
