"""Adam and AdamW: adaptive moment estimation with bias correction."""
import numpy as np

import autograd as ag

from .flat import flat_group, scatter_
from .optimizer import Optimizer, check_number, update_

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
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        validate_adam_group(type(self).__name__, group)

    @ag.no_grad()
    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient.

        In place on arrays; the moments are Tensors in ``state[p]`` (``exp_avg``,
        ``exp_avg_sq``, ``max_exp_avg_sq``), ``step`` an int.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            beta1, beta2 = group["betas"]
            if self._flat_step(group):
                continue
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, exp_avg=True, exp_avg_sq=True,
                                         max_exp_avg_sq=group["amsgrad"])
                state["step"] += 1
                t = state["step"]
                g, decay = weight_decay(group, p, g)
                m, v = moments_(state, g, beta1, beta2)
                if group["amsgrad"]:
                    v = state["max_exp_avg_sq"].data
                    np.maximum(v, state["exp_avg_sq"].data, out=v)
                denom = np.asarray(np.sqrt(v))    # an array also for a 0-d parameter
                denom /= (1 - beta2 ** t) ** 0.5
                denom += eps
                np.divide(m, denom, out=denom)
                update_(p, denom, -lr / (1 - beta1 ** t), decay=decay)
        return loss

    def _flat_step(self, group):
        """The loop above on the group's flat arrays (``flat.py``): the same arithmetic,
        element for element; False if the group must take the loop."""
        names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        decoupled = group.get("decoupled_weight_decay")
        if group["weight_decay"] != 0 and not decoupled:
            return False                                # g + λθ needs θ flat as well
        flat = flat_group(self, group, names, max_mean_size=4096, first={"step": 0})
        if flat is None:
            return False
        params, lr, eps = group["params"], group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        for p in params:
            self.state[p]["step"] += 1
        t = self.state[params[0]]["step"]
        m, v = flat.buffers["exp_avg"], flat.buffers["exp_avg_sq"]
        g = flat.grad
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * (g * g)
        if group["amsgrad"]:
            v = flat.buffers["max_exp_avg_sq"]
            np.maximum(v, flat.buffers["exp_avg_sq"], out=v)
        denom = np.sqrt(v, out=flat.scratch)
        denom /= (1 - beta2 ** t) ** 0.5
        denom += eps
        np.divide(m, denom, out=denom)
        alpha = -lr / (1 - beta1 ** t)
        if alpha != 1:
            np.multiply(denom, alpha, out=denom)
        decay = 1 - lr * group["weight_decay"] if decoupled and group["weight_decay"] else None
        scatter_(params, flat.scratches, decay=decay)
        return True


def validate_adam_group(name, group):
    """lr, eps, weight_decay >= 0 and betas a pair in [0, 1): the checks the Adam family
    shares."""
    check_number(name, "lr", group["lr"])
    check_number(name, "eps", group["eps"])
    betas = group["betas"]
    if len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    check_number(name, "beta parameter at index 0", betas[0], 0.0, 1.0)
    check_number(name, "beta parameter at index 1", betas[1], 0.0, 1.0)
    check_number(name, "weight_decay", group["weight_decay"])


def weight_decay(group, p, g):
    """(g, decay) for ``update_``: the L2 penalty g + λθ, or, with
    ``decoupled_weight_decay``, g unchanged and θ scaled by 1 − ηλ (decay None: none)."""
    wd = group["weight_decay"]
    if wd == 0:
        return g, None
    if group.get("decoupled_weight_decay"):
        return g, 1 - group["lr"] * wd
    return g + wd * p.data, None


def moments_(state, g, beta1, beta2):
    """Adam's moments in place: m ← β₁ m + (1 − β₁) g and v ← β₂ v + (1 − β₂) g²
    (``state["exp_avg"]``, ``state["exp_avg_sq"]``); returns their arrays."""
    m = state["exp_avg"].data
    m += (1 - beta1) * (g - m)
    v = state["exp_avg_sq"].data
    v *= beta2
    v += (1 - beta2) * (g * g)
    return m, v


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), default λ = 1e-2::

        θ ← θ (1 − η λ)
        θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)      (m, v as in Adam, no λθ in g)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
