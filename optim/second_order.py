"""Full-batch second-order methods driven by a closure: Newton, Gauss-Newton, LM.

All three flatten the parameters into one vector θ ∈ ℝⁿ (in ``param_groups`` order)
and get their derivatives from the engine, never from finite differences:

* ``Newton``: the closure returns the scalar loss L. The gradient g = ∇L comes from
  ``autograd.grad(L, params, create_graph=True)``; row i of the Hessian H is the
  gradient of gᵢ (double backprop, one backward per row).
* ``GaussNewton`` / ``LevenbergMarquardt``: the closure returns the residual vector
  F(θ) ∈ ℝᵐ and the loss is L = ½‖F‖². Row i of the Jacobian J is the gradient of Fᵢ
  (one backward per residual); ∇L = JᵀF and H ≈ JᵀJ.

None of the closures calls ``backward``; ``step`` evaluates them itself (with graph
recording on) and returns the loss at the parameters it started from.

Where NumPy is used, and why: the n×n matrix H (or the m×n Jacobian J) is assembled
row by row from the engine's gradients into a NumPy array, because the step is a
dense linear solve, ``numpy.linalg.solve`` / ``lstsq``, which the engine has no op for
(and needs none: nothing is differentiated through the solve). The solution δ is then
split per parameter and the update θ ← θ − lr·δ, like restoring θ after a rejected
LM trial, is written with tensor ops under ``no_grad`` (``Optimizer._write``).
"""
import numpy as np

import autograd as ag
from autograd import Tensor

from .optimizer import Optimizer, check_number

__all__ = ["Newton", "GaussNewton", "LevenbergMarquardt"]


class _FullBatch(Optimizer):
    """Shared flat-vector plumbing for the closure-driven methods (one parameter group:
    the step couples all parameters through H or JᵀJ, so per-group options make no sense)."""

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError(f"{type(self).__name__} doesn't support per-parameter options "
                             "(parameter groups); pass one list of tensors")
        super().add_param_group(param_group)

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def _first_state(self):
        return self.state[self.param_groups[0]["params"][0]]

    def _split(self, vec):
        """The flat NumPy vector ``vec`` (e.g. a solver's δ) as one Tensor per parameter,
        shaped like it."""
        parts, offset = [], 0
        for p in self._params():
            n = p.data.size
            parts.append(Tensor(vec[offset:offset + n].reshape(p.shape)))
            offset += n
        return parts

    @ag.no_grad()
    def _update(self, start, delta, lr=1.0):
        """θ ← θ₀ − lr·δ for every parameter (θ₀ = ``start``, a list of Tensors, or the
        current values when None); ``delta`` is flat (None: restore θ₀)."""
        params = self._params()
        start = params if start is None else start
        if delta is None:
            for p, p0 in zip(params, start):
                self._write(p, p0)
            return
        for p, p0, dk in zip(params, start, self._split(delta)):
            self._write(p, p0 - lr * dk)

    def _rows(self, out, params):
        """The Jacobian of the tensor ``out`` w.r.t. ``params``: one backward per element
        of ``out`` (row k = ∂out_k/∂θ), as an (out.size, n) array."""
        n = sum(p.data.size for p in params)
        rows = np.zeros((out.data.size, n), dtype=out.dtype)
        if not isinstance(out, Tensor) or not out.requires_grad:
            return rows            # out does not depend on the parameters
        for k in range(out.data.size):
            seed = np.zeros(out.data.size, dtype=out.dtype)
            seed[k] = 1
            grads = ag.grad(out, params, grad_outputs=seed.reshape(out.shape),
                            retain_graph=True, allow_unused=True)
            rows[k] = np.concatenate([np.zeros(p.data.size, p.dtype) if g is None
                                      else np.asarray(g.data).reshape(-1)
                                      for p, g in zip(params, grads)])
        return rows

    def _need_closure(self, closure, returns):
        if closure is None:
            raise RuntimeError(f"{type(self).__name__}.step needs a closure that returns "
                               f"{returns} and does not call backward()")


