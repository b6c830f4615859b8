"""The fast paths of max pooling (running first-max + gather) and of the LSTM time loop
(fused lstm_cell on transposed states) against PyTorch on the cases they special-case."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F


@pytest.fixture(autouse=True)
def _f64(float64):
    yield


def _pool_both(x, **kw):
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, io = F.max_pool2d(xo, return_indices=True, **kw)
    yt, it = torch.nn.functional.max_pool2d(xt, return_indices=True, **kw)
    g = np.random.default_rng(3).standard_normal(yo.shape)
    with np.errstate(invalid="ignore"):   # the loss itself sums +inf and -inf terms
        (yo * ag.Tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    return (yo.data, io.data, xo.grad.data), (yt.detach().numpy(), it.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, stride=1, dilation=2)])
def test_max_pool_nan_and_inf_follow_torch(kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    x[0, 0, 1, 1] = np.nan
    x[1, 2, 4, 5] = np.inf
    x[1, 1, 2, 2] = -np.inf
    (yo, io, go), (yt, it, gt) = _pool_both(x, **kw)
    np.testing.assert_array_equal(np.isnan(yo), np.isnan(yt))
    np.testing.assert_allclose(yo, yt, equal_nan=True)
    np.testing.assert_array_equal(io, it)
    np.testing.assert_allclose(go, gt, equal_nan=True)


def test_max_pool_non_contiguous_input_and_ties():
    x = np.maximum(np.random.default_rng(1).standard_normal((2, 8, 9, 3)), 0).round()
    x = np.ascontiguousarray(x).transpose(0, 3, 1, 2)           # (2, 3, 8, 9) strided view
    (yo, io, go), (yt, it, gt) = _pool_both(x, kernel_size=2)
    np.testing.assert_allclose(yo, yt)
    np.testing.assert_array_equal(io, it)
    np.testing.assert_allclose(go, gt)


def test_lstm_cell_primitive_checks_shapes():
    with pytest.raises(ValueError, match=r"lstm_cell: expected a state \[h; c\]"):
        ag.ops.lstm_cell(np.zeros((8, 2)), np.zeros((3, 2)))


def test_lstm_output_gradient_through_the_batch_axis_join():
    """Only out[-1] and c_n feed the loss (the benchmark's pattern), in both directions."""
    tm = torch.nn.LSTM(3, 5, bidirectional=True).double()
    ours = nn.LSTM(3, 5, bidirectional=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((6, 4, 3))
    xo, xt = ag.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (out_o, (_, c_o)), (out_t, (_, c_t)) = ours(xo), tm(xt)
    (out_o[-1].sum() + (c_o * c_o).sum()).backward()
    (out_t[-1].sum() + (c_t * c_t).sum()).backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), atol=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, dict(tm.named_parameters())[name].grad.numpy(),
                                   atol=1e-12, err_msg=name)
