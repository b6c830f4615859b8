"""Higher-level derivatives with PyTorch's return conventions (torch.autograd.functional).

* ``jacobian(f, x)`` -> shape ``out.shape + x.shape``; tuples of inputs/outputs give
  tuples (outputs outer, inputs inner).
* ``hessian(f, x)`` -> shape ``x.shape + x.shape`` for scalar ``f``.
* ``vjp(f, x, v)`` -> ``(f(x), vᵀJ)``; ``jvp(f, x, v)`` -> ``(f(x), Jv)``;
  ``hvp(f, x, v)`` -> ``(f(x), Hv)``; ``vhp`` -> ``(f(x), vᵀH)``.

Everything is double backprop through the engine: jvp uses the transpose trick
(differentiate ``uᵀJ`` with respect to ``u``).
"""
import numpy as np

from . import engine, grad_mode
from .ops.coerce import call
from .ops import shape as P
from .tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _prepare(inputs, create_graph):
    """The inputs ``f`` is called with: with ``create_graph`` an input that requires grad
    enters through an identity op, so the results stay connected to it (PyTorch's
    ``view_as``); otherwise a detached copy that requires grad."""
    is_tuple = isinstance(inputs, (tuple, list))
    xs = list(inputs) if is_tuple else [inputs]
    fresh = []
    for k, x in enumerate(xs):
        if not isinstance(x, Tensor):
            raise TypeError(f"functional: input {k} must be a Tensor, got {type(x).__name__}")
        if create_graph and x.requires_grad and grad_mode.is_grad_enabled():
            t = call(P.reshape, x, shape=x.shape)
        else:
            t = x.detach()
            t.requires_grad_(True)
        fresh.append(t)
    return is_tuple, fresh


def _call(f, xs):
    out = f(*xs)
    is_tuple = isinstance(out, (tuple, list))
    outs = list(out) if is_tuple else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"functional: output {k} of f must be a Tensor, "
                            f"got {type(o).__name__}")
    return is_tuple, outs


def _zeros_for(x):
    return Tensor(np.zeros(x.shape, dtype=x.dtype))


def _grads(out, xs, seed, create_graph):
    if not out.requires_grad:
        return [_zeros_for(x) for x in xs]
    got = engine.grad(out, xs, grad_outputs=seed, retain_graph=True,
                      create_graph=create_graph, allow_unused=True)
    return [_zeros_for(x) if g is None else g for x, g in zip(xs, got)]


def _pack(value, is_tuple):
    return tuple(value) if is_tuple else value[0]


def jacobian(func, inputs, create_graph=False, strict=False):
    """The Jacobian of ``func`` at ``inputs``, one backward per output element."""
    in_tuple, xs = _prepare(inputs, create_graph)
    out_tuple, outs = _call(func, xs)
    from .functions import reshape, stack
    result = []
    for out in outs:
        rows = [[] for _ in xs]
        for j in range(out.data.size):
            seed = np.zeros(out.data.size, dtype=out.dtype)
            seed[j] = 1
            for k, g in enumerate(_grads(out, xs, Tensor(seed.reshape(out.shape)),
                                         create_graph)):
                rows[k].append(g)
        per_input = []
        for x, row in zip(xs, rows):
            if row:
                jac = reshape(stack(row), out.shape + x.shape)
            else:
                jac = Tensor(np.zeros(out.shape + x.shape, dtype=x.dtype))
            per_input.append(jac if create_graph else jac.detach())
        result.append(_pack(per_input, in_tuple))
    return _pack(result, out_tuple)


def hessian(func, inputs, create_graph=False, strict=False):
    """Second derivatives of a scalar ``func``: the Jacobian of its gradient."""
    in_tuple, _ = _prepare(inputs, create_graph)

    def gradient(*xs):
        _, outs = _call(func, xs)
        if len(outs) != 1 or outs[0].data.size != 1:
            raise RuntimeError("hessian: func must return a single scalar Tensor")
        grads = _grads(outs[0].reshape(()), list(xs), None, True)
        return tuple(grads) if in_tuple else grads[0]

    return jacobian(gradient, inputs, create_graph=create_graph)


def _as_list(v, n, name):
    vs = list(v) if isinstance(v, (tuple, list)) else [v]
    if len(vs) != n:
        raise ValueError(f"{name}: expected {n} vectors in v, got {len(vs)}")
    return [x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in vs]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), vᵀ J)``."""
    in_tuple, xs = _prepare(inputs, create_graph)
    out_tuple, outs = _call(func, xs)
    vs = [None] * len(outs) if v is None else _as_list(v, len(outs), "vjp")
    total = [None] * len(xs)
    for out, vo in zip(outs, vs):
        for k, g in enumerate(_grads(out, xs, vo, create_graph)):
            total[k] = g if total[k] is None else total[k] + g
    detached = [o if create_graph else o.detach() for o in outs]
    grads = [g if create_graph else g.detach() for g in total]
    return _pack(detached, out_tuple), _pack(grads, in_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by differentiating ``uᵀJ`` with respect to ``u``."""
    in_tuple, xs = _prepare(inputs, create_graph)
    out_tuple, outs = _call(func, xs)
    vs = [Tensor(np.ones(x.shape, x.dtype)) for x in xs] if v is None \
        else _as_list(v, len(xs), "jvp")
    results = []
    for out in outs:
        u = Tensor(np.zeros(out.shape, dtype=out.dtype), requires_grad=True)
        if not out.requires_grad:
            results.append(Tensor(np.zeros(out.shape, out.dtype)))
            continue
        gx = engine.grad(out, xs, grad_outputs=u, retain_graph=True, create_graph=True,
                         allow_unused=True)
        total = None
        for g, vk in zip(gx, vs):
            if g is not None and g.requires_grad:
                term = (g * vk).sum()
                total = term if total is None else total + term
        if total is None:
            results.append(Tensor(np.zeros(out.shape, out.dtype)))
            continue
        (jv,) = engine.grad(total, [u], create_graph=create_graph, allow_unused=True)
        results.append(Tensor(np.zeros(out.shape, out.dtype)) if jv is None else jv)
    detached = [o if create_graph else o.detach() for o in outs]
    results = [r if create_graph else r.detach() for r in results]
    return _pack(detached, out_tuple), _pack(results, out_tuple)


def _second(func, inputs, v, create_graph, name):
    in_tuple, xs = _prepare(inputs, create_graph)
    _, outs = _call(func, xs)
    if len(outs) != 1 or outs[0].data.size != 1:
        raise RuntimeError(f"{name}: func must return a single scalar Tensor")
    out = outs[0]
    vs = _as_list(v, len(xs), name)
    grads = _grads(out.reshape(()), xs, None, True)
    total = None
    for g, vk in zip(grads, vs):
        if g.requires_grad:
            term = (g * vk).sum()
            total = term if total is None else total + term
    if total is None:
        hv = [_zeros_for(x) for x in xs]
    else:
        hv = _grads(total, xs, None, create_graph)
    hv = [h if create_graph else h.detach() for h in hv]
    return (out if create_graph else out.detach()), _pack(hv, in_tuple)


def hvp(func, inputs, v, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for scalar ``func`` (double backward)."""
    return _second(func, inputs, v, create_graph, "hvp")


def vhp(func, inputs, v, create_graph=False, strict=False):
    """``(func(inputs), vᵀ H)``; equals ``hvp`` because the Hessian is symmetric."""
    return _second(func, inputs, v, create_graph, "vhp")
