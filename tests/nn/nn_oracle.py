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
    """Leaf tensors (ours, torch's) holding copies of ``a``, or tuples of them for a
    nested tuple of arrays (e.g. LSTM's (h, c)); float ones require grad unless ``grad``
    says otherwise."""
    if isinstance(a, tuple):
        pairs = [_pair(torch, b, grad) for b in a]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    a = np.asarray(a)
    grad = a.dtype.kind == "f" if grad is None else grad
    ours = ag.tensor(a.copy(), requires_grad=grad)
    theirs = torch.tensor(a.copy(), requires_grad=grad)
    return ours, theirs


def flatten(x):
    """Nested tuples (``(output, h)``, ``(output, (h, c))``, ...) -> a flat list."""
    if isinstance(x, tuple):
        return [leaf for item in x for leaf in flatten(item)]
    return [x]


def run_both(torch, ours, theirs, arrays, rtol=RTOL, atol=ATOL, seed=0, grads=None,
             **kwargs):
    """Call ``ours(*arrays, **kwargs)`` and ``theirs(...)`` on the same values (arrays in
    ``kwargs``, e.g. masks, reach torch as tensors) and compare every output: shapes,
    values (integer ones, e.g. pooling indices, exactly; a None with a None). Then
    backprop the float outputs contracted with fixed random weights and compare the grad
    of every float input (or of those flagged in ``grads``; an input may be a nested
    tuple) and of every parameter (same names in the same order, same shapes).
    Returns (our output, torch output)."""
    grads = grads or [None] * len(arrays)
    pairs = [_pair(torch, a, g) for a, g in zip(arrays, grads)]
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kwargs.items()}
    out = ours(*[p[0] for p in pairs], **kwargs)
    tout = theirs(*[p[1] for p in pairs], **torch_kwargs)
    outs, touts = flatten(out), flatten(tout)
    assert len(outs) == len(touts), f"{len(outs)} outputs != torch {len(touts)}"
    rng = np.random.default_rng(seed)
    loss, tloss, contracted = 0, 0, False
    for i, (a, b) in enumerate(zip(outs, touts)):
        if b is None:
            assert a is None, f"output {i}: torch gives None, ours {type(a).__name__}"
            continue
        if not b.dtype.is_floating_point:
            assert a.shape == tuple(b.shape), f"output {i}: shape {a.shape} != {b.shape}"
            np.testing.assert_array_equal(a.data, b.numpy(), err_msg=f"output {i}")
            continue
        assert_close(a, b, f"output {i}", rtol, atol)
        if b.requires_grad:
            w = rng.standard_normal(b.shape)
            loss = loss + (a * ag.tensor(w)).sum()
            tloss = tloss + (b * torch.tensor(w)).sum()
            contracted = True
    if not contracted:
        return out, tout
    loss.backward()
    tloss.backward()
    inputs = flatten(tuple(p[0] for p in pairs))
    tinputs = flatten(tuple(p[1] for p in pairs))
    for i, (a, b) in enumerate(zip(inputs, tinputs)):
        if b.requires_grad:
            assert_close(a.grad, b.grad, f"grad of input {i}", rtol, atol)
    if hasattr(ours, "named_parameters"):
        theirs_params = dict(theirs.named_parameters())
        ours_params = dict(ours.named_parameters())
        assert list(ours_params) == list(theirs_params)
        for name, p in ours_params.items():
            tp = theirs_params[name]
            assert p.shape == tuple(tp.shape), name
            if tp.grad is None:
                assert p.grad is None or not np.any(p.grad.data), name
            else:
                assert_close(p.grad, tp.grad, f"grad of {name}", rtol, atol)
    return out, tout
