"""Pooling composed of autograd ops: pad -> unfold -> (select the max | mean).

Max pooling is the ``window_max`` primitive: a running maximum over the kernel offsets
of the strided window view. Its gradient goes, in every window, to the FIRST largest
element in row-major window order (the last NaN, if any: PyTorch's rule), so backprop
sends each output's gradient to exactly one input, even when a ReLU left many ties::

    y[n, c, i, j] = max_{p, q} x_pad[n, c, i*s + p*d, j*s + q*d]   (x_pad padded with -inf)

Average pooling is the window sum divided by the window size (``count_include_pad``)
or by the number of real (unpadded) elements. Adaptive average pooling uses PyTorch's
bins ``[floor(i*H/OH), ceil((i+1)*H/OH))``; since a mean over a rectangle factorises,
it is ``A_h @ x @ A_w^T`` with two small averaging matrices.

>>> import autograd as ag, nn.functional as F
>>> F.max_pool2d(ag.randn(1, 1, 4, 4), 2).shape
(1, 1, 2, 2)
"""
import numpy as np

import autograd as ag

from .conv import ntuple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]


def _pool_out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape for one axis."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1   # the last window would start inside the right padding only
    return out


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, nsp, opname):
    """Normalised arguments, the output size and the pad widths (right side may grow)."""
    kernel = ntuple(kernel_size, nsp, "kernel_size", opname)
    stride = kernel if stride is None or stride == [] or stride == () else \
        ntuple(stride, nsp, "stride", opname)
    padding = ntuple(padding, nsp, "padding", opname)
    dilation = ntuple(dilation, nsp, "dilation", opname)
    if x.ndim != nsp + 2:
        raise ValueError(f"{opname}: expected a {nsp + 2}-d input (N, C, *spatial), got "
                         f"shape {x.shape}")
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise ValueError(f"{opname}: padding {padding} must be at most half of the "
                             f"kernel size {kernel}")
    spatial = x.shape[2:]
    out_sp = tuple(_pool_out_size(n, k, s, p, d, ceil_mode)
                   for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out_sp):
        raise ValueError(f"{opname}: input {x.shape} is too small for kernel {kernel} "
                         f"with padding {padding} and dilation {dilation}")
    pads = []
    for n, k, s, p, d, o in zip(spatial, kernel, stride, padding, dilation, out_sp):
        needed = (o - 1) * s + d * (k - 1) + 1          # extent the windows cover
        pads.append((p, p + max(0, needed - (n + 2 * p))))
    return kernel, stride, padding, dilation, out_sp, tuple(pads)


def _unbatched(fn, x, nsp, *args, **kw):
    """Run a batched pool on an unbatched (C, *S) input."""
    out = fn(x.unsqueeze(0), *args, **kw)
    if isinstance(out, tuple):
        return tuple(o[0] for o in out)
    return out[0]


def _max_poolnd(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nsp,
                opname):
    x = ag.as_tensor(x)
    if x.ndim == nsp + 1:
        return _unbatched(_max_poolnd, x, nsp, kernel_size, stride, padding, dilation,
                          ceil_mode, return_indices, nsp, opname)
    kernel, stride, padding, dilation, out_sp, pads = _pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode, nsp, opname)
    if any(p for pair in pads for p in pair):
        x_pad = ag.pad(x, ((0, 0), (0, 0)) + pads, value=-np.inf)   # (N, C, *S_pad)
    else:
        x_pad = x
    # A running maximum over the kernel offsets of the strided window view (a few passes
    # over the output); the gradient goes to each window's first maximum.
    y = ag.ops.window_max(x_pad, kernel=kernel, stride=stride, dilation=dilation)
    if not return_indices:
        return y                                                      # (N, C, *O)
    # Flat index into the unpadded spatial input, as PyTorch returns it.
    first = ag.ops.chosen_offsets(x_pad.data, y.data, kernel, stride, dilation)
    offsets = np.unravel_index(first, kernel)                         # per axis (N,C,*O)
    index = np.zeros(first.shape, dtype=np.int64)
    for ax in range(nsp):
        grid = np.arange(out_sp[ax]).reshape((-1,) + (1,) * (nsp - 1 - ax))
        pos = grid * stride[ax] + offsets[ax] * dilation[ax] - padding[ax]
        index = index * x.shape[2 + ax] + pos
    return y, ag.Tensor(index)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling of ``x`` (N, C, L); see ``max_pool2d``."""
    return _max_poolnd(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       1, "max_pool1d")


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling as in PyTorch: ``stride`` defaults to ``kernel_size``, padding is
    ``-inf`` (at most half the kernel), ``ceil_mode`` keeps a last partial window.
    The gradient goes to the first maximum of each window."""
    return _max_poolnd(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       2, "max_pool2d")


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling of ``x`` (N, C, D, H, W); see ``max_pool2d``."""
    return _max_poolnd(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                       3, "max_pool3d")


def _avg_poolnd(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override, nsp, opname):
    x = ag.as_tensor(x)
    if x.ndim == nsp + 1:
        return _unbatched(_avg_poolnd, x, nsp, kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override, nsp, opname)
    kernel, stride, padding, dilation, out_sp, pads = _pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode, nsp, opname)
    spatial = tuple(x.shape[2:])
    if any(p for pair in pads for p in pair):
        x = ag.pad(x, ((0, 0), (0, 0)) + pads)                      # (N, C, *S_pad)
    cols = ag.ops.unfold(x, kernel=kernel, stride=stride, dilation=dilation)
    total = cols.sum(axis=tuple(range(2 + nsp, 2 + 2 * nsp)))        # (N, C, *O)
    if divisor_override:
        return total / float(divisor_override)
    # Divisor per output: count the window's cells that lie in the padded input
    # (count_include_pad) or in the real input, never those added for ceil_mode.
    cover = np.zeros(tuple(x.shape[2:]), dtype=x.dtype)               # (*S_pad)
    inside = tuple(slice(0, n + 2 * p) if count_include_pad else slice(p, p + n)
                   for n, p in zip(spatial, padding))
    cover[inside] = 1.0
    count = ag.ops.unfold(cover, kernel=kernel, stride=stride, dilation=dilation)
    count = count.sum(axis=tuple(range(nsp, 2 * nsp)))                # (*O,)
    return total / count


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-d average pooling of ``x`` (N, C, L); see ``avg_pool2d``."""
    return _avg_poolnd(x, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                       1, "avg_pool1d")


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-d average pooling as in PyTorch: zero padding, and the divisor is the window
    size including padding (``count_include_pad=True``) or only real elements."""
    return _avg_poolnd(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 2, "avg_pool2d")


def avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-d average pooling of ``x`` (N, C, D, H, W); see ``avg_pool2d``."""
    return _avg_poolnd(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 3, "avg_pool3d")


