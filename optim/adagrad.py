"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""
import numpy as np

import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), PyTorch's formulation.

    With learning rate η, learning-rate decay δ, weight decay λ, eps ε, step count t and
    the accumulator G (starting at ``initial_accumulator_value``)::

        g ← g + λ θ
        η_t ← η / (1 + (t − 1) δ)
        G ← G + g²
        θ ← θ − η_t g / (√G + ε)

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.Adagrad([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", key, group[key])

    def add_param_group(self, param_group):
        """As in PyTorch, the accumulator exists from the start (so state_dict has it)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            state = self.state[p]
            state["step"] = 0
            state["sum"] = ag.full_like(p, group["initial_accumulator_value"])

    @ag.no_grad()
    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient.

        In place on arrays; the accumulator is a Tensor in ``state[p]["sum"]``.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, decay, wd, eps = (group["lr"], group["lr_decay"], group["weight_decay"],
                                  group["eps"])
            for p, g in self._params_with_grad(group):
                state = self.state[p]
                state["step"] += 1
                if wd != 0:
                    g = g + wd * p.data
                clr = lr / (1 + (state["step"] - 1) * decay)
                total = state["sum"].data
                total += g * g
                std = np.sqrt(total)
                std += eps
                np.divide(g, std, out=std)
                update_(p, std, -clr)
        return loss
