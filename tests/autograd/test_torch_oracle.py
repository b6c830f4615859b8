"""Every autograd function of API.md against PyTorch: value and gradient, float64.

Each row builds the same computation in glassgrad and in torch from the same float64
arrays, contracts the output with fixed random weights and compares the output and
the gradient of every input to ~1e-10.
"""
import numpy as np
import pytest

import autograd as ag

torch = pytest.importorskip("torch")

# (id, shapes, glassgrad fn, torch fn, domain)
ROWS = [
    ("add", [(2, 3), (3,)], lambda a, b: a + b, lambda a, b: a + b, "normal"),
    ("radd-scalar", [(2, 3)], lambda a: 2.5 + a, lambda a: 2.5 + a, "normal"),
    ("sub", [(2, 1), (1, 3)], lambda a, b: a - b, lambda a, b: a - b, "normal"),
    ("rsub", [(3,)], lambda a: 1.0 - a, lambda a: 1.0 - a, "normal"),
    ("mul", [(2, 3), (2, 3)], lambda a, b: a * b, lambda a, b: a * b, "normal"),
    ("div", [(2, 3), (3,)], lambda a, b: a / b, lambda a, b: a / b, "positive"),
    ("rdiv", [(3,)], lambda a: 2.0 / a, lambda a: 2.0 / a, "positive"),
    ("pow-scalar", [(4,)], lambda a: a ** 3, lambda a: a ** 3, "normal"),
    ("pow-tensor", [(4,), (4,)], lambda a, b: a ** b, lambda a, b: a ** b, "positive"),
    ("rpow", [(4,)], lambda a: 2.0 ** a, lambda a: 2.0 ** a, "normal"),
    ("neg", [(3,)], lambda a: -a, lambda a: -a, "normal"),
    ("matmul-2d", [(2, 3), (3, 4)], lambda a, b: a @ b, lambda a, b: a @ b, "normal"),
    ("matmul-1d-2d", [(3,), (3, 4)], lambda a, b: a @ b, lambda a, b: a @ b, "normal"),
    ("matmul-2d-1d", [(2, 3), (3,)], lambda a, b: a @ b, lambda a, b: a @ b, "normal"),
    ("matmul-1d-1d", [(3,), (3,)], lambda a, b: a @ b, lambda a, b: a @ b, "normal"),
    ("matmul-batched", [(2, 1, 2, 3), (3, 3, 4)], lambda a, b: a @ b,
     lambda a, b: a @ b, "normal"),
    ("exp", [(2, 3)], ag.exp, torch.exp, "normal"),
    ("log", [(2, 3)], ag.log, torch.log, "positive"),
    ("sqrt", [(2, 3)], ag.sqrt, torch.sqrt, "positive"),
    ("sin", [(2, 3)], ag.sin, torch.sin, "normal"),
    ("cos", [(2, 3)], ag.cos, torch.cos, "normal"),
    ("tanh", [(2, 3)], ag.tanh, torch.tanh, "normal"),
    ("sigmoid", [(2, 3)], ag.sigmoid, torch.sigmoid, "wide"),
    ("relu", [(2, 3)], ag.relu, torch.relu, "normal"),
    ("abs", [(2, 3)], ag.abs, torch.abs, "normal"),
    ("sign", [(2, 3)], lambda a: ag.sign(a) * a, lambda a: torch.sign(a) * a, "normal"),
    ("clip", [(3, 4)], lambda a: ag.clip(a, -0.5, 0.7), lambda a: torch.clamp(a, -0.5, 0.7),
     "normal"),
    ("clip-min-only", [(3, 4)], lambda a: a.clip(min=0.1),
     lambda a: torch.clamp(a, min=0.1), "normal"),
    ("maximum", [(3, 4), (4,)], ag.maximum, torch.maximum, "normal"),
    ("minimum", [(3, 4), (3, 1)], ag.minimum, torch.minimum, "normal"),
    ("maximum-ties", [(2, 3)], lambda a: ag.maximum(a, a.detach()),
     lambda a: torch.maximum(a, a.detach()), "normal"),
    ("where", [(2, 3), (3,)], lambda a, b: ag.where(a > 0, a, b),
     lambda a, b: torch.where(a > 0, a, b), "normal"),
    ("sum", [(2, 3, 4)], lambda a: a.sum(), lambda a: a.sum(), "normal"),
    ("sum-axis", [(2, 3, 4)], lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), "normal"),
    ("sum-axes-keep", [(2, 3, 4)], lambda a: a.sum(axis=(0, 2), keepdims=True),
     lambda a: a.sum(dim=(0, 2), keepdim=True), "normal"),
    ("sum-dim-alias", [(2, 3)], lambda a: a.sum(dim=-1, keepdim=True),
     lambda a: a.sum(dim=-1, keepdim=True), "normal"),
    ("mean", [(2, 3, 4)], lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), "normal"),
    ("var", [(3, 5)], lambda a: a.var(axis=1), lambda a: a.var(dim=1, unbiased=False),
     "normal"),
    ("var-ddof1", [(3, 5)], lambda a: a.var(axis=0, ddof=1), lambda a: a.var(dim=0),
     "normal"),
    ("std", [(3, 5)], lambda a: a.std(), lambda a: a.std(unbiased=False), "normal"),
    ("std-ddof1-keep", [(3, 5)], lambda a: a.std(axis=1, ddof=1, keepdims=True),
     lambda a: a.std(dim=1, keepdim=True), "normal"),
    ("max", [(3, 4)], lambda a: a.max(), lambda a: a.amax(), "distinct"),
    ("max-axis", [(3, 4)], lambda a: a.max(axis=1), lambda a: a.amax(dim=1), "distinct"),
    ("min-axis", [(3, 4)], lambda a: a.min(axis=0, keepdims=True),
     lambda a: a.amin(dim=0, keepdim=True), "distinct"),
    ("max-ties", [(2, 3)], lambda a: (a * 0 + 1).max(axis=1) * a.sum(),
     lambda a: (a * 0 + 1).amax(dim=1) * a.sum(), "normal"),
    ("logsumexp", [(3, 4)], lambda a: ag.logsumexp(a, axis=1),
     lambda a: torch.logsumexp(a, dim=1), "wide"),
    ("logsumexp-all", [(3, 4)], lambda a: ag.logsumexp(a), lambda a: torch.logsumexp(
        a.reshape(-1), dim=0), "wide"),
    ("softmax", [(3, 4)], lambda a: ag.softmax(a, axis=1), lambda a: torch.softmax(a, 1),
     "wide"),
    ("softmax-axis0", [(3, 4)], lambda a: a.softmax(axis=0), lambda a: torch.softmax(a, 0),
     "normal"),
    ("log_softmax", [(3, 4)], lambda a: ag.log_softmax(a), lambda a: torch.log_softmax(a, -1),
     "wide"),
    ("reshape", [(2, 6)], lambda a: a.reshape(3, 4) * 1.0, lambda a: a.reshape(3, 4) * 1.0,
     "normal"),
    ("reshape-tuple", [(2, 6)], lambda a: a.reshape((4, -1)), lambda a: a.reshape(4, -1),
     "normal"),
    ("transpose", [(2, 3, 4)], lambda a: ag.transpose(a), lambda a: a.permute(2, 1, 0),
     "normal"),
    ("T", [(2, 3)], lambda a: a.T, lambda a: a.T, "normal"),
    ("transpose-axes", [(2, 3, 4)], lambda a: a.transpose((1, 0, 2)),
     lambda a: a.permute(1, 0, 2), "normal"),
    ("permute", [(2, 3, 4)], lambda a: a.permute((2, 0, 1)), lambda a: a.permute(2, 0, 1),
     "normal"),
    ("swapaxes", [(2, 3, 4)], lambda a: a.swapaxes(0, 2), lambda a: a.transpose(0, 2),
     "normal"),
    ("flatten", [(2, 3, 4)], lambda a: a.flatten(), lambda a: a.flatten(), "normal"),
    ("flatten-start", [(2, 3, 4)], lambda a: a.flatten(1), lambda a: a.flatten(1), "normal"),
    ("squeeze", [(2, 1, 3, 1)], lambda a: a.squeeze(), lambda a: a.squeeze(), "normal"),
    ("squeeze-axis", [(2, 1, 3, 1)], lambda a: a.squeeze(1), lambda a: a.squeeze(1),
     "normal"),
    ("unsqueeze", [(2, 3)], lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), "normal"),
    ("expand", [(3, 1)], lambda a: a.expand((2, 3, 4)), lambda a: a.expand(2, 3, 4),
     "normal"),
    ("expand-minus1", [(3, 1)], lambda a: a.expand(-1, 5), lambda a: a.expand(-1, 5),
     "normal"),
    ("broadcast_to", [(3,)], lambda a: ag.broadcast_to(a, (2, 3)),
     lambda a: torch.broadcast_to(a, (2, 3)), "normal"),
    ("concatenate", [(2, 3), (1, 3)], lambda a, b: ag.concatenate([a, b], axis=0),
     lambda a, b: torch.cat([a, b], 0), "normal"),
    ("cat-axis1", [(2, 3), (2, 2)], lambda a, b: ag.cat([a, b], axis=1),
     lambda a, b: torch.cat([a, b], 1), "normal"),
    ("stack", [(2, 3), (2, 3)], lambda a, b: ag.stack([a, b], axis=1),
     lambda a, b: torch.stack([a, b], 1), "normal"),
    ("split", [(6, 2)], lambda a: ag.split(a, 3)[1] * ag.split(a, [1, 4])[2].sum(),
     lambda a: torch.split(a, 2)[1] * a[4:].sum(), "normal"),
    ("pad", [(2, 3)], lambda a: ag.pad(a, ((1, 2), (0, 1))),
     lambda a: torch.nn.functional.pad(a, (0, 1, 1, 2)), "normal"),
    ("pad-int", [(2, 3)], lambda a: ag.pad(a, 1), lambda a: torch.nn.functional.pad(
        a, (1, 1, 1, 1)), "normal"),
    ("getitem-basic", [(4, 5)], lambda a: a[1:3, ::2], lambda a: a[1:3, ::2], "normal"),
    ("getitem-int", [(4, 5)], lambda a: a[-1], lambda a: a[-1], "normal"),
    ("getitem-advanced-repeat", [(4, 5)], lambda a: a[[0, 2, 0, 0]],
     lambda a: a[[0, 2, 0, 0]], "normal"),
    ("getitem-2arrays", [(4, 5)], lambda a: a[np.array([0, 1, 1]), np.array([2, 2, 4])],
     lambda a: a[torch.tensor([0, 1, 1]), torch.tensor([2, 2, 4])], "normal"),
    ("getitem-mask", [(4, 5)], lambda a: a[a > 0], lambda a: a[a > 0], "normal"),
    ("getitem-none-ellipsis", [(2, 3, 4)], lambda a: a[..., None, 1],
     lambda a: a[..., None, 1], "normal"),
    ("einsum-matmul", [(2, 3), (3, 4)], lambda a, b: ag.einsum("ij,jk->ik", a, b),
     lambda a, b: torch.einsum("ij,jk->ik", a, b), "normal"),
    ("einsum-batch", [(2, 2, 3), (2, 3, 4)], lambda a, b: ag.einsum("bij,bjk->bik", a, b),
     lambda a, b: torch.einsum("bij,bjk->bik", a, b), "normal"),
    ("einsum-trace", [(3, 3)], lambda a: ag.einsum("ii", a), lambda a: torch.einsum("ii", a),
     "normal"),
    ("einsum-diag", [(3, 3)], lambda a: ag.einsum("ii->i", a),
     lambda a: torch.einsum("ii->i", a), "normal"),
    ("einsum-outer-implicit", [(3,), (4,)], lambda a, b: ag.einsum("i,j", a, b),
     lambda a, b: torch.einsum("i,j", a, b), "normal"),
    ("einsum-ellipsis", [(2, 3, 4), (4, 5)], lambda a, b: ag.einsum("...j,jk->...k", a, b),
     lambda a, b: torch.einsum("...j,jk->...k", a, b), "normal"),
    ("einsum-three", [(2, 3), (3, 4), (4,)], lambda a, b, c: ag.einsum("ij,jk,k->i", a, b, c),
     lambda a, b, c: torch.einsum("ij,jk,k->i", a, b, c), "normal"),
    ("chain", [(3, 4), (4, 2), (2,)],
     lambda x, w, b: ag.log_softmax(ag.tanh(x @ w + b) * 3, axis=1).mean(),
     lambda x, w, b: torch.log_softmax(torch.tanh(x @ w + b) * 3, 1).mean(), "normal"),
]
ROWS = [r for r in ROWS if r[3] is not None]


