"""ASGD: stochastic gradient descent with a decaying step and Polyak averaging."""
import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky), PyTorch's formulation. With learning rate η,
    decay term λ (``lambd``), power α, averaging start t₀, weight decay w, and per
    parameter a step size η_t (η_0 = η), averaging weight μ_t (μ_0 = 1) and average
    ``ax``::

        g ← g + w θ
        θ ← θ (1 − λ η_t) − η_t g
        ax ← ax + μ_t (θ − ax)            (ax ← θ while μ_t = 1)
        η_{t+1} = η / (1 + λ η t)^α,      μ_{t+1} = 1 / max(1, t − t₀)

    ``state[p]["ax"]`` holds the averaged parameters (load them for evaluation).

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.ASGD([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        for key in ("lr", "weight_decay"):
            check_number("ASGD", key, group[key])

    @ag.no_grad()
    def step(self, closure=None):
        """One ASGD update (``eta``, ``mu`` numbers and ``ax`` a Tensor in ``state[p]``)."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            wd = group["weight_decay"]
            for p, g in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state.update(step=0, eta=float(lr), mu=1.0, ax=ag.zeros_like(p))
                state["step"] += 1
                if wd != 0:
                    g = g + wd * p.data
                eta = state["eta"]
                update_(p, g, -eta, decay=1 - lambd * eta)
                ax = state["ax"].data
                if state["mu"] != 1:
                    ax += state["mu"] * (p.data - ax)
                else:
                    ax[...] = p.data
                t = state["step"]
                state["eta"] = lr / ((1 + lambd * lr * t) ** alpha)
                state["mu"] = 1 / max(1, t - t0)
        return loss
