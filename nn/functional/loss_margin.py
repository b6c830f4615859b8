"""Margin losses for embeddings and multi-label targets: ``triplet_margin_loss``,
``triplet_margin_with_distance_loss``, ``multilabel_margin_loss`` and
``multilabel_soft_margin_loss`` (PyTorch's formulas and reductions).

>>> import autograd as ag, nn.functional as F
>>> a, p, n = ag.tensor([[0.0, 0.0]]), ag.tensor([[0.0, 1.0]]), ag.tensor([[3.0, 0.0]])
>>> F.triplet_margin_loss(a, p, n, margin=1.0, eps=0.0)     # max(1 - 3 + 1, 0)
tensor(0.)
"""
import numpy as np

import autograd as ag
from .distance import pairwise_distance
from .embedding import index_array
from .loss import _legacy, _reduce

__all__ = ["triplet_margin_loss", "triplet_margin_with_distance_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss"]


def _check_triplet(anchor, positive, negative, name):
    a, p, n = (ag.as_tensor(t) for t in (anchor, positive, negative))
    if not a.ndim == p.ndim == n.ndim or a.ndim not in (1, 2):
        raise ValueError(f"{name}: anchor, positive and negative must all be 1-d (D,) or "
                         f"2-d (N, D), got shapes {a.shape}, {p.shape} and {n.shape}")
    return a, p, n


def _triplet(d_ap, d_an, d_pn, margin, swap, reduction, name):
    """max(d(a, p) - d(a, n) + margin, 0), with d(a, n) <- min(d(a, n), d(p, n)) if swap."""
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if swap:
        d_an = ag.minimum(d_an, d_pn)
    return _reduce(ag.relu(d_ap - d_an + margin), reduction, name)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
                        swap=False, size_average=None, reduce=None, reduction="mean"):
    """max(||a - p + eps||_p - ||a - n + eps||_p + margin, 0) per triplet (rows)."""
    reduction = _legacy(size_average, reduce, reduction)
    a, pos, neg = _check_triplet(anchor, positive, negative, "triplet_margin_loss")
    dist = lambda x, y: pairwise_distance(x, y, p, eps)     # noqa: E731 - one expression
    d_pn = dist(pos, neg) if swap else None
    return _triplet(dist(a, pos), dist(a, neg), d_pn, margin, swap, reduction,
                    "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet loss with any ``distance_function(x, y)`` (default: pairwise_distance)."""
    a, pos, neg = (ag.as_tensor(t) for t in (anchor, positive, negative))
    dist = pairwise_distance if distance_function is None else distance_function
    d_pn = dist(pos, neg) if swap else None
    return _triplet(dist(a, pos), dist(a, neg), d_pn, margin, swap, reduction,
                    "triplet_margin_with_distance_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction="mean"):
    """-mean_c w_c [y_c log σ(x_c) + (1 - y_c) log σ(-x_c)] per sample (C classes last)."""
    reduction = _legacy(size_average, reduce, reduction)
    x = ag.as_tensor(input)
    y = ag.as_tensor(np.asarray(target.data if isinstance(target, ag.Tensor) else target,
                                dtype=x.dtype))
    if y.shape != x.shape:
        raise ValueError(f"multilabel_soft_margin_loss: target must have the input's shape "
                         f"{x.shape}, got {y.shape}")
    loss = -(y * -ag.softplus(-x) + (1.0 - y) * -ag.softplus(x))     # log σ(x) = -softplus(-x)
    if weight is not None:
        loss = loss * ag.as_tensor(weight)
    loss = ag.sum(loss, axis=-1) / x.shape[-1]
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction="mean"):
    """Σ_{j target} Σ_{k not target} max(0, 1 - (x_j - x_k)) / C per sample, where the
    targets of a sample are the class indices in ``target`` up to its first -1."""
    reduction = _legacy(size_average, reduce, reduction)
    x = ag.as_tensor(input)
    t = index_array(target, "multilabel_margin_loss")
    if x.ndim not in (1, 2) or t.shape != x.shape:
        raise ValueError(f"multilabel_margin_loss: expected input (C,) or (N, C) and a target "
                         f"of the same shape, got {x.shape} and {t.shape}")
    x2 = ag.reshape(x, (1, -1)) if x.ndim == 1 else x                # (N, C)
    t2 = t.reshape(x2.shape)
    n, c = x2.shape
    if ((t2 < -1) | (t2 >= c)).any():
        raise IndexError(f"multilabel_margin_loss: target values must be class indices in "
                         f"[0, {c}) or -1 (the end of a sample's list), got {t2.min()} to "
                         f"{t2.max()}")
    listed = np.cumprod(t2 >= 0, axis=1).astype(bool)                # before the first -1
    counts = np.zeros((n, c), dtype=x.dtype)                         # a label listed twice
    np.add.at(counts, (np.nonzero(listed)[0], t2[listed]), 1.0)      # counts twice (PyTorch)
    # pairs (j, k): j a listed target, k not a target: margin 1 - x_j + x_k
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]           # (N, C_j, C_k)
    hinge = ag.relu(1.0 - ag.unsqueeze(x2, 2) + ag.unsqueeze(x2, 1))  # (N, C_j, C_k)
    loss = ag.sum(ag.where(pairs > 0, hinge, 0.0) * pairs, axis=(1, 2)) / c   # (N,)
    if x.ndim == 1:
        loss = ag.reshape(loss, ())
    return _reduce(loss, reduction, "multilabel_margin_loss")
