"""Adadelta: step sizes from running averages of squared gradients and squared steps."""
import numpy as np

import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler), PyTorch's formulation. With learning rate η (a plain scale,
    1 by default), decay ρ, eps ε and weight decay λ::

        g ← g + λ θ
        v ← ρ v + (1 − ρ) g²
        Δ ← √(u + ε) / √(v + ε) · g
        u ← ρ u + (1 − ρ) Δ²
        θ ← θ − η Δ

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.Adadelta([w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, capturable=capturable, foreach=foreach,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        check_number("Adadelta", "lr", group["lr"])
        check_number("Adadelta", "rho", group["rho"], 0.0, 1.0, high_open=False)
        check_number("Adadelta", "eps", group["eps"])
        check_number("Adadelta", "weight_decay", group["weight_decay"])

    @ag.no_grad()
    def step(self, closure=None):
        """One Adadelta update (``square_avg`` v and ``acc_delta`` u in ``state[p]``)."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, square_avg=True, acc_delta=True)
                state["step"] += 1
                if wd != 0:
                    g = g + wd * p.data
                v = state["square_avg"].data
                v *= rho
                v += (1 - rho) * (g * g)
                u = state["acc_delta"].data
                delta = np.sqrt(u + eps)
                delta /= np.sqrt(v + eps)
                delta *= g
                u *= rho
                u += (1 - rho) * (delta * delta)
                update_(p, delta, -lr)
        return loss
