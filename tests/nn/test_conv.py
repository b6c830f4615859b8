"""Conv1d/Conv2d/ConvTranspose2d against PyTorch (float64): outputs, input and
parameter gradients, and the default-init statistics."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import load_from_torch, run_both


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def check_module(ours, theirs, x):
    """Load theirs' weights into ours; compare output and every gradient."""
    load_from_torch(ours, theirs)
    run_both(torch, ours, theirs, [x], rtol=1e-9, atol=1e-10)


CONV2D_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2),
         dilation=(1, 2), groups=2),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 4), padding="same", dilation=(2, 1),
         groups=2, bias=False),
    dict(in_channels=3, out_channels=5, kernel_size=2, padding="valid", stride=3),
    dict(in_channels=4, out_channels=8, kernel_size=3, padding=1, groups=4),   # depthwise
    dict(in_channels=2, out_channels=3, kernel_size=1),
]


@pytest.mark.parametrize("kw", CONV2D_CASES)
def test_conv2d_matches_torch(kw):
    x = np.random.default_rng(1).standard_normal((2, kw["in_channels"], 9, 8))
    check_module(nn.Conv2d(**kw), torch.nn.Conv2d(**kw).double(), x)


@pytest.mark.parametrize("kw", [
    dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1),
    dict(in_channels=4, out_channels=2, kernel_size=4, padding="same", dilation=2, groups=2),
])
def test_conv1d_matches_torch(kw):
    x = np.random.default_rng(2).standard_normal((3, kw["in_channels"], 11))
    check_module(nn.Conv1d(**kw), torch.nn.Conv1d(**kw).double(), x)


@pytest.mark.parametrize("kw", [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0),
         output_padding=(1, 2), groups=2, dilation=(1, 2)),
    dict(in_channels=2, out_channels=2, kernel_size=3, stride=1, padding=1,
         output_padding=1, dilation=2, bias=False),
])
def test_conv_transpose2d_matches_torch(kw):
    x = np.random.default_rng(3).standard_normal((2, kw["in_channels"], 5, 4))
    check_module(nn.ConvTranspose2d(**kw), torch.nn.ConvTranspose2d(**kw).double(), x)


def test_conv_transpose2d_output_size():
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 4))
    assert ours(ag.Tensor(x), output_size=(10, 9)).shape == (1, 3, 10, 9)
    assert tuple(theirs(torch.tensor(x).float(), output_size=(10, 9)).shape) == (1, 3, 10, 9)


def test_conv_transpose_is_adjoint_of_conv():
    """<conv(x), y> == <x, conv_transpose(y)> with the same weight."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 4, 9, 7)), rng.standard_normal((6, 2, 3, 2))
    y = F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2)
    v = rng.standard_normal(y.shape)
    xt = F.conv_transpose2d(v, w, stride=2, padding=1, dilation=(1, 2), groups=2)
    assert xt.shape == x.shape
    np.testing.assert_allclose((y.data * v).sum(), (x * xt.data).sum(), rtol=1e-10)


def test_conv_unbatched_input():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = np.random.default_rng(6).standard_normal((2, 5, 5))
    np.testing.assert_allclose(conv(ag.Tensor(x)).data, conv(ag.Tensor(x[None])).data[0])


def test_default_init_matches_torch_bounds():
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)        # kaiming_uniform(a=sqrt 5) == U(-1/sqrt(fan_in), ...)
    w, b = conv.weight.data, conv.bias.data
    assert conv.weight.shape == (32, 16, 3, 3) and conv.bias.shape == (32,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    ct = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert ct.weight.shape == (4, 3, 3, 3)
    assert np.abs(ct.bias.data).max() <= 1 / np.sqrt(3 * 9)


def test_conv_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match="conv2d.*groups"):
        F.conv2d(ag.zeros((1, 3, 5, 5)), ag.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match="same"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 4, 3, groups=2)


def test_conv2d_batch_of_mnist_sized_images():
    """A realistic batch (64 x 1 x 28 x 28) goes through conv-relu-conv and matches torch."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 1, 28, 28))
    w1, w2 = rng.standard_normal((8, 1, 5, 5)), rng.standard_normal((16, 8, 3, 3))
    xo, w1o, w2o = (ag.Tensor(a, requires_grad=True) for a in (x, w1, w2))
    yo = F.conv2d(F.conv2d(xo, w1, None).relu(), w2o, None, stride=2, padding=1)
    yo.sum().backward()
    xt, w1t, w2t = (torch.tensor(a, requires_grad=True) for a in (x, w1, w2))
    yt = torch.nn.functional.conv2d(torch.relu(torch.nn.functional.conv2d(xt, w1t)), w2t,
                                    stride=2, padding=1)
    yt.sum().backward()
    assert yo.shape == (64, 16, 12, 12)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(w2o.grad.data, w2t.grad.numpy(), atol=1e-8)