def _arrays(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if domain == "positive":
            out.append(rng.uniform(0.5, 2.0, s))
        elif domain == "wide":
            out.append(rng.standard_normal(s) * 20)
        elif domain == "distinct":
            n = int(np.prod(s))
            out.append(rng.permutation(n).reshape(s) * 0.5 + rng.uniform(0, 0.1, s))
        else:
            out.append(rng.standard_normal(s))
    return out


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_value_and_gradient_match_torch(row):
    name, shapes, ours, theirs, domain = row
    arrays = _arrays(shapes, domain, seed=abs(hash(name)) % 2**31)
    xs = [ag.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*xs)
    ref = theirs(*ts)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert out.dtype == np.float64
    weights = np.random.default_rng(7).standard_normal(ref.shape)
    (out * weights).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for k, (x, t) in enumerate(zip(xs, ts)):
        assert x.grad is not None, f"{name}: input {k} got no gradient"
        assert x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: gradient of input {k}")


def test_second_derivatives_match_torch():
    arrays = _arrays([(3, 4), (4,)], "normal", 3)
    x, w = (ag.Tensor(a, requires_grad=True) for a in arrays)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in arrays)
    y = (ag.tanh(x @ w) ** 2).sum() + ag.logsumexp(x, axis=1).sum()
    ty = (torch.tanh(tx @ tw) ** 2).sum() + torch.logsumexp(tx, 1).sum()
    gx, gw = ag.grad(y, [x, w], create_graph=True)
    tgx, tgw = torch.autograd.grad(ty, [tx, tw], create_graph=True)
    (gx.sum() * gw.sum()).backward()
    (tgx.sum() * tgw.sum()).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-10)
