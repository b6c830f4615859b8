"""``max_unpool1d/2d/3d``: the partial inverse of max pooling, placing each pooled value
back at the position ``max_pool(..., return_indices=True)`` took it from, zeros elsewhere.

The placement is ``index_add`` (zeros with the values added at the indices), whose
gradient reads the same positions back: no backward code here.

>>> import autograd as ag, nn.functional as F
>>> x = ag.tensor([[[1.0, 5.0, 2.0, 3.0]]])
>>> y, idx = F.max_pool1d(x, 2, return_indices=True)
>>> F.max_unpool1d(y, idx, 2)
tensor([[[0., 5., 0., 3.]]])
"""
import numpy as np

import autograd as ag

from .conv import ntuple
from .embedding import index_array

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _output_size(x, kernel, stride, padding, output_size, nsp, opname):
    """The default (H - 1) s - 2 p + k per axis, or ``output_size`` checked against it."""
    spatial = x.shape[-nsp:]
    default = tuple((n - 1) * s - 2 * p + k
                    for n, k, s, p in zip(spatial, kernel, stride, padding))
    if output_size is None:
        return default
    size = tuple(int(n) for n in output_size)[-nsp:]
    if len(size) != nsp:
        raise ValueError(f"{opname}: output_size must have {nsp} (or {nsp + 2}) elements, "
                         f"got {tuple(output_size)}")
    for n, d, s in zip(size, default, stride):
        if not d - s < n < d + s:
            raise ValueError(f"{opname}: output_size {size} is not reachable: each size "
                             f"must be within the stride of the default {default}")
    return size


def _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, nsp,  # noqa: A002
                  opname):
    x = ag.as_tensor(input)
    idx = index_array(indices, opname)
    if x.ndim not in (nsp + 1, nsp + 2) or idx.shape != x.shape:
        raise ValueError(f"{opname}: expected input (N, C, *spatial) or (C, *spatial) with "
                         f"{nsp} spatial dims and indices of the same shape, got input "
                         f"{x.shape} and indices {idx.shape}")
    kernel = ntuple(kernel_size, nsp, "kernel_size", opname)
    stride = kernel if stride is None else ntuple(stride, nsp, "stride", opname)
    padding = ntuple(padding, nsp, "padding", opname)
    out_sp = _output_size(x, kernel, stride, padding, output_size, nsp, opname)
    plane = int(np.prod(out_sp))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise IndexError(f"{opname}: found an invalid max index {idx.max()} (output "
                         f"volumes are of size {'x'.join(map(str, out_sp))})")
    lead = x.shape[:-nsp]                                       # (N, C) or (C,)
    rows = int(np.prod(lead))
    flat = ag.reshape(x, (rows, -1))                            # (N*C, prod(in spatial))
    where = (np.arange(rows)[:, None], idx.reshape(rows, -1))
    out = ag.index_add(flat, shape=(rows, plane), index=where)  # (N*C, prod(out spatial))
    return ag.reshape(out, lead + out_sp)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """(N, C, L) pooled values and their indices -> (N, C, L_out), zeros elsewhere."""
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 1,
                         "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """(N, C, H, W) pooled values and their flat indices -> (N, C, H_out, W_out)."""
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 2,
                         "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None):
    """(N, C, D, H, W) pooled values and their flat indices -> (N, C, D_out, H_out, W_out)."""
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 3,
                         "max_unpool3d")
