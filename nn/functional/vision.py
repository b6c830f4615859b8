"""Rearranging and resampling images: ``pixel_shuffle``, ``pixel_unshuffle``,
``channel_shuffle``, ``affine_grid`` and ``grid_sample`` (PyTorch's semantics).

``grid_sample`` reads ``input`` (N, C, H, W) (or (N, C, D, H, W)) at the points of
``grid`` (N, H_out, W_out, 2) given as (x, y) in [-1, 1]: -1 is the left/top edge of
the image (``align_corners=False``: the outer edge of the border pixels; True: their
centres). ``mode`` 'bilinear' (trilinear in 3-d) mixes the 2^d neighbours with weights
linear in the point, so the gradient reaches both the image (the gather's adjoint adds
it into the neighbours) and the grid (through the weights); 'nearest' takes the
closest pixel (no gradient to the grid). ``padding_mode`` says what lies outside:
'zeros', 'border' (the edge value) or 'reflection' (the image mirrored).

>>> import autograd as ag, nn.functional as F
>>> theta = ag.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])          # the identity
>>> img = ag.arange(16.0).reshape(1, 1, 4, 4)
>>> grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=False)
>>> bool((F.grid_sample(img, grid, align_corners=False).data == img.data).all())
True
"""
import itertools
import warnings

import numpy as np

import autograd as ag

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "affine_grid",
           "grid_sample"]


