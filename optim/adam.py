"""Adam and AdamW: adaptive moment estimation with bias correction."""
import autograd as ag

from .optimizer import Optimizer, check_number

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's formulation, with AMSGrad and weight decay.

    With learning rate η, betas (β₁, β₂), eps ε, weight decay λ, step count t and the
    gradient g (``maximize=True`` uses -g)::

        g ← g + λ θ                    (L2 penalty; decoupled: θ ← θ (1 − η λ) instead)
        m ← β₁ m + (1 − β₁) g           first moment
        v ← β₂ v + (1 − β₂) g²          second moment
        v̂max ← max(v̂max, v)             (amsgrad: use v̂max below instead of v)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        name = type(self).__name__
        check_number(name, "lr", group["lr"])
        check_number(name, "eps", group["eps"])
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_number(name, "beta parameter at index 0", betas[0], 0.0, 1.0)
        check_number(name, "beta parameter at index 1", betas[1], 0.0, 1.0)
        check_number(name, "weight_decay", group["weight_decay"])

    @ag.no_grad()
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient.

        Tensor ops under ``no_grad`` (about 10 per parameter); the moments are Tensors
        in ``state[p]`` (``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``), ``step`` an int.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, exp_avg=True, exp_avg_sq=True,
                                         max_exp_avg_sq=group["amsgrad"])
                state["step"] += 1
                t = state["step"]
                theta = p
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        theta = theta * (1 - lr * wd)
                    else:
                        g = g + wd * theta
                m = state["exp_avg"]
                m = m + (1 - beta1) * (g - m)
                v = state["exp_avg_sq"] * beta2 + (1 - beta2) * (g * g)
                state["exp_avg"], state["exp_avg_sq"] = m, v
                if group["amsgrad"]:
                    v = ag.maximum(state["max_exp_avg_sq"], v)
                    state["max_exp_avg_sq"] = v
                step_size = lr / (1 - beta1 ** t)
                denom = ag.sqrt(v) / (1 - beta2 ** t) ** 0.5 + eps
                self._write(p, theta - step_size * (m / denom))
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), default λ = 1e-2::

        θ ← θ (1 − η λ)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)      (m, v as in Adam, no λθ in g)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
