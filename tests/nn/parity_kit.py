"""Helpers for issue 21's PyTorch comparisons: values, gradients and Hessian-vector
products of a function of several float64 arrays, in glassgrad and in PyTorch."""
import numpy as np
import torch

import autograd as ag

RTOL, ATOL = 1e-9, 1e-11


def _both(arrays):
    ours = [ag.tensor(np.array(a), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.array(a), requires_grad=True) for a in arrays]
    return ours, theirs


def _close(a, b, what, rtol, atol):
    a = a.data if isinstance(a, ag.Tensor) else a
    b = b.detach().numpy(force=True) if isinstance(b, torch.Tensor) else b
    assert np.shape(a) == np.shape(b), f"{what}: shape {np.shape(a)} != torch {np.shape(b)}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def check_against_torch(ours_fn, torch_fn, arrays, second_order=True, rtol=RTOL, atol=ATOL,
                        seed=0):
    """Compare f(*arrays) (values), its gradient along a random output weighting, and,
    with ``second_order``, the derivative of that gradient along a random direction
    (a Hessian-vector product), for every input."""
    rng = np.random.default_rng(seed)
    xs, ts = _both(arrays)
    out, tout = ours_fn(*xs), torch_fn(*ts)
    _close(out, tout, "value", rtol, atol)
    w = rng.standard_normal(tuple(tout.shape))
    loss = (out * ag.tensor(w)).sum()
    tloss = (tout * torch.tensor(w)).sum()
    grads = ag.grad(loss, xs, create_graph=second_order, allow_unused=True)
    tgrads = torch.autograd.grad(tloss, ts, create_graph=second_order, allow_unused=True)
    for k, (g, tg) in enumerate(zip(grads, tgrads)):
        if tg is None:
            assert g is None or not np.any(g.data), f"input {k}: torch has no gradient"
            continue
        _close(np.zeros(tg.shape) if g is None else g, tg, f"gradient of input {k}",
               rtol, atol)
    if not second_order:
        return
    vs = [rng.standard_normal(np.shape(a)) for a in arrays]
    hv = _hessian_vector(grads, vs, xs, lambda g: g is not None and g.requires_grad,
                         lambda g, v: (g * ag.tensor(v)).sum(), ag.grad)
    thv = _hessian_vector(tgrads, vs, ts, lambda g: g is not None and g.requires_grad,
                          lambda g, v: (g * torch.tensor(v)).sum(), torch.autograd.grad)
    for k, (h, th) in enumerate(zip(hv, thv)):
        _close(h, th, f"second derivative of input {k}", rtol, atol)


def _hessian_vector(grads, vs, inputs, has_graph, dot, grad):
    """d(Σ_k grads_k · v_k)/d inputs as arrays (zeros where there is no dependence: a
    gradient that does not depend on the inputs has no graph to differentiate)."""
    terms = [dot(g, v) for g, v in zip(grads, vs) if has_graph(g)]
    zeros = [np.zeros(tuple(x.shape)) for x in inputs]
    if not terms:
        return zeros
    got = grad(sum(terms), inputs, allow_unused=True)
    return [z if h is None else _array(h) for z, h in zip(zeros, got)]


def _array(t):
    if isinstance(t, ag.Tensor):
        return t.data
    return t.detach().numpy(force=True)         # force: PyTorch's ZeroTensor results
