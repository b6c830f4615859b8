"""Gradcheck cases for the loss primitives (autograd/ops/loss.py)."""
import numpy as np

import autograd as ag
from casekit import Case

P = ag.ops
TARGET = np.array([2, 0, 2, 1])                  # a repeated class: gradients add up
WEIGHT = np.array([0.5, 2.0, 0.0, 1.5])          # a zero weight: an ignored row


def _mean(logp):
    return P.nll(logp, target=TARGET, total=np.float64(4.0))


def _weighted_mean(logp):
    return P.nll(logp, target=TARGET, weight=WEIGHT, total=WEIGHT.sum())


def _per_row(logp):
    return P.nll(logp, target=TARGET, weight=WEIGHT) * np.arange(1.0, 5.0)


def _prob(x):
    """Probabilities in (0.05, 0.95) from any real input (float64)."""
    return 0.05 + 0.9 * P.sigmoid(x)


Y = np.array([0.0, 1.0, 0.3])           # hard and soft targets

CASES = {
    "bce": [Case(lambda x: P.bce(_prob(x), Y), (3,), label="hard and soft targets"),
            Case(lambda x, y: P.bce(_prob(x), _prob(y)), (2, 3), (2, 3),
                 label="target requires grad")],
    "bce_grad": [Case(lambda g, x, y: P.bce_grad(g, _prob(x), _prob(y)), (2, 3), (2, 3),
                      (2, 3), label="all three")],
    "nll": [Case(_mean, (4, 3), label="mean"),
            Case(_weighted_mean, (4, 3), label="weighted mean"),
            Case(lambda logp: P.nll(logp, target=TARGET, total=1.0), (4, 3), label="sum"),
            Case(_per_row, (4, 3), label="one loss per row")],
}