def _check_scalar(loss, owner):
    if not isinstance(loss, Tensor) or loss.data.size != 1:
        shape = getattr(loss, "shape", type(loss).__name__)
        raise ValueError(f"{owner}: the closure must return the scalar loss as a Tensor, "
                         f"got {shape}")


def _check_residuals(res, owner):
    if not isinstance(res, Tensor):
        raise ValueError(f"{owner}: the closure must return the residual vector F as a "
                         f"Tensor (loss = ½‖F‖²), got {type(res).__name__}")


def _solve(A, b):
    """x with A x = b; least squares (minimum norm) when A is singular."""
    try:
        x = np.linalg.solve(A, b)
        if np.all(np.isfinite(x)):
            return x
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(A, b, rcond=None)[0]


class Newton(_FullBatch):
    r"""Newton's method with optional Tikhonov damping.

    From the second-order Taylor model L(θ + δ) ≈ L + gᵀδ + ½ δᵀHδ::

        (H + d·I) δ = g,        θ ← θ − lr · δ

    with g, H the exact gradient and Hessian (double backprop). A quadratic with
    positive-definite H is solved in one step (lr = 1, d = 0). Singular systems fall
    back to the least-squares solution. The closure returns the loss and must not
    call ``backward``.

    >>> import numpy as np, autograd as ag, optim
    >>> x = ag.Tensor(np.array([3.0, -1.0]), requires_grad=True)
    >>> opt = optim.Newton([x])
    >>> _ = opt.step(lambda: ((x - 1.0) ** 2).sum())
    >>> x.data
    array([1., 1.])
    """

    def __init__(self, params, damping=0, lr=1):
        super().__init__(params, dict(lr=lr, damping=damping))

    def _validate_group(self, group):
        check_number("Newton", "lr", group["lr"])
        check_number("Newton", "damping", group["damping"])

    def step(self, closure=None):
        """One Newton step; returns the loss before it."""
        self._need_closure(closure, "the scalar loss")
        params = self._params()
        with ag.enable_grad():
            loss = closure()
            _check_scalar(loss, "Newton")
            loss = loss.reshape(())
            grads = ag.grad(loss, params, create_graph=True, allow_unused=True)
            flat = [ag.zeros((p.data.size,), dtype=p.dtype) if g is None else g.reshape(-1)
                    for p, g in zip(params, grads)]
            g_vec = ag.concatenate(flat) if len(flat) > 1 else flat[0]
            hessian = self._rows(g_vec, params)
        g = np.asarray(g_vec.data, dtype=np.float64)
        hessian = 0.5 * (hessian + hessian.T)         # symmetric up to rounding
        group = self.param_groups[0]
        damping, lr = group["damping"], group["lr"]
        delta = _solve(hessian + damping * np.eye(g.size), g)
        self._update(None, delta, lr)
        state = self._first_state()
        state["step"] = state.get("step", 0) + 1
        state["grad_norm"] = float(np.linalg.norm(g))
        return loss.detach()


class GaussNewton(_FullBatch):
    r"""Gauss-Newton for least squares L = ½‖F(θ)‖², F the closure's residual vector.

    Linearising F(θ − δ) ≈ F − Jδ and minimising ‖F − Jδ‖² gives the normal equations::

        (JᵀJ) δ = JᵀF,        θ ← θ − lr · δ

    solved as the least-squares problem J δ ≈ F (``numpy.linalg.lstsq``: stable, and
    the minimum-norm δ when J is rank deficient). JᵀJ approximates the Hessian
    ∇²L = JᵀJ + Σ Fᵢ∇²Fᵢ, exact when the residuals vanish, which gives quadratic
    convergence on zero-residual problems.
    """

    def __init__(self, params, lr=1):
        super().__init__(params, dict(lr=lr))

    def _validate_group(self, group):
        check_number("GaussNewton", "lr", group["lr"])

    def step(self, closure=None):
        """One Gauss-Newton step; returns ½‖F‖² before it."""
        self._need_closure(closure, "the residual vector F")
        params = self._params()
        with ag.enable_grad():
            res = closure()
            _check_residuals(res, "GaussNewton")
            J = self._rows(res, params)
        F = np.asarray(res.data, dtype=np.float64).reshape(-1)
        delta = np.linalg.lstsq(J, F, rcond=None)[0]
        self._update(None, delta, self.param_groups[0]["lr"])
        state = self._first_state()
        state["step"] = state.get("step", 0) + 1
        return Tensor(np.asarray(0.5 * F.dot(F), dtype=res.dtype))


