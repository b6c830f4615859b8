"""Loss primitives: nll, the negative log-likelihood of one picked class per row.

For log-probabilities ``logp`` (M, C), class indices ``target`` (M,), per-row weights
``w`` (M,) (all ones when None) and a divisor ``total``::

    nll = -Σ_i w_i logp[i, t_i] / total          (total given: 'mean', or 1 for 'sum')
    nll_i = -w_i logp[i, t_i]                    (total None: one loss per row)

    d nll/d logp[i, c] = -w_i / total · [c = t_i]       (times the upstream gradient)

A primitive, not getitem + mul + sum + div, for speed: the negative log-likelihood ends
most classifiers' graphs (cross-entropy), and as one node instead of three to five it
takes ~15 µs off a 784-256-256-10 MLP training step; PyTorch's ``nll_loss`` is one
kernel too. Targets and weights are constants (PyTorch cannot differentiate weights
either); checking targets and ignoring rows is ``nn.functional``'s job.
"""
import numpy as np

from .index import index_add
from .registry import defprimitive
from .spec import Case

_TARGET = np.array([2, 0, 2, 1])      # the cases: a repeated class, gradients add up
_WEIGHT = np.array([0.5, 2.0, 0.0, 1.5])      # a zero weight: an ignored row

__all__ = ["nll"]


def _nll_forward(logp, target, weight=None, total=None):
    picked = logp[np.arange(len(target)), target]          # logp[i, t_i], (M,)
    if weight is not None:
        picked = picked * weight
    if total is None:
        return -picked
    return np.sum(picked) / -total         # x / -n is -(x / n) exactly


def _nll_vjp(g, out, logp, target, weight=None, total=None):
    # (M,) per-row gradients, or one 0-d value for all rows of an unweighted mean/sum:
    # index_add broadcasts it, and the engine sums index_add's own gradient back to 0-d.
    rows = -g if total is None else g / -total
    if weight is not None:
        rows = rows * weight
    return index_add(rows, shape=tuple(logp.shape), index=(np.arange(len(target)), target))


nll = defprimitive(
    "nll", _nll_forward,
    vjps=(_nll_vjp,),
    rules=("d nll/d logp[i, c] = -w_i / total at c = t_i, 0 elsewhere",),
    cases=[Case(lambda logp: nll(logp, target=_TARGET, total=np.float64(4.0)), (4, 3),
                label="mean"),
           Case(lambda logp: nll(logp, target=_TARGET, weight=_WEIGHT, total=_WEIGHT.sum()),
                (4, 3), label="weighted mean"),
           Case(lambda logp: nll(logp, target=_TARGET, total=1.0), (4, 3), label="sum"),
           Case(lambda logp: nll(logp, target=_TARGET, weight=_WEIGHT) * np.arange(1.0, 5.0),
                (4, 3), label="one loss per row")])
