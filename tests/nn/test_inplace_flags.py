"""``inplace=True`` and the ``relu_``-style functions modify their input, with PyTorch's
checks (issue 21: never accept the flag and ignore it). PyTorch (float64) is the oracle
for values, gradients and the errors."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import assert_close, load_from_torch

TF = torch.nn.functional
RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4)) * 2
W = RNG.normal(size=(3, 4))

# (name, our call, torch's call) on a tensor made by an op that keeps no output (mul)
ACTIVATIONS = [
    ("relu", lambda t: F.relu(t, inplace=True), lambda t: TF.relu(t, inplace=True)),
    ("relu_", F.relu_, TF.relu_),
    ("relu6", lambda t: F.relu6(t, inplace=True), lambda t: TF.relu6(t, inplace=True)),
    ("leaky_relu", lambda t: F.leaky_relu(t, 0.2, True), lambda t: TF.leaky_relu(t, 0.2, True)),
    ("leaky_relu_", lambda t: F.leaky_relu_(t, 0.2), lambda t: TF.leaky_relu_(t, 0.2)),
    ("elu", lambda t: F.elu(t, 0.7, True), lambda t: TF.elu(t, 0.7, True)),
    ("elu_", F.elu_, TF.elu_),
    ("selu", lambda t: F.selu(t, True), lambda t: TF.selu(t, True)),
    ("selu_", F.selu_, torch.selu_),
    ("celu", lambda t: F.celu(t, 1.5, True), lambda t: TF.celu(t, 1.5, True)),
    ("celu_", F.celu_, TF.celu_),
    ("hardtanh", lambda t: F.hardtanh(t, -0.5, 1.5, True),
     lambda t: TF.hardtanh(t, -0.5, 1.5, True)),
    ("hardtanh_", F.hardtanh_, TF.hardtanh_),
    ("hardsigmoid", lambda t: F.hardsigmoid(t, True), lambda t: TF.hardsigmoid(t, True)),
    ("hardswish", lambda t: F.hardswish(t, True), lambda t: TF.hardswish(t, True)),
    ("silu", lambda t: F.silu(t, True), lambda t: TF.silu(t, True)),
    ("mish", lambda t: F.mish(t, True), lambda t: TF.mish(t, True)),
    ("threshold", lambda t: F.threshold(t, 0.3, -2.0, True),
     lambda t: TF.threshold(t, 0.3, -2.0, True)),
    ("threshold_", lambda t: F.threshold_(t, 0.3, -2.0), lambda t: TF.threshold_(t, 0.3, -2.0)),
    ("rrelu eval", lambda t: F.rrelu(t, 0.1, 0.3, False, True),
     lambda t: TF.rrelu(t, 0.1, 0.3, False, True)),
    ("rrelu_", F.rrelu_, TF.rrelu_),
    ("dropout eval", lambda t: F.dropout(t, 0.5, False, True),
     lambda t: TF.dropout(t, 0.5, False, True)),
]


def _pair():
    x, w = ag.tensor(X, requires_grad=True), ag.tensor(W)
    tx, tw = torch.tensor(X, requires_grad=True), torch.tensor(W)
    return x, w, tx, tw


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_inplace_activation_modifies_its_input_and_backprops_like_pytorch(name, ours, theirs):
    x, w, tx, tw = _pair()
    z, tz = x * w, tx * tw
    out, tout = ours(z), theirs(tz)
    assert out is z and tout is tz
    assert_close(z, tz, "value")
    (z * z).sum().backward()
    (tz * tz).sum().backward()
    # PyTorch's hard* backward kernels multiply by a float32 1/6 (relative error 3e-8)
    assert_close(x.grad, tx.grad, "grad", rtol=1e-7 if name.startswith("hards") else 1e-9)


@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS[:-1], ids=[a[0] for a in ACTIVATIONS[:-1]])
def test_inplace_equals_out_of_place_to_second_order(name, ours, theirs):
    def f(x, inplace):
        z = x * ag.tensor(W)
        if inplace:
            return (ours(z) ** 2).sum()
        return (ours(z * 1.0) ** 2).sum()     # the same function on a fresh copy
    x = ag.tensor(X, requires_grad=True)
    g_in = ag.grad(f(x, True), x, create_graph=True)[0]
    (h_in,) = ag.grad((g_in * ag.tensor(W)).sum(), x)
    x2 = ag.tensor(X, requires_grad=True)
    g_out = ag.grad(f(x2, False), x2, create_graph=True)[0]
    (h_out,) = ag.grad((g_out * ag.tensor(W)).sum(), x2)
    np.testing.assert_allclose(g_in.data, g_out.data)
    np.testing.assert_allclose(h_in.data, h_out.data)


@pytest.mark.parametrize("producer", ["relu", "sigmoid", "tanh", "exp", "softmax"])
@pytest.mark.parametrize("name,ours,theirs", [ACTIVATIONS[0], ACTIVATIONS[5], ACTIVATIONS[15]],
                         ids=["relu", "elu", "silu"])
def test_overwriting_an_output_its_gradient_needs_fails_at_backward_like_pytorch(
        producer, name, ours, theirs):
    x, _, tx, _ = _pair()
    make = {"relu": (ag.relu, torch.relu), "sigmoid": (ag.sigmoid, torch.sigmoid),
            "tanh": (ag.tanh, torch.tanh), "exp": (ag.exp, torch.exp),
            "softmax": (lambda t: F.softmax(t, dim=1), lambda t: TF.softmax(t, dim=1))}
    y, ty = make[producer][0](x), make[producer][1](tx)
    ours(y), theirs(ty)
    assert_close(y, ty, "forward values")          # the forward itself is fine
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    op = "exp" if producer == "softmax" else producer      # softmax is exp(log_softmax)
    assert f"output of '{op}'" in str(info.value) and "inplace=False" in str(info.value)


def test_a_use_before_the_write_is_caught_at_backward():
    x, w, tx, tw = _pair()
    z, tz = x * w, tx * tw
    saved, tsaved = z * z, tz * tz               # mul saves z: both libraries refuse
    F.relu_(z), TF.relu_(tz)
    with pytest.raises(RuntimeError, match="inplace operation"):
        tsaved.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        saved.sum().backward()
    # glassgrad also refuses where PyTorch's add would not need the old value: an
    # error, never a gradient routed through the new value (a documented difference)
    x, w, _, _ = _pair()
    z = x * w
    later = z + 1
    F.relu_(z)
    with pytest.raises(RuntimeError, match="'add'.*modified by an in-place operation"):
        later.sum().backward()


def test_leaf_that_requires_grad_is_refused_unless_no_grad():
    x, _, tx, _ = _pair()
    with pytest.raises(RuntimeError, match="in-place operation"):
        TF.relu_(tx)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*in-place") as e:
        F.relu_(x)
    assert "no_grad" in str(e.value)
    data = x.data
    with ag.no_grad():
        F.relu_(x)
    with torch.no_grad():
        TF.relu_(tx)
    assert x.data is data and x._version == 1
    assert_close(x, tx, "relu_ under no_grad")


def test_plain_tensor_is_written_in_memory_and_views_see_it():
    arr = X.copy()
    t = ag.tensor(arr)
    alias = t.detach()
    out = F.elu_(t, 0.5)
    assert out is t and t.data is alias.data and t._version == 1
    np.testing.assert_allclose(alias.data, TF.elu(torch.tensor(X), 0.5).numpy())
    # on a graph tensor the memory is written too: a detached view sees the new values
    x, w, _, _ = _pair()
    z = x * w
    view = z.detach()
    F.relu_(z)
    np.testing.assert_array_equal(view.data, np.maximum(X * W, 0))


def test_dropout_inplace_draws_the_same_mask_as_out_of_place():
    for fn, shape in ((F.dropout, (4, 5)), (F.dropout2d, (2, 3, 4, 4)),
                      (F.alpha_dropout, (4, 5)), (F.feature_alpha_dropout, (2, 3, 4))):
        base = RNG.normal(size=shape)
        x1, x2 = ag.tensor(base, requires_grad=True), ag.tensor(base, requires_grad=True)
        ag.manual_seed(3)
        y1 = fn(x1 * 2.0, 0.4, True)
        ag.manual_seed(3)
        z = x2 * 2.0
        y2 = fn(z, 0.4, True, inplace=True)
        assert y2 is z
        np.testing.assert_array_equal(y1.data, y2.data)
        (y1 * y1).sum().backward()
        (y2 * y2).sum().backward()
        np.testing.assert_array_equal(x1.grad.data, x2.grad.data)


def test_layers_with_inplace_match_pytorch_in_a_network(float64):
    def build(lib):
        return lib.Sequential(lib.Conv2d(2, 3, 3), lib.ReLU(inplace=True),
                              lib.MaxPool2d(2), lib.Flatten(), lib.Linear(12, 6),
                              lib.ELU(inplace=True), lib.Dropout(0.3, inplace=True),
                              lib.Linear(6, 6), lib.Hardtanh(-1, 1, inplace=True),
                              lib.Linear(6, 2), lib.LeakyReLU(0.1, inplace=True))
    theirs = build(torch.nn).double().eval()
    ours = build(nn).eval()
    load_from_torch(ours, theirs)
    x = RNG.normal(size=(2, 2, 6, 6))
    out, tout = ours(ag.tensor(x)), theirs(torch.tensor(x))
    assert_close(out, tout, "output")
    out.sum().backward()
    tout.sum().backward()
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, name)
    assert "ReLU(inplace=True)" in repr(ours) and repr(ours) == repr(theirs)


def test_module_flags_reach_the_function():
    z = ag.tensor(X) * 1.0
    for module in (nn.ReLU(True), nn.ReLU6(True), nn.SELU(True), nn.SiLU(True),
                   nn.Mish(True), nn.Hardsigmoid(True), nn.Hardswish(True),
                   nn.LeakyReLU(inplace=True), nn.ELU(inplace=True), nn.CELU(inplace=True),
                   nn.Hardtanh(inplace=True), nn.Threshold(0.1, 0.0, True),
                   nn.RReLU(inplace=True), nn.Dropout(0.5, True), nn.Dropout1d(0.5, True),
                   nn.AlphaDropout(0.5, True), nn.FeatureAlphaDropout(0.5, True)):
        before = z._version
        assert module(z) is z and z._version == before + 1, module


class _Double(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return 2 * g


class _Exp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


def test_inplace_on_a_custom_functions_output():
    x = ag.tensor(X, requires_grad=True)
    y = _Double.apply(x)
    F.relu_(y)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2.0 * (X > 0))
    with pytest.raises(RuntimeError, match="custom Function '_Exp'.*saved"):
        F.relu_(_Exp.apply(ag.tensor(X, requires_grad=True)))