def pixel_shuffle(input, upscale_factor):  # noqa: A002
    """(*, C r², H, W) -> (*, C, H r, W r): each group of r² channels becomes an r x r
    block of pixels (sub-pixel convolution's upsampling)."""
    x = ag.as_tensor(input)
    r = int(upscale_factor)
    if x.ndim < 3 or r <= 0 or x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected an input (*, C*r^2, H, W) whose channels "
                         f"divide by upscale_factor^2 = {r * r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    lead = tuple(lead)
    x = ag.reshape(x, lead + (c // (r * r), r, r, h, w))           # (*, C, r, r, H, W)
    k = len(lead)
    x = ag.transpose(x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))  # (*, C, H, r, W, r)
    return ag.reshape(x, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):  # noqa: A002
    """(*, C, H r, W r) -> (*, C r², H, W), the inverse of ``pixel_shuffle``."""
    x = ag.as_tensor(input)
    r = int(downscale_factor)
    if x.ndim < 3 or r <= 0 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f"pixel_unshuffle: expected an input (*, C, H, W) with H and W "
                         f"divisible by downscale_factor = {r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    lead = tuple(lead)
    x = ag.reshape(x, lead + (c, h // r, r, w // r, r))             # (*, C, H, r, W, r)
    k = len(lead)
    x = ag.transpose(x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))  # (*, C, r, r, H, W)
    return ag.reshape(x, lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):  # noqa: A002
    """(N, C, *) with C = g k: channel order (g, k) becomes (k, g) (ShuffleNet)."""
    x = ag.as_tensor(input)
    g = int(groups)
    if x.ndim < 3 or g <= 0 or x.shape[1] % g:
        raise ValueError(f"channel_shuffle: expected an input (N, C, *) with C divisible "
                         f"by groups = {g}, got shape {x.shape}")
    n, c, *rest = x.shape
    x = ag.reshape(x, (n, g, c // g) + tuple(rest))                 # (N, g, C/g, *)
    return ag.reshape(ag.swapaxes(x, 1, 2), x.shape[:1] + (c,) + tuple(rest))


def _align(align_corners, name):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True "
                      "if the old behavior is desired. See the documentation of "
                      f"{name} for details.", stacklevel=3)
        return False
    return bool(align_corners)


def _base_coords(n, align_corners):
    """The n sample positions along one axis in [-1, 1] (pixel centres)."""
    if n <= 1:
        return np.zeros(max(n, 1))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of the affine maps ``theta`` (N, 2, 3) for an output of
    ``size`` (N, C, H, W) -> (N, H, W, 2) (or (N, 3, 4) and (N, C, D, H, W) ->
    (N, D, H, W, 3)): each output pixel's (x, y[, z], 1) times thetaᵀ."""
    align = _align(align_corners, "affine_grid")
    t = ag.as_tensor(theta)
    size = tuple(int(s) for s in size)
    nsp = len(size) - 2
    if nsp not in (2, 3) or t.shape != (size[0], nsp, nsp + 1):
        raise ValueError(f"affine_grid: expected theta of shape (N, 2, 3) for a 4-d size "
                         f"or (N, 3, 4) for a 5-d size, got theta {t.shape} and size {size}")
    spatial = size[2:]                                            # (H, W) or (D, H, W)
    axes = [_base_coords(n, align) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")                       # each (*spatial)
    # (*spatial, nsp + 1): each position's x, y[, z] and a 1 for the translation
    base = np.stack(list(mesh[::-1]) + [np.ones(spatial)], axis=-1)
    base = base.reshape(1, -1, nsp + 1).astype(t.dtype)
    grid = ag.matmul(base, ag.swapaxes(t, 1, 2))                   # (N, prod(spatial), nsp)
    return ag.reshape(grid, (size[0],) + spatial + (nsp,))


def _reflect(coord, twice_low, twice_high):
    """PyTorch's reflect_coordinates: fold ``coord`` into [low, high] by mirroring."""
    if twice_low == twice_high:
        return coord * 0.0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    a = ag.abs(coord - low)
    flips = np.floor(a.data / span)
    extra = a - span * flips
    return ag.where(flips % 2 == 0, extra + low, span - extra + low)


def _source_index(coord, size, padding_mode, align):
    """A grid coordinate in [-1, 1] as a (fractional) pixel index along an axis of
    ``size`` pixels, after the padding rule."""
    if align:
        ix = (coord + 1.0) * ((size - 1) / 2)
    else:
        ix = ((coord + 1.0) * size - 1.0) / 2
    if padding_mode == "border":
        ix = ag.clip(ix, 0, size - 1)
    elif padding_mode == "reflection":
        ix = _reflect(ix, 0, 2 * (size - 1)) if align else _reflect(ix, -1, 2 * size - 1)
        ix = ag.clip(ix, 0, size - 1)
    return ix


def _gather(x, index):
    """Values of x (N, C, *spatial) at the integer points ``index`` (one (N, P) array per
    spatial axis), 0 outside the image: (N, C, P)."""
    n, c = x.shape[:2]
    inside = np.ones(index[0].shape, dtype=bool)
    clipped = []
    for i, size in zip(index, x.shape[2:]):
        inside &= (i >= 0) & (i < size)
        clipped.append(np.clip(i, 0, size - 1)[:, None, :])
    values = x[(np.arange(n)[:, None, None], np.arange(c)[None, :, None]) + tuple(clipped)]
    return ag.where(inside[:, None, :], values, 0.0)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros",  # noqa: A002
                align_corners=None):
    """Sample ``input`` at ``grid``'s points (see the module docstring): (N, C, H, W)
    and (N, H_out, W_out, 2) -> (N, C, H_out, W_out); or the 3-d analogue."""
    align = _align(align_corners, "grid_sample")
    x, g = ag.as_tensor(input), ag.as_tensor(grid)
    nsp = x.ndim - 2
    if nsp not in (2, 3) or g.ndim != x.ndim or g.shape[-1] != nsp or g.shape[0] != x.shape[0]:
        raise ValueError(f"grid_sample: expected input (N, C, H, W) with grid (N, H_out, "
                         f"W_out, 2), or input (N, C, D, H, W) with grid (N, D_out, H_out, "
                         f"W_out, 3); got input {x.shape} and grid {g.shape}")
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest' ('bicubic' is "
                         f"not supported), got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    n, out_sp = x.shape[0], g.shape[1:-1]
    flat = ag.reshape(g, (n, -1, nsp))                             # (N, P, nsp): x, y[, z]
    # one fractional index per spatial axis, in the input's axis order (.., H, W)
    coords = [_source_index(flat[:, :, nsp - 1 - a], x.shape[2 + a], padding_mode, align)
              for a in range(nsp)]
    if mode == "nearest":
        out = _gather(x, [np.rint(c.data).astype(np.int64) for c in coords])
    else:
        lows = [np.floor(c.data) for c in coords]
        fracs = [c - low for c, low in zip(coords, lows)]         # weight of the upper pixel
        out = 0.0
        for corner in itertools.product((0, 1), repeat=nsp):
            weight = 1.0
            for up, frac in zip(corner, fracs):
                weight = weight * (frac if up else 1.0 - frac)     # (N, P)
            index = [(low + up).astype(np.int64) for low, up in zip(lows, corner)]
            out = out + _gather(x, index) * ag.unsqueeze(weight, 1)
    return ag.reshape(out, x.shape[:2] + tuple(out_sp))
