"""Schedulers that multiply the rate by a factor: ``ConstantLR``, ``MultiplicativeLR``,
``PolynomialLR`` (PyTorch's names, arguments and sequences; re-exported by
``optim.lr_scheduler``).

>>> import numpy as np, autograd as ag, optim
>>> opt = optim.SGD([ag.Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
>>> sched = optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
>>> for _ in range(2):
...     opt.step(); sched.step()
>>> sched.get_last_lr()
[0.25]
"""
from .schedulers_base import LambdaLR, LRScheduler, _lrs

__all__ = ["ConstantLR", "MultiplicativeLR", "PolynomialLR"]


class ConstantLR(LRScheduler):
    """η_e = η₀ · factor for e < ``total_iters``, then η₀ (a warm-up at a fixed rate)."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: the factor must be between 0 and 1, got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _lrs(self.optimizer)]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [lr * (1.0 / self.factor) for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        reached = self.last_epoch >= self.total_iters
        return [b * (self.factor + reached * (1 - self.factor)) for b in self.base_lrs]


class MultiplicativeLR(LambdaLR):
    """η_e = η_{e−1} · f(e) for a user function f (one per group, or one shared)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        for fn in (lr_lambda if isinstance(lr_lambda, (list, tuple)) else [lr_lambda]):
            if not callable(fn):
                raise TypeError(f"MultiplicativeLR: lr_lambda should be a function, but got "
                                f"{type(fn).__name__}")
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return _lrs(self.optimizer)
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, _lrs(self.optimizer))]


class PolynomialLR(LRScheduler):
    """η_e = η₀ (1 − min(e, T)/T)^power over ``total_iters`` T epochs, then 0."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, T = self.last_epoch, self.total_iters
        if self._is_initial or e > T:
            return _lrs(self.optimizer)
        factor = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power
        return [lr * factor for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        return [b * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for b in self.base_lrs]