def _adaptive_sizes(x, output_size, nsp, opname):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nsp:
            raise ValueError(f"{opname}: output_size must be an int or {nsp} values, got "
                             f"{output_size}")
        out = tuple(x.shape[-nsp + i] if s is None else int(s)
                    for i, s in enumerate(output_size))
    else:
        out = (int(output_size),) * nsp
    if any(s <= 0 for s in out):
        raise ValueError(f"{opname}: output_size must be positive, got {output_size}")
    return out


def _bins(n_in, n_out):
    """PyTorch's adaptive bins: [floor(i*n_in/n_out), ceil((i+1)*n_in/n_out))."""
    starts = (np.arange(n_out) * n_in) // n_out
    ends = -((-(np.arange(n_out) + 1) * n_in) // n_out)
    return starts, ends


def _averaging_matrix(n_in, n_out, dtype):
    """(n_out, n_in) matrix whose row i averages bin i."""
    starts, ends = _bins(n_in, n_out)
    cols = np.arange(n_in)
    inside = (cols >= starts[:, None]) & (cols < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def adaptive_avg_pool1d(x, output_size):
    """Average over PyTorch's adaptive bins of ``x`` (N, C, L) or (C, L)."""
    x = ag.as_tensor(x)
    (out,) = _adaptive_sizes(x, output_size, 1, "adaptive_avg_pool1d")
    a = _averaging_matrix(x.shape[-1], out, x.dtype)                  # (L_out, L)
    return x @ a.T                                                    # (..., L_out)


def adaptive_avg_pool2d(x, output_size):
    """Average over PyTorch's adaptive bins: ``y = A_h @ x @ A_w^T`` for ``x``
    (N, C, H, W) or (C, H, W); ``output_size`` is an int or (OH, OW) (None keeps)."""
    x = ag.as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-d or 4-d input, got shape "
                         f"{x.shape}")
    oh, ow = _adaptive_sizes(x, output_size, 2, "adaptive_avg_pool2d")
    a_h = _averaging_matrix(x.shape[-2], oh, x.dtype)                 # (OH, H)
    a_w = _averaging_matrix(x.shape[-1], ow, x.dtype)                 # (OW, W)
    return ag.matmul(a_h, x) @ a_w.T                                  # (..., OH, OW)


def adaptive_max_pool2d(x, output_size, return_indices=False):
    """Max over PyTorch's adaptive bins (first maximum gets the gradient).

    Loops over the OH*OW bins (adaptive pooling outputs are small, e.g. 1x1 or 7x7).
    """
    x = ag.as_tensor(x)
    if x.ndim == 3:
        return _unbatched(adaptive_max_pool2d, x, 2, output_size, return_indices)
    if x.ndim != 4:
        raise ValueError(f"adaptive_max_pool2d: expected a 3-d or 4-d input, got shape "
                         f"{x.shape}")
    oh, ow = _adaptive_sizes(x, output_size, 2, "adaptive_max_pool2d")
    h, w = x.shape[2:]
    hs, he = _bins(h, oh)
    ws, we = _bins(w, ow)
    rows, idx_rows = [], []
    for i in range(oh):
        row, idx_row = [], []
        for j in range(ow):
            win = x[:, :, hs[i]:he[i], ws[j]:we[j]]                   # (N, C, bh, bw)
            flat = win.reshape(x.shape[0], x.shape[1], -1)            # (N, C, bh*bw)
            first = np.argmax(flat.data, axis=-1)                     # (N, C)
            one_hot = first[..., None] == np.arange(flat.shape[-1])
            row.append(ag.where(one_hot, flat, 0.0).sum(axis=-1))     # (N, C)
            bw = we[j] - ws[j]
            idx_row.append((hs[i] + first // bw) * w + ws[j] + first % bw)
        rows.append(ag.stack(row, axis=-1))                           # (N, C, OW)
        idx_rows.append(np.stack(idx_row, axis=-1))
    y = ag.stack(rows, axis=-2)                                       # (N, C, OH, OW)
    if return_indices:
        return y, ag.Tensor(np.stack(idx_rows, axis=-2))
    return y
