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

from .elementwise import log, sigmoid, where
from .index import index_add
from .registry import defprimitive
from .spec import Case

_TARGET = np.array([2, 0, 2, 1])      # the cases: a repeated class, gradients add up
_WEIGHT = np.array([0.5, 2.0, 0.0, 1.5])      # a zero weight: an ignored row
_CASE_Y = np.array([0.0, 1.0, 0.3])           # hard and soft targets for bce


def _case_prob(x):
    """Probabilities in (0.05, 0.95) from any real input (bce's cases)."""
    return 0.05 + 0.9 * sigmoid(x)

__all__ = ["nll", "bce", "bce_grad"]


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


# Binary cross-entropy on probabilities ``p`` and targets ``y``, elementwise, PyTorch's
# formulas exactly (weights and the reduction are applied by nn.functional):
#
#     bce = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
#     d bce/dp = (p - y) / max(p (1 - p), 1e-12)      (bce_grad: finite at p = 0 and 1,
#                                                      so a confidently wrong p learns)
#     d bce/dy = log(1 - p) - log(p)                   (-logit(p), unclamped)
#
# The log clamp is for the forward only: the derivative of the clamped forward would be
# 0 at p = 0 and 1. bce_grad is a primitive of its own so that its derivative is
# PyTorch's double backward (eps-shifted, finite at 0 and 1).
_BCE_EPS = float(np.float32(1e-12))     # PyTorch's is a C float: 9.99999996e-13
_BCE_EPS2 = 1e-12                       # and its double backward's a double


def _bce_forward(p, y):
    with np.errstate(divide="ignore"):          # log(0) is clamped to -100
        return -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log1p(-p), -100.0))


def _bce_vjp_y(g, out, p, y):
    with np.errstate(divide="ignore"):      # ±inf at p = 0 or 1, PyTorch's answer
        return g * (log(1 - p) - log(p))


bce = defprimitive(
    "bce", _bce_forward,
    vjps=(lambda g, out, p, y: bce_grad(g, p, y), _bce_vjp_y),
    rules=("d bce/dp = (p - y) / max(p(1-p), 1e-12)", "d bce/dy = log(1-p) - log(p)"),
    cases=[Case(lambda x: bce(_case_prob(x), _CASE_Y), (3,), label="hard and soft targets"),
           Case(lambda x, y: bce(_case_prob(x), _case_prob(y)), (2, 3), (2, 3),
                label="target requires grad")])


def _bce_grad_forward(g, p, y):
    d = p * (1 - p)
    return g * (p - y) / np.maximum(d, _BCE_EPS)


def _bce_grad_vjp_p(gg, out, g, p, y):
    # PyTorch's binary_cross_entropy_double_backward: (p² - 2py + y) / ((p+ε)²(1-p+ε)²)
    num = p * p - 2 * p * y + y
    den = (p + _BCE_EPS2) * (1 - p + _BCE_EPS2)
    return gg * g * num / (den * den)


def _bce_grad_vjp_y(gg, out, g, p, y):
    d = p * (1 - p)
    return -gg * g / where(d > _BCE_EPS2, d, _BCE_EPS2)


bce_grad = defprimitive(
    "bce_grad", _bce_grad_forward,
    vjps=(lambda gg, out, g, p, y: bce_grad(gg, p, y), _bce_grad_vjp_p, _bce_grad_vjp_y),
    rules=("d/dg: (p - y) / max(p(1-p), 1e-12)",
           "d/dp: g (p² - 2py + y) / ((p+ε)²(1-p+ε)²)", "d/dy: -g / max(p(1-p), 1e-12)"),
    cases=[Case(lambda g, x, y: bce_grad(g, _case_prob(x), _case_prob(y)), (2, 3), (2, 3),
                (2, 3), label="all three")])
