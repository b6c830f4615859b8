"""Rprop: per-coordinate step sizes driven by the sign of the gradient only."""
import numpy as np

import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun), PyTorch's formulation (iRprop−).

    Each coordinate keeps a step size s (starting at the learning rate) and its
    previous gradient g⁻. With etas (η⁻, η⁺) and step_sizes (s_min, s_max)::

        s ← clip(s · η⁺, s_min, s_max)   where g g⁻ > 0
        s ← clip(s · η⁻, s_min, s_max)   where g g⁻ < 0, and g ← 0 there
        θ ← θ − sign(g) s,     g⁻ ← g

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> opt = optim.Rprop([w], lr=0.1)
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        check_number("Rprop", "lr", group["lr"])
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Rprop: invalid eta values: {etaminus}, {etaplus} (need "
                             "0 < etaminus < 1 < etaplus)")

    @ag.no_grad()
    def step(self, closure=None):
        """One Rprop update (``prev`` and ``step_size`` are Tensors in ``state[p]``)."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            smin, smax = group["step_sizes"]
            for p, g in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state.update(step=0, prev=ag.zeros_like(p),
                                 step_size=ag.full_like(p, group["lr"]))
                state["step"] += 1
                prev, size = state["prev"].data, state["step_size"].data
                sign = np.sign(g * prev)
                factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0))
                size *= factor
                np.clip(size, smin, smax, out=size)
                g = np.where(sign < 0, 0, g)
                update_(p, np.sign(g) * size, -1.0)
                prev[...] = g
        return loss
