"""CTC composed of autograd ops (logsumexp, getitem, where): an independent oracle for
the ``ctc_nll`` primitive, and the composed alternative its docstring measures.

Unreachable lattice positions hold -1e30, not -inf: logsumexp's gradient exp(x - out)
is NaN where a whole slice is -inf, and that NaN would reach the inputs (0 * NaN)."""
import numpy as np

import autograd as ag

_NEG = -1e30


def composed_ctc_nll(lp, targets, input_lengths, target_lengths, blank=0):
    """Per-sample -log p(target) by the α recursion, one frame at a time, in graph ops."""
    lp = ag.as_tensor(lp)
    t_max, n, _ = lp.shape
    ext, ext_len = ag.ops.ctc_extend(np.asarray(targets), np.asarray(target_lengths), blank)
    s_max = ext.shape[1]
    valid = np.arange(s_max)[None, :] < ext_len[:, None]
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    rows = np.arange(n)[:, None]
    neg = ag.full((n, s_max), _NEG, dtype=lp.dtype)
    start = np.zeros((n, s_max), dtype=bool)
    start[:, :2] = True
    alpha = ag.where(start & valid, lp[0][rows, ext], neg)
    pad = ag.full((n, 2), _NEG, dtype=lp.dtype)
    for t in range(1, t_max):
        shifted = ag.concatenate([pad, alpha], axis=1)                 # (N, S + 2)
        one, two = shifted[:, 1:-1], ag.where(skip, shifted[:, :-2], neg)
        new = ag.logsumexp(ag.stack([alpha, one, two]), axis=0) + lp[t][rows, ext]
        new = ag.where(valid, new, neg)
        alpha = ag.where((t < np.asarray(input_lengths))[:, None], new, alpha)
    last = np.stack([ext_len - 1, np.maximum(ext_len - 2, 0)], axis=1)   # (N, 2)
    ends = alpha[rows, last]
    ends = ag.where(np.stack([np.ones(n, bool), ext_len > 1], axis=1), ends, _NEG)
    return -ag.logsumexp(ends, axis=1)
