"""Adaptive pooling beyond ``pooling.py``'s 1-d/2-d ones: ``adaptive_max_pool1d``,
``adaptive_avg_pool3d``, ``adaptive_max_pool3d``, and PyTorch's ``*_with_indices``
spellings of the max pools.

Bins are PyTorch's, [floor(i*L/out), ceil((i+1)*L/out)) per axis. Average pooling over
a box factorises into one averaging matrix per axis; max pooling gathers each bin's
first maximum (so that one element gets the gradient), looping over the bins (adaptive
outputs are small).

>>> import autograd as ag, nn.functional as F
>>> F.adaptive_avg_pool3d(ag.ones((1, 2, 4, 4, 4)), 2).shape
(1, 2, 2, 2, 2)
"""
import itertools

import numpy as np

import autograd as ag

from .pooling import (_adaptive_sizes, _averaging_matrix, _bins, adaptive_max_pool2d,
                      max_pool1d, max_pool2d, max_pool3d)

__all__ = ["adaptive_max_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices"]


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive bins of (N, C, L) or (C, L) (the first maximum gets
    the gradient): the 2-d pooling of a one-row image."""
    x = ag.as_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"adaptive_max_pool1d: expected a 2-d or 3-d input, got shape "
                         f"{x.shape}")
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out = adaptive_max_pool2d(ag.unsqueeze(x, -2), (1, size), return_indices)  # (.., 1, L_out)
    if return_indices:
        return out[0][..., 0, :], ag.Tensor(out[1].data[..., 0, :])
    return out[..., 0, :]


def adaptive_avg_pool3d(input, output_size):  # noqa: A002
    """Mean over PyTorch's adaptive bins of (N, C, D, H, W) or (C, D, H, W)."""
    x = ag.as_tensor(input)
    if x.ndim not in (4, 5):
        raise ValueError(f"adaptive_avg_pool3d: expected a 4-d or 5-d input, got shape "
                         f"{x.shape}")
    od, oh, ow = _adaptive_sizes(x, output_size, 3, "adaptive_avg_pool3d")
    mats = [_averaging_matrix(n, o, x.dtype) for n, o in zip(x.shape[-3:], (od, oh, ow))]
    return ag.einsum("...dhw,ad,bh,cw->...abc", x, *mats)         # (..., OD, OH, OW)


def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002
    """Max over PyTorch's adaptive bins of (N, C, D, H, W) (the first maximum in each bin
    gets the gradient); indices are flat over D*H*W, as PyTorch's."""
    x = ag.as_tensor(input)
    if x.ndim == 4:
        out = adaptive_max_pool3d(ag.unsqueeze(x, 0), output_size, return_indices)
        return (out[0][0], ag.Tensor(out[1].data[0])) if return_indices else out[0]
    if x.ndim != 5:
        raise ValueError(f"adaptive_max_pool3d: expected a 4-d or 5-d input, got shape "
                         f"{x.shape}")
    n, c, *spatial = x.shape
    outs = _adaptive_sizes(x, output_size, 3, "adaptive_max_pool3d")
    bins = [list(zip(*_bins(size, o))) for size, o in zip(spatial, outs)]
    flat = ag.reshape(x, (n, c, -1))                                # (N, C, D*H*W)
    index = np.zeros((n, c) + tuple(outs), dtype=np.int64)
    for pos in itertools.product(*(range(o) for o in outs)):
        box = [np.arange(*bins[a][pos[a]]) for a in range(3)]
        cells = np.ravel_multi_index(np.meshgrid(*box, indexing="ij"), spatial).ravel()
        first = np.argmax(flat.data[:, :, cells], axis=-1)          # (N, C)
        index[(slice(None), slice(None)) + pos] = cells[first]
    rows = (np.arange(n)[:, None, None], np.arange(c)[None, :, None])
    y = ag.reshape(flat[rows + (index.reshape(n, c, -1),)], (n, c) + tuple(outs))
    return (y, ag.Tensor(index)) if return_indices else y


def _with_indices(pool):
    def fn(*args, **kwargs):
        kwargs["return_indices"] = True
        return pool(*args, **kwargs)
    fn.__name__ = pool.__name__ + "_with_indices"
    fn.__doc__ = f"``{pool.__name__}(..., return_indices=True)``: (values, indices)."
    return fn


adaptive_max_pool1d_with_indices = _with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(adaptive_max_pool3d)
max_pool1d_with_indices = _with_indices(max_pool1d)
max_pool2d_with_indices = _with_indices(max_pool2d)
max_pool3d_with_indices = _with_indices(max_pool3d)
