"""Gradcheck cases for the CTC primitive (autograd/ops/ctc.py): first and second order
on raw (unnormalised) log-probabilities, with repeats, a blank that is not class 0,
unequal input lengths, an empty target and, with zero_infinity, an impossible one."""
import numpy as np

import autograd as ag
from casekit import Case

P = ag.ops


def _ctc(targets, target_lengths, input_lengths, blank=0, zero_infinity=False, weights=None):
    ext, ext_len = P.ctc_extend(np.asarray(targets), np.asarray(target_lengths), blank)
    w = np.arange(1.0, len(target_lengths) + 1) if weights is None else weights

    def fn(lp):
        return P.ctc_nll(lp, ext=ext, input_lengths=np.asarray(input_lengths),
                         ext_lengths=ext_len, zero_infinity=zero_infinity) * w
    return fn


CASES = {
    "ctc_nll": [
        Case(_ctc([[1, 2, 2], [3, 1, 0]], [3, 2], [6, 5]), (6, 2, 4),
             label="repeats, unequal lengths"),
        Case(_ctc([[0, 2], [1, 1]], [2, 1], [5, 3], blank=3), (5, 2, 4),
             label="blank 3, a one-label target"),
        Case(_ctc([[1, 2], [2, 0]], [2, 0], [4, 4]), (4, 2, 3), label="an empty target"),
        Case(_ctc([[1, 1, 1], [1, 2, 0]], [3, 2], [3, 4], zero_infinity=True), (4, 2, 3),
             label="zero_infinity with an impossible target"),
    ],
}
