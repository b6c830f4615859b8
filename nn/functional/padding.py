"""``F.pad``: PyTorch's padding, ``pad`` listing (before, after) pairs from the LAST
dimension backwards, in four modes:

    constant   the value (negative widths crop)            any number of dims
    reflect    mirror without the edge: [c b | a b c | b a]  the last 1, 2 or 3 dims
    replicate  repeat the edge:         [a a | a b c | c c]  of a (N, C, *spatial)
    circular   wrap around:             [b c | a b c | a b]  or (C, *spatial) input

The non-constant modes are one gather per padded dimension (``x[..., index]`` with an
integer index array): its gradient adds every copy of an element back into it, and it
is differentiable again (no backward code here).

>>> import autograd as ag, nn.functional as F
>>> x = ag.tensor([[[1.0, 2.0, 3.0]]])
>>> F.pad(x, (2, 1), mode="reflect")
tensor([[[3., 2., 1., 2., 3., 2.]]])
>>> F.pad(x, (1, 1), value=-1.0)
tensor([[[-1.,  1.,  2.,  3., -1.]]])
"""
import numpy as np

import autograd as ag

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _pairs(pad, ndim):
    """``pad`` as a list of (axis, before, after), last dimension first."""
    try:
        widths = [int(p) for p in pad]
    except TypeError:
        raise TypeError(f"pad: expected a tuple of ints, got {pad!r}") from None
    if len(widths) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(widths)} "
                         f"values {tuple(widths)}")
    if len(widths) // 2 > ndim:
        raise ValueError(f"pad: padding length should be at most two times the input "
                         f"dimension, got {len(widths)} values for an input of shape "
                         f"{ndim} dims")
    return [(ndim - 1 - k, widths[2 * k], widths[2 * k + 1]) for k in range(len(widths) // 2)]


def pad(input, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's names
    """Pad ``input`` by ``pad = (left_last, right_last, left_2nd_last, ...)``; see the
    module docstring for the modes. ``value`` (default 0) is for mode 'constant' only."""
    x = ag.as_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    pairs = _pairs(pad, x.ndim)
    if mode == "constant":
        return _constant(x, pairs, 0.0 if value is None else value)
    if value is not None:
        raise ValueError(f'pad: padding mode "{mode}" does not take a value argument '
                         "(only mode='constant' does)")
    n = len(pairs)
    if not 1 <= n <= 3 or x.ndim not in (n + 1, n + 2):
        raise ValueError(
            f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of a (N, C, *spatial) "
            f"or (C, *spatial) input: {2 * n} pad values need a {n + 1}-d or {n + 2}-d "
            f"input, got shape {x.shape}")
    for axis, before, after in pairs:
        size = x.shape[axis]
        if mode == "circular":      # negative widths crop first; the rest wraps the crop
            start, stop = max(-before, 0), size - max(-after, 0)
            before, after, size = max(before, 0), max(after, 0), stop - start
            _check_circular(size, before, after, axis)
            index = start + np.arange(-before, size + after) % size
        else:
            index = _INDEX[mode](np.arange(-before, size + after), size, before, after, axis)
        x = x[(slice(None),) * axis + (index,)]
    return x


def _constant(x, pairs, value):
    crop = [slice(None)] * x.ndim
    widths = [(0, 0)] * x.ndim
    for axis, before, after in pairs:
        size = x.shape[axis]
        crop[axis] = slice(max(-before, 0), size - max(-after, 0))
        widths[axis] = (max(before, 0), max(after, 0))
    if any(s != slice(None) for s in crop):
        x = x[tuple(crop)]
    if any(w != (0, 0) for w in widths):
        x = ag.pad(x, tuple(widths), value=value)
    return x


def _reflect(pos, size, before, after, axis):
    if before >= size or after >= size:
        raise ValueError(f"pad: reflect padding ({before}, {after}) must be less than the "
                         f"size {size} of dimension {axis}")
    pos = np.abs(pos)
    return np.where(pos > size - 1, 2 * (size - 1) - pos, pos)


def _replicate(pos, size, before, after, axis):
    return np.clip(pos, 0, size - 1)


def _check_circular(size, before, after, axis):
    if before > size or after > size:
        raise ValueError(f"pad: circular padding ({before}, {after}) of dimension {axis} "
                         f"(size {size}) would wrap around more than once")


_INDEX = {"reflect": _reflect, "replicate": _replicate}
