"""PyTorch as the oracle for nn: same weights, same inputs, compare outputs and grads."""
import numpy as np

import autograd as ag

RTOL, ATOL = 1e-9, 1e-11


def load_from_torch(ours, theirs):
    """Copy the torch module's state_dict into ours (the documented workflow)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def assert_close(a, b, what, rtol=RTOL, atol=ATOL):
    a = np.asarray(a.data if isinstance(a, ag.Tensor) else a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def _pair(torch, a, grad=None):
    a = np.asarray(a)
    grad = a.dtype.kind == "f" if grad is None else grad
    ours = ag.tensor(a.copy(), requires_grad=grad)
    theirs = torch.tensor(a.copy(), requires_grad=grad)
    return ours, theirs


def run_both(torch, ours, theirs, arrays, rtol=RTOL, atol=ATOL, seed=0, grads=None):
    """Call ``ours(*arrays)`` and ``theirs(*arrays)``; compare output, then backprop the
    output contracted with fixed random weights and compare every float input's grad
    (or those flagged in ``grads``) and every parameter's grad (by name).
    Returns (our output, torch output)."""
    grads = grads or [None] * len(arrays)
    pairs = [_pair(torch, a, g) for a, g in zip(arrays, grads)]
    out = ours(*[p[0] for p in pairs])
    tout = theirs(*[p[1] for p in pairs])
    assert_close(out, tout, "output", rtol, atol)
    if not tout.requires_grad:
        return out, tout
    w = np.random.default_rng(seed).standard_normal(tout.shape)
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(pairs):
        if b.requires_grad:
            assert_close(a.grad, b.grad, f"grad of input {i}", rtol, atol)
    if hasattr(ours, "named_parameters"):
        theirs_params = dict(theirs.named_parameters())
        ours_params = dict(ours.named_parameters())
        assert set(ours_params) == set(theirs_params)
        for name, p in ours_params.items():
            tp = theirs_params[name]
            if tp.grad is None:
                assert p.grad is None or not np.any(p.grad.data), name
            else:
                assert_close(p.grad, tp.grad, f"grad of {name}", rtol, atol)
    return out, tout
