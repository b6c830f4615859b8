"""Finite-difference checks of first and second derivatives (float64).

``gradcheck(fn, inputs)`` compares the gradient of ``s = Σ r·fn(inputs)`` (``r`` fixed
random weights) from backprop with central differences ``(s(x+εe) - s(x-εe)) / 2ε``,
element by element, and raises ``GradcheckError`` naming the input and the worst
element when ``|analytic - numeric| > atol + rtol·|numeric|``. ``gradgradcheck`` runs
the same check on ``x -> Σ v·∂s/∂x``, built with ``create_graph=True``.
"""
import numpy as np

from . import engine
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient disagrees with finite differences."""


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _checked_inputs(inputs, name):
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError(f"{name}: no input requires grad; nothing to check")
    for t in diff:
        if t.dtype != np.float64:
            raise ValueError(f"{name}: inputs must be float64 for a meaningful check, got "
                             f"{t.dtype} (shape {t.shape}); use .astype(np.float64)")
    return inputs, diff


def _weighted_sum(outputs, weights):
    total = None
    for out, w in zip(outputs, weights):
        if not isinstance(out, Tensor) or out.dtype.kind != "f":
            continue
        term = (out * w).sum()
        total = term if total is None else total + term
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """True if backprop matches central differences for every input element."""
    inputs, diff = _checked_inputs(inputs, "gradcheck")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn(*inputs))
    weights = [rng.standard_normal(np.shape(o)) for o in outs]

    def scalar(*xs):
        return _weighted_sum(_outputs(fn(*xs)), weights)

    s = scalar(*inputs)
    if s is not None and s.requires_grad:
        analytic = engine.grad(s, diff, allow_unused=True)
    else:
        analytic = [None] * len(diff)
    for k, (t, a) in enumerate(zip(diff, analytic)):
        a = np.zeros(t.shape) if a is None else a.data
        numeric = np.zeros(t.shape)
        if not t.data.flags.c_contiguous:
            t.data = t.data.copy()
        flat = t.data.reshape(-1)
        # Evaluated with grad mode on: fn may itself differentiate (gradgradcheck).
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = scalar(*inputs)
            flat[j] = orig - eps
            minus = scalar(*inputs)
            flat[j] = orig
            plus = 0.0 if plus is None else float(plus.data)
            minus = 0.0 if minus is None else float(minus.data)
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and (np.nanmax(err) > 0 or np.isnan(err).any()):
            worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))),
                                     t.shape)
            position = next((p for p, x in enumerate(inputs) if x is t), k)
            raise GradcheckError(
                f"gradcheck: input {position} (shape {t.shape}) disagrees at element "
                f"{tuple(int(i) for i in worst)}: backprop {a[worst]!r} vs finite "
                f"differences {numeric[worst]!r} (atol={atol}, rtol={rtol})")
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """True if second derivatives (through ``create_graph=True``) match finite differences."""
    inputs, diff = _checked_inputs(inputs, "gradgradcheck")
    rng = np.random.default_rng(seed + 1)
    outs = _outputs(fn(*inputs))
    weights = [rng.standard_normal(np.shape(o)) for o in outs]
    vs = [rng.standard_normal(t.shape) for t in diff]

    def first_derivative(*xs):
        s = _weighted_sum(_outputs(fn(*xs)), weights)
        if s is None or not s.requires_grad:
            return None
        wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = engine.grad(s, wrt, create_graph=True, allow_unused=True)
        return _weighted_sum(list(grads), vs)

    return gradcheck(first_derivative, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed)
