"""Resizing (``interpolate``) as matrix products: nearest and (bi)linear are separable.

Along each spatial axis the output is a fixed linear map of the input, a matrix
``M`` of shape (out, in) built with PyTorch's source-index formulas, so for an image

    y = M_h @ x @ M_w^T          (x: (N, C, H, W), y: (N, C, OH, OW))

and the gradient ``M_h^T @ g @ M_w`` comes from matmul's VJP.

Source positions (``scale = in/out``, or ``1/scale_factor`` when one is given):

* nearest:        ``src = min(floor(dst * scale), in - 1)`` (in float32, as PyTorch)
* nearest-exact:  ``src = min(floor((dst + 0.5) * scale), in - 1)``
* linear, ``align_corners=False``: ``src = max((dst + 0.5) * scale - 0.5, 0)``
* linear, ``align_corners=True``:  ``src = dst * (in - 1) / (out - 1)``

and linear mixes ``x[i0]`` and ``x[i0 + 1]`` with weights ``1 - l`` and ``l``,
``i0 = floor(src)``, ``l = src - i0``.

>>> import autograd as ag, nn.functional as F
>>> F.interpolate(ag.randn(1, 1, 2, 3), scale_factor=2, mode="bilinear").shape
(1, 1, 4, 6)
"""
import math
import numbers
import warnings

import numpy as np

import autograd as ag

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2}


def _nearest_matrix(n_in, n_out, scale, exact):
    """(n_out, n_in) one-hot rows: output i copies input src(i)."""
    dst = np.arange(n_out)
    if n_out == n_in and not exact:
        src = dst
    elif n_out == 2 * n_in and not exact:
        src = dst >> 1
    else:
        s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
        pos = (dst.astype(np.float32) + np.float32(0.5)) if exact else dst.astype(np.float32)
        src = np.minimum(np.floor(pos * s).astype(np.int64), n_in - 1)
    m = np.zeros((n_out, n_in))
    m[dst, src] = 1.0
    return m


def _linear_matrix(n_in, n_out, scale, align_corners):
    """(n_out, n_in) rows with the two linear-interpolation weights."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = dst * s
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    i0 = src.astype(np.int64)                  # floor, src >= 0
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    lam1 = np.clip(src - i0, 0.0, 1.0)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), 1.0 - lam1)
    np.add.at(m, (rows, i1), lam1)
    return m


def _output_sizes(x, size, scale_factor, nsp, recompute_scale_factor):
    """Output sizes and the per-axis scales handed to the index formulas."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor")
    if size is not None:
        sizes = (size,) * nsp if isinstance(size, numbers.Integral) else tuple(size)
        if len(sizes) != nsp:
            raise ValueError(f"interpolate: size {size} does not match the {nsp} spatial "
                             f"axes of an input of shape {x.shape}")
        return tuple(int(s) for s in sizes), (None,) * nsp
    scales = ((scale_factor,) * nsp if isinstance(scale_factor, numbers.Number)
              else tuple(scale_factor))
    if len(scales) != nsp:
        raise ValueError(f"interpolate: scale_factor {scale_factor} does not match the "
                         f"{nsp} spatial axes of an input of shape {x.shape}")
    sizes = tuple(int(math.floor(float(n) * float(s))) for n, s in zip(spatial, scales))
    if recompute_scale_factor:
        return sizes, (None,) * nsp
    return sizes, tuple(float(s) for s in scales)


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``x`` (N, C, L) or (N, C, H, W) like ``torch.nn.functional.interpolate``.

    Modes: ``"nearest"``, ``"nearest-exact"``, ``"linear"`` (3-d input) and
    ``"bilinear"`` (4-d input); ``align_corners`` only applies to the linear modes.
    """
    x = ag.as_tensor(x)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode {mode!r} is not supported; use one of "
                         f"{sorted(_MODES)}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    nsp = x.ndim - 2
    if nsp not in (1, 2):
        raise ValueError(f"interpolate: expected a 3-d (N, C, L) or 4-d (N, C, H, W) "
                         f"input, got shape {x.shape}")
    linear = mode in ("linear", "bilinear")
    if linear and _MODES[mode] != nsp:
        raise ValueError(f"interpolate: mode {mode!r} needs a {_MODES[mode] + 2}-d input, "
                         f"got shape {x.shape}")
    if align_corners is not None and not linear:
        raise ValueError(f"interpolate: align_corners only applies to the linear modes, "
                         f"not {mode!r}")
    sizes, scales = _output_sizes(x, size, scale_factor, nsp, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: output size {sizes} must be positive")
    mats = []
    for n_in, n_out, scale in zip(x.shape[2:], sizes, scales):
        if linear:
            m = _linear_matrix(n_in, n_out, scale, bool(align_corners))
        else:
            m = _nearest_matrix(n_in, n_out, scale, mode == "nearest-exact")
        mats.append(m.astype(x.dtype))
    y = x @ mats[-1].T                                                # (N, C, ..., OW)
    if nsp == 2:
        y = ag.matmul(mats[0], y)                                     # (N, C, OH, OW)
    return y


def upsample(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (kept for PyTorch compatibility)."""
    return interpolate(x, size, scale_factor, mode, align_corners)


def upsample_nearest(x, size=None, scale_factor=None):
    """``interpolate(..., mode="nearest")``."""
    warnings.warn("upsample_nearest is deprecated; use interpolate", DeprecationWarning,
                  stacklevel=2)
    return interpolate(x, size, scale_factor, mode="nearest")


def upsample_bilinear(x, size=None, scale_factor=None):
    """``interpolate(..., mode="bilinear", align_corners=True)`` (PyTorch's old default)."""
    warnings.warn("upsample_bilinear is deprecated; use interpolate", DeprecationWarning,
                  stacklevel=2)
    return interpolate(x, size, scale_factor, mode="bilinear", align_corners=True)
