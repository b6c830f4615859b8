"""``F.ctc_loss``: connectionist temporal classification, PyTorch's arguments and
reductions over the ``ctc_nll`` primitive (autograd/ops/ctc.py: the forward-backward
recursion in log space, and its gradient).

>>> import numpy as np, autograd as ag, nn.functional as F
>>> logits = ag.randn(6, 2, 4)                           # (T, N, C), class 0 the blank
>>> loss = F.ctc_loss(F.log_softmax(logits, dim=2), np.array([[1, 2], [3, 3]]),
...                   input_lengths=[6, 5], target_lengths=[2, 2])
>>> loss.shape
()

Unlike PyTorch, the gradient with respect to ``log_probs`` is exactly the derivative
of the loss (PyTorch returns exp(log_probs) more, which vanishes once it goes back
through the log_softmax): gradients with respect to the logits agree.
"""
import numpy as np

import autograd as ag
from .embedding import index_array
from .loss import _check_reduction

__all__ = ["ctc_loss"]


def _lengths(values, n, what):
    arr = index_array(values, "ctc_loss").reshape(-1)
    if arr.shape != (n,):
        raise ValueError(f"ctc_loss: expected {n} {what} (one per sample), got shape "
                         f"{np.shape(values)}")
    return arr.astype(np.int64)


def _padded_targets(targets, target_lengths, n):
    """Targets as (N, L_max) rows, from (N, S) padded rows or one concatenated 1-d array."""
    t = index_array(targets, "ctc_loss")
    if t.ndim == 2 and t.shape[0] == n:
        if target_lengths.size and target_lengths.max() > t.shape[1]:
            raise ValueError(f"ctc_loss: a target length {target_lengths.max()} exceeds the "
                             f"targets' second dimension {t.shape[1]}")
        return t
    if t.ndim == 1:
        if target_lengths.sum() != t.size:
            raise ValueError(f"ctc_loss: concatenated targets hold {t.size} labels but the "
                             f"target lengths add up to {target_lengths.sum()}")
        rows = np.zeros((n, max(int(target_lengths.max(initial=0)), 1)), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
        for i, (start, length) in enumerate(zip(starts, target_lengths)):
            rows[i, :length] = t[start:start + length]
        return rows
    raise ValueError(f"ctc_loss: targets must be (N, S) padded or 1-d concatenated, got shape "
                     f"{t.shape} for a batch of {n}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
             reduction="mean", zero_infinity=False):
    """-log p(target | log_probs) summed over all alignments (blanks between and around
    the labels, repeats merged), per sample.

    ``log_probs`` (T, N, C) (or unbatched (T, C)) are log-probabilities over C classes,
    ``blank`` one of them; ``targets`` (N, S) padded or concatenated 1-d, with
    ``input_lengths`` and ``target_lengths`` per sample. 'mean' divides each loss by its
    target length, then averages; ``zero_infinity`` turns impossible alignments (loss
    inf) into 0 with a 0 gradient.
    """
    _check_reduction(reduction, "ctc_loss")
    lp = ag.as_tensor(log_probs)
    unbatched = lp.ndim == 2
    if unbatched:
        lp = ag.unsqueeze(lp, 1)                                     # (T, 1, C)
        targets = np.asarray(targets.data if isinstance(targets, ag.Tensor) else targets)
        targets = targets.reshape(1, -1)
    if lp.ndim != 3:
        raise ValueError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
                         f"{lp.shape}")
    t_max, n, c = lp.shape
    in_len = _lengths(input_lengths, n, "input lengths")
    tgt_len = _lengths(target_lengths, n, "target lengths")
    if not 0 <= blank < c:
        raise ValueError(f"ctc_loss: blank {blank} is not a class index in [0, {c})")
    if (in_len < 0).any() or (in_len > t_max).any() or (tgt_len < 0).any():
        raise ValueError(f"ctc_loss: input lengths must be in [0, {t_max}] and target "
                         f"lengths non-negative, got {in_len.tolist()} and {tgt_len.tolist()}")
    rows = _padded_targets(targets, tgt_len, n)
    used = np.arange(rows.shape[1])[None, :] < tgt_len[:, None]
    labels = rows[used]
    if labels.size and ((labels < 0).any() or (labels >= c).any() or (labels == blank).any()):
        raise ValueError(f"ctc_loss: target labels must be classes in [0, {c}) other than "
                         f"the blank {blank}")
    ext, ext_len = ag.ops.ctc_extend(np.where(used, rows, blank), tgt_len, blank)
    nll = ag.ops.ctc_nll(lp, ext=ext, input_lengths=in_len, ext_lengths=ext_len,
                         zero_infinity=bool(zero_infinity))          # (N,)
    if reduction == "none":
        return ag.reshape(nll, ()) if unbatched else nll
    if reduction == "sum":
        return ag.sum(nll)
    return ag.mean(nll / np.maximum(tgt_len, 1).astype(lp.dtype))
