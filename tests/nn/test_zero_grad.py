"""``Module.zero_grad`` and ``Optimizer.zero_grad`` against PyTorch 2.13: both share
``autograd.tensor.reset_grad``; with ``set_to_none=False`` the gradient Tensor is kept,
detached in place (a ``grad_fn`` or a ``requires_grad`` flag is dropped) and zeroed."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import optim
from autograd.tensor import stored_grad
from autograd.value import Value

GRAD_KINDS = ("plain", "create_graph", "grad requires grad")


def _linear(lib, kind):
    """A 3->2 Linear with gradients of the given kind, same numbers in both libraries."""
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(4, 3))
    if lib is torch:
        lin, xt = torch.nn.Linear(3, 2).double(), torch.tensor(x)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w))
            lin.bias.copy_(torch.tensor(b))
    else:
        lin, xt = nn.Linear(3, 2), ag.tensor(x)
        with ag.no_grad():
            lin.weight.copy_(ag.tensor(w))
            lin.bias.copy_(ag.tensor(b))
    (lin(xt) ** 2).sum().backward(create_graph=kind == "create_graph")
    if kind == "grad requires grad":
        for p in lin.parameters():
            p.grad.requires_grad_(True)
    return lin


def _zero(lib, lin, owner, set_to_none):
    if owner == "module":
        lin.zero_grad(set_to_none=set_to_none)
    else:
        sgd = torch.optim.SGD if lib is torch else optim.SGD
        sgd(lin.parameters(), lr=0.1).zero_grad(set_to_none=set_to_none)


def _observe(lib, owner, kind, set_to_none):
    lin = _linear(lib, kind)
    before = [(p.grad, p.grad._version) for p in lin.parameters()]
    _zero(lib, lin, owner, set_to_none)
    seen = []
    for p, (old, version) in zip(lin.parameters(), before):
        g = p.grad
        if g is None:
            seen.append(None)
            continue
        values = g.detach().numpy() if lib is torch else g.data
        seen.append(dict(same_object=g is old, grad_fn=g.grad_fn is not None,
                         requires_grad=g.requires_grad, is_leaf=g.is_leaf,
                         bumped=g._version > version, values=values.copy()))
    return seen


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("kind", GRAD_KINDS)
@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_zero_grad_matches_pytorch(owner, kind, set_to_none):
    mine, ref = (_observe(lib, owner, kind, set_to_none) for lib in (np, torch))
    for m, r in zip(mine, ref):
        if r is None:
            assert m is None
            continue
        np.testing.assert_array_equal(m.pop("values"), r.pop("values"))
        assert m == r


def test_zeroed_grad_accumulates_again_like_pytorch():
    results = []
    for lib in (np, torch):
        lin = _linear(lib, "create_graph")
        lin.zero_grad(set_to_none=False)
        x = (torch.ones if lib is torch else ag.ones)((1, 3), dtype=torch.float64
                                                      if lib is torch else np.float64)
        lin(x).sum().backward()
        results.append([np.array(p.grad.detach().numpy() if lib is torch else p.grad.data)
                        for p in lin.parameters()])
    for m, r in zip(*results):
        np.testing.assert_allclose(m, r)


def test_optimizer_zero_grad_reaches_a_values_tensor_gradient():
    v = Value(3.0)
    (v * v).backward()
    grad = stored_grad(v)
    optim.SGD([v], lr=0.1).zero_grad(set_to_none=False)
    assert stored_grad(v) is grad and v.grad == 0.0
    optim.SGD([v], lr=0.1).zero_grad()
    assert stored_grad(v) is None
