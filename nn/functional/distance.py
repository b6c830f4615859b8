"""Distances between vectors: ``cosine_similarity``, ``pairwise_distance``, ``pdist``
(PyTorch's formulas, composed of autograd ops).

The L2 norm used here has the derivative x / ||x|| and 0 at x = 0 (PyTorch's choice),
not NaN: sqrt is taken of a sum of squares kept away from 0 where it is 0.

>>> import autograd as ag, nn.functional as F
>>> F.cosine_similarity(ag.tensor([[1.0, 0.0]]), ag.tensor([[1.0, 1.0]]))
tensor([0.7071])
>>> F.pairwise_distance(ag.tensor([[0.0, 0.0]]), ag.tensor([[3.0, 4.0]]), eps=0.0)
tensor([5.])
"""
import math

import numpy as np

import autograd as ag

__all__ = ["cosine_similarity", "pairwise_distance", "pdist", "vector_norm"]


def vector_norm(x, p=2.0, dim=-1, keepdim=False):
    """The p-norm of ``x`` along ``dim``: (Σ|x|^p)^(1/p); p = inf is max|x|, p = 0 counts
    the non-zeros (no gradient). Gradients are 0 where x is all zeros."""
    x = ag.as_tensor(x)
    if p == 2:
        s = ag.sum(x * x, axis=dim, keepdims=keepdim)
        zero = s.data == 0
        return ag.where(zero, 0.0, ag.sqrt(ag.where(zero, 1.0, s)))
    if p == 1:
        return ag.sum(ag.abs(x), axis=dim, keepdims=keepdim)
    if p == math.inf:
        return ag.max(ag.abs(x), axis=dim, keepdims=keepdim)
    if p == -math.inf:
        return ag.min(ag.abs(x), axis=dim, keepdims=keepdim)
    if p == 0:      # the count of non-zeros; its gradient is 0 (kept in the graph, as PyTorch)
        count = np.sum(x.data != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
        return ag.sum(x * 0.0, axis=dim, keepdims=keepdim) + count
    a = ag.abs(x)
    s = ag.sum(ag.where(a.data == 0, 0.0, a ** p), axis=dim, keepdims=keepdim)
    zero = s.data == 0
    return ag.where(zero, 0.0, ag.where(zero, 1.0, s) ** (1.0 / p))


def _clamped(n, eps):
    """n with values below ``eps`` raised to eps, the gradient still that of n
    (PyTorch clamps the norms in place, outside the graph)."""
    return n + ag.Tensor(np.maximum(n.data, eps) - n.data)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ x1 x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim`` (inputs broadcast)."""
    a, b = ag.as_tensor(x1), ag.as_tensor(x2)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: shapes {a.shape} and {b.shape} do not "
                         "broadcast") from None
    if not -len(shape) <= dim < max(len(shape), 1):
        raise ValueError(f"cosine_similarity: dim {dim} is out of range for inputs of "
                         f"broadcast shape {shape}")
    a, b = ag.broadcast_to(a, shape), ag.broadcast_to(b, shape)
    na = _clamped(vector_norm(a, 2, dim, keepdim=True), eps)
    nb = _clamped(vector_norm(b, 2, dim, keepdim=True), eps)
    return ag.sum((a / na) * (b / nb), axis=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (PyTorch adds eps to the difference)."""
    a, b = ag.as_tensor(x1), ag.as_tensor(x2)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"pairwise_distance: shapes {a.shape} and {b.shape} do not "
                         "broadcast") from None
    d = a - b + eps
    if d.ndim == 0:
        d = ag.reshape(d, (1,))
    return vector_norm(d, p, -1, keepdim)


def pdist(input, p=2.0):  # noqa: A002
    """The p-norm distance between every pair of rows of an (N, M) input: the upper
    triangle of the distance matrix, row by row, shape (N (N - 1) / 2,)."""
    x = ag.as_tensor(input)
    if x.ndim != 2:
        raise ValueError(f"pdist: expected a 2-d input (N, M), got shape {x.shape}")
    i, j = np.triu_indices(x.shape[0], k=1)
    return vector_norm(x[i] - x[j], p, -1)
