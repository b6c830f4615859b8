"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
import numpy as np

import autograd as ag

from .flat import flat_group, scatter_
from .optimizer import Optimizer, check_number, update_

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's formulation.

    With learning rate η, momentum μ, dampening τ, weight decay λ and gradient g of the
    loss at θ (``maximize=True`` uses -g), each ``step()`` does::

        g ← g + λ θ
        b ← g                       on the first step (the momentum buffer)
        b ← μ b + (1 − τ) g         afterwards
        g ← g + μ b   (nesterov)    or    g ← b   (plain momentum)      [only if μ ≠ 0]
        θ ← θ − η g

    This is the "velocity" form v ← μ v − η g, θ ← θ + v with the learning rate moved
    out of the buffer, which is why changing η mid-training acts immediately.
    ``foreach`` and ``fused`` are accepted and change nothing (see ``optimizer.py``).

    >>> import numpy as np, autograd as ag, optim
    >>> w = ag.Tensor(np.array([1.0]), requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _validate_group(self, group):
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"], low=-float("inf"))
        check_number("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero "
                             "dampening")

    @ag.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure's loss.

        In place on arrays: the momentum buffer (a Tensor in
        ``state[p]["momentum_buffer"]``) and the parameter (``update_``).
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            wd = group["weight_decay"]
            if mu != 0 and wd == 0 and self._flat_step(group):
                continue
            for p, g in self._params_with_grad(group):
                if wd != 0:
                    g = g + wd * p.data
                if mu != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = self._clone(g)
                    else:
                        b = buf.data
                        b *= mu
                        b += (1 - tau) * g
                    g = g + mu * buf.data if group["nesterov"] else buf.data
                update_(p, g, -lr)
        return loss

    def _flat_step(self, group):
        """The momentum loop above on the group's flat arrays (``flat.py``): the same
        arithmetic, element for element; False if the group must take the loop."""
        params = group["params"]
        first = not any(self.state.get(p) for p in params)
        flat = flat_group(self, group, ("momentum_buffer",), max_mean_size=256)
        if flat is None:
            return False
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        g, buf = flat.grad, flat.buffers["momentum_buffer"]
        if first:
            np.copyto(buf, g)                     # b ← g on the first step
        else:
            buf *= mu
            buf += (1 - tau) * g
        g = g + mu * buf if group["nesterov"] else buf
        np.multiply(g, -lr, out=flat.scratch)
        scatter_(params, flat.scratches)
        return True