def test_lenet_has_61706_parameters():
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    assert sum(p.numel() for p in lenet.parameters()) == 61706
    assert lenet(ag.randn(2, 1, 32, 32)).shape == (2, 10)


def _second_order_directional(fn, x, w, seed=9, eps=1e-5):
    """d/dt of <v, grad s>(x + t dx, w + t dw) by backprop-of-backprop and by central
    differences, where s = <r, fn(x, w)>."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(fn(ag.Tensor(x), ag.Tensor(w)).shape)
    vx, vw, dx, dw = (rng.standard_normal(a.shape) for a in (x, w, x, w))

    def h(xa, wa):
        xt, wt = ag.Tensor(xa, requires_grad=True), ag.Tensor(wa, requires_grad=True)
        gx, gw = ag.grad((fn(xt, wt) * r).sum(), [xt, wt], create_graph=True)
        return (gx * vx).sum() + (gw * vw).sum(), xt, wt

    value, xt, wt = h(x, w)
    hx, hw = ag.grad(value, [xt, wt])
    analytic = (hx.data * dx).sum() + (hw.data * dw).sum()
    numeric = (h(x + eps * dx, w + eps * dw)[0].item()
               - h(x - eps * dx, w - eps * dw)[0].item()) / (2 * eps)
    return analytic, numeric


@pytest.mark.parametrize("fn", [
    lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
    lambda x, w: F.conv_transpose2d(x, w.transpose(1, 0, 2, 3).reshape(4, 1, 3, 2), stride=2,
                                    padding=1, output_padding=1, groups=2),
])
def test_conv_first_and_second_derivatives_by_finite_differences(fn):
    """Double backprop (e.g. a gradient penalty) works through unfold/fold + matmul."""
    rng = np.random.default_rng(8)
    x = ag.Tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
    w = ag.Tensor(rng.standard_normal((2, 2, 3, 2)), requires_grad=True)
    assert ag.gradcheck(fn, (x, w))
    analytic, numeric = _second_order_directional(fn, x.data, w.data)
    assert abs(analytic) > 1e-3
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6)


def test_conv3d_and_conv_transpose3d_match_torch():
    x = np.random.default_rng(10).standard_normal((2, 4, 5, 6, 4))
    kw = dict(in_channels=4, out_channels=6, kernel_size=(3, 2, 2), stride=(1, 2, 1),
              padding=1, dilation=(1, 1, 2), groups=2)
    check_module(nn.Conv3d(**kw), torch.nn.Conv3d(**kw).double(), x)
    kw = dict(in_channels=4, out_channels=2, kernel_size=2, stride=2, output_padding=1)
    check_module(nn.ConvTranspose3d(**kw), torch.nn.ConvTranspose3d(**kw).double(), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=(3, 2), dilation=(1, 2),
                                                         padding=1, stride=(2, 1))])
def test_unfold_and_fold_match_torch(kw):
    x = np.random.default_rng(11).standard_normal((2, 3, 7, 6))
    check_module(nn.Unfold(**kw), torch.nn.Unfold(**kw), x)
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    check_module(nn.Fold((7, 6), **kw), torch.nn.Fold((7, 6), **kw), cols)
