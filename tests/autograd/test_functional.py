"""autograd.functional against torch.autograd.functional (float64)."""
import numpy as np
import pytest

import autograd as ag
from autograd import functional as AF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional


def f_ours(x, w):
    return ag.tanh(x @ w) * x.sum()


def f_torch(x, w):
    return torch.tanh(x @ w) * x.sum()


def scalar_ours(x):
    return (ag.sin(x) * x ** 2).sum() + ag.logsumexp(x)


def scalar_torch(x):
    return (torch.sin(x) * x ** 2).sum() + torch.logsumexp(x, 0)


RNG = np.random.default_rng(0)
X, W = RNG.standard_normal(3), RNG.standard_normal((3, 2))
V2, V3 = RNG.standard_normal(2), RNG.standard_normal(3)


def pair(a):
    return ag.Tensor(a), torch.tensor(a)


def close(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            close(o, t)
        return
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_jacobian_single_and_tuple_inputs():
    (x, tx), (w, tw) = pair(X), pair(W)
    close(AF.jacobian(lambda a: f_ours(a, w), x), TF.jacobian(lambda a: f_torch(a, tw), tx))
    close(AF.jacobian(f_ours, (x, w)), TF.jacobian(f_torch, (tx, tw)))


def test_jacobian_tuple_outputs():
    (x, tx) = pair(X)
    close(AF.jacobian(lambda a: (a * 2, a.sum()), x),
          TF.jacobian(lambda a: (a * 2, a.sum()), tx))


def test_hessian():
    x, tx = pair(X)
    close(AF.hessian(scalar_ours, x), TF.hessian(scalar_torch, tx))


def test_vjp_jvp_hvp_vhp():
    (x, tx), (w, tw) = pair(X), pair(W)
    v2, tv2 = pair(V2)
    v3, tv3 = pair(V3)
    close(AF.vjp(lambda a: f_ours(a, w), x, v2), TF.vjp(lambda a: f_torch(a, tw), tx, tv2))
    close(AF.jvp(lambda a: f_ours(a, w), x, v3), TF.jvp(lambda a: f_torch(a, tw), tx, tv3))
    close(AF.hvp(scalar_ours, x, v3), TF.hvp(scalar_torch, tx, tv3))
    close(AF.vhp(scalar_ours, x, v3), TF.vhp(scalar_torch, tx, tv3))


def test_hessian_of_a_quadratic_is_exact():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    h = AF.hessian(lambda x: 0.5 * (x @ ag.Tensor(a) @ x), ag.Tensor(np.ones(2)))
    np.testing.assert_allclose(h.data, a)


def test_gradcheck_reports_shapes_and_dtype_problems():
    with pytest.raises(ValueError, match="float64"):
        ag.gradcheck(lambda t: t * 2, [ag.Tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        ag.gradcheck(lambda t: t * 2, [ag.Tensor(np.ones(1))])


@pytest.mark.parametrize("fn", [
    lambda x: ag.softmax(x, axis=0) * ag.sigmoid(x),
    lambda x: ag.var(x) + ag.std(x, ddof=1),
    lambda x: ag.clip(x, -0.3, 0.4) + ag.maximum(x, 0.1) * ag.minimum(x, -0.2),
    lambda x: ag.stack(ag.split(x, 2), axis=1).T @ x[:2],
    lambda x: ag.pad(x.reshape(2, 2), 1).exp().sum(axis=0),
], ids=["softmax-sigmoid", "var-std", "clip-max-min", "split-stack-matmul", "pad"])
def test_composed_functions_pass_second_order_checks(fn):
    x = ag.Tensor(np.array([0.31, -0.72, 1.13, -0.05]), requires_grad=True)
    assert ag.gradcheck(fn, [x])
    assert ag.gradgradcheck(fn, [x])
