"""Adam's relatives: Adamax (infinity norm), NAdam (Nesterov momentum) and RAdam
(rectified variance), PyTorch's formulations."""
import math

import numpy as np

import autograd as ag

from .adam import moments_, validate_adam_group, weight_decay
from .optimizer import Optimizer, check_number, update_

__all__ = ["Adamax", "NAdam", "RAdam"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7): Adam with the infinity norm for the second
    moment. With learning rate η, betas (β₁, β₂), eps ε, weight decay λ, step t::

        g ← g + λ θ
        m ← β₁ m + (1 − β₁) g
        u ← max(β₂ u, |g| + ε)
        θ ← θ − η / (1 − β₁ᵗ) · m / u

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.Adamax([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        validate_adam_group("Adamax", group)

    @ag.no_grad()
    def step(self, closure=None):
        """One Adamax update of every parameter that has a gradient (``exp_avg``,
        ``exp_inf`` are Tensors in ``state[p]``)."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, exp_avg=True, exp_inf=True)
                state["step"] += 1
                g, _ = weight_decay(group, p, g)
                m = state["exp_avg"].data
                m += (1 - beta1) * (g - m)
                u = state["exp_inf"].data
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                update_(p, m / u, -lr / (1 - beta1 ** state["step"]))
        return loss


class NAdam(Optimizer):
    r"""NAdam (Dozat): Adam with Nesterov momentum and a momentum schedule.

    With μ_t = β₁ (1 − ½ · 0.96^(t ψ)) (ψ the ``momentum_decay``), Π_t = μ_1 ⋯ μ_t and
    m, v Adam's moments (weight decay as in Adam, or decoupled: θ ← θ (1 − η λ))::

        d ← √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − η (1 − μ_t)/(1 − Π_t) · g/d − η μ_{t+1}/(1 − Π_t μ_{t+1}) · m/d

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.NAdam([w], lr=0.1, decoupled_weight_decay=True, weight_decay=0.01)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        validate_adam_group("NAdam", group)
        check_number("NAdam", "momentum_decay", group["momentum_decay"])

    @ag.no_grad()
    def step(self, closure=None):
        """One NAdam update (``mu_product`` Π_t is a number in ``state[p]``)."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            for p, g in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state.update(step=0, mu_product=1.0, exp_avg=ag.zeros_like(p),
                                 exp_avg_sq=ag.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                g, decay = weight_decay(group, p, g)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] *= mu
                prod = state["mu_product"]
                m, v = moments_(state, g, beta1, beta2)
                denom = np.sqrt(v / (1 - beta2 ** t))
                denom += eps
                delta = g * ((1.0 - mu) / (1.0 - prod))
                delta += m * (mu_next / (1.0 - prod * mu_next))
                np.divide(delta, denom, out=delta)
                update_(p, delta, -lr, decay=decay)
        return loss


class RAdam(Optimizer):
    r"""RAdam (Liu et al.): Adam whose adaptive step is switched on only once the
    variance of v̂ is tractable. With ρ_∞ = 2/(1 − β₂) − 1 and
    ρ_t = ρ_∞ − 2 t β₂ᵗ / (1 − β₂ᵗ), m̂ = m / (1 − β₁ᵗ)::

        θ ← θ − η m̂ r_t √(1 − β₂ᵗ) / (√v + ε)     if ρ_t > 5,
            r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
        θ ← θ − η m̂                               otherwise (SGD with momentum)

    Weight decay as in Adam, or decoupled (θ ← θ (1 − η λ)).

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.RAdam([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        validate_adam_group("RAdam", group)

    @ag.no_grad()
    def step(self, closure=None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, exp_avg=True, exp_avg_sq=True)
                state["step"] += 1
                t = state["step"]
                g, decay = weight_decay(group, p, g)
                m, v = moments_(state, g, beta1, beta2)
                correction2 = 1 - beta2 ** t
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * beta2 ** t / correction2
                step = m / (1 - beta1 ** t)
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    denom = np.sqrt(v)
                    denom += eps
                    step *= correction2 ** 0.5 * rect
                    np.divide(step, denom, out=step)
                update_(p, step, -lr, decay=decay)
        return loss