class LevenbergMarquardt(_FullBatch):
    r"""Levenberg-Marquardt: damped Gauss-Newton with an adaptive damping λ.

    With residuals F, Jacobian J and loss L = ½‖F‖², each trial solves::

        (JᵀJ + λ D) δ = JᵀF,      D = diag(JᵀJ)  (method="marquardt", default)
                                  D = I          (method="levenberg")

    and tries θ − δ. If the loss decreases the step is accepted and λ ← λ / lambda_down
    (towards Gauss-Newton); otherwise the step is rejected, θ is restored and
    λ ← λ · lambda_up (towards short gradient steps), up to ``max_tries`` trials per
    ``step()``. λ lives in ``state`` and carries over between steps; ``lambda_`` is
    its starting value. A step never increases the loss.
    """

    def __init__(self, params, lambda_=1e-3, method="marquardt", lambda_up=10.0,
                 lambda_down=10.0, max_tries=20, lambda_min=1e-12, lambda_max=1e12):
        defaults = dict(lambda_=lambda_, method=method, lambda_up=lambda_up,
                        lambda_down=lambda_down, max_tries=max_tries,
                        lambda_min=lambda_min, lambda_max=lambda_max)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        name = "LevenbergMarquardt"
        check_number(name, "lambda_", group["lambda_"])
        check_number(name, "lambda_up", group["lambda_up"], low=1.0, low_open=True)
        check_number(name, "lambda_down", group["lambda_down"], low=1.0, low_open=True)
        check_number(name, "max_tries", group["max_tries"], low=1)
        if group["method"] not in ("marquardt", "levenberg"):
            raise ValueError(f"{name}: method must be 'marquardt' (D = diag(JᵀJ)) or "
                             f"'levenberg' (D = I), got {group['method']!r}")

    def _loss_at(self, closure):
        with ag.no_grad():
            res = closure()
        F = np.asarray(res.data, dtype=np.float64).reshape(-1)
        return 0.5 * F.dot(F)

    def step(self, closure=None):
        """Try damped steps until the loss decreases; returns ½‖F‖² before the step."""
        self._need_closure(closure, "the residual vector F")
        group = self.param_groups[0]
        state = self._first_state()
        lam = state.get("lambda", float(group["lambda_"]))
        params = self._params()
        with ag.enable_grad():
            res = closure()
            _check_residuals(res, "LevenbergMarquardt")
            J = self._rows(res, params)
        F = np.asarray(res.data, dtype=np.float64).reshape(-1)
        loss = 0.5 * F.dot(F)
        JtJ, JtF = J.T @ J, J.T @ F
        if group["method"] == "marquardt":
            D = np.diag(np.maximum(np.diag(JtJ), 1e-12 * max(np.diag(JtJ).max(), 1.0)))
        else:
            D = np.eye(JtJ.shape[0])
        theta = [self._clone(p) for p in params]
        accepted = False
        for _ in range(int(group["max_tries"])):
            delta = _solve(JtJ + lam * D, JtF)
            self._update(theta, delta)
            new_loss = self._loss_at(closure)
            if np.isfinite(new_loss) and new_loss < loss:
                accepted = True
                lam = max(lam / group["lambda_down"], group["lambda_min"])
                break
            lam = min(lam * group["lambda_up"], group["lambda_max"])
        if not accepted:
            self._update(theta, None)
        state["lambda"] = lam
        state["step"] = state.get("step", 0) + 1
        state["accepted"] = accepted
        return Tensor(np.asarray(loss, dtype=res.dtype))
