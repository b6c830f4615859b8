"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), PyTorch's formulation, with momentum and centering.

    With learning rate η, smoothing α, eps ε, momentum μ, weight decay λ::

        g ← g + λ θ
        v ← α v + (1 − α) g²                         running mean of squares
        ḡ ← α ḡ + (1 − α) g                          (centered only)
        s ← √(v − ḡ²) + ε   (centered)   or   √v + ε
        b ← μ b + g / s,  θ ← θ − η b                (μ > 0)
        θ ← θ − η g / s                              (μ = 0)

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        for key in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_number("RMSprop", key, group[key])

    @ag.no_grad()
    def step(self, closure=None):
        """One RMSprop update of every parameter that has a gradient.

        In place on arrays; ``square_avg``, ``grad_avg`` (centered) and
        ``momentum_buffer`` are Tensors in ``state[p]``, ``step`` an int.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            mu, wd = group["momentum"], group["weight_decay"]
            for p, g in self._params_with_grad(group):
                state = self._lazy_state(p, square_avg=True, momentum_buffer=mu > 0,
                                         grad_avg=group["centered"])
                state["step"] += 1
                if wd != 0:
                    g = g + wd * p.data
                v = state["square_avg"].data
                v *= alpha
                v += (1 - alpha) * (g * g)
                if group["centered"]:
                    gbar = state["grad_avg"].data
                    gbar += (1 - alpha) * (g - gbar)
                    avg = v - gbar * gbar
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(v)
                avg += eps
                np.divide(g, avg, out=avg)
                if mu > 0:
                    # (created lazily too: a scheduler may switch momentum on later)
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = ag.zeros_like(p)
                    buf = state["momentum_buffer"].data
                    buf *= mu
                    buf += avg
                    update_(p, buf, -lr)
                else:
                    update_(p, avg, -lr)
        return loss
