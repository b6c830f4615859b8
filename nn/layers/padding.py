"""Padding layers over ``F.pad``: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``,
``ReplicationPad`` and ``CircularPad``, each 1d/2d/3d (PyTorch's names and reprs).

``padding`` is an int (every side) or 2, 4 or 6 ints ``(left, right, top, bottom,
front, back)``, the last dimension first, as in ``F.pad``.

>>> import autograd as ag, nn
>>> nn.ReflectionPad2d((1, 1, 2, 0))(ag.randn(1, 3, 4, 4)).shape
(1, 3, 6, 6)
"""
import numbers

from .. import functional as F
from ..module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _widths(padding, n, name):
    """An int or 2n ints -> a tuple of 2n ints."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * (2 * n)
    try:
        widths = tuple(int(p) for p in padding)
    except TypeError:
        raise TypeError(f"{name}: padding must be an int or {2 * n} ints, got "
                        f"{padding!r}") from None
    if len(widths) != 2 * n:
        raise ValueError(f"{name}: padding must be an int or {2 * n} ints (left, right"
                         f"{', top, bottom' if n > 1 else ''}{', front, back' if n > 2 else ''}"
                         f"), got {widths}")
    return widths


class _PadNd(Module):
    """``forward(x) = F.pad(x, padding, mode)``; a subclass sets ``_mode`` and ``_n``."""

    _mode = None
    _n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._n, type(self).__name__)

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``."""
    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``."""
    _n = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dimension with zeros."""


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dimensions with zeros."""
    _n = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dimensions with zeros."""
    _n = 3


class ReflectionPad1d(_PadNd):
    """Mirror (N, C, L) or (C, L) at its ends, without repeating the edge."""
    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirror (N, C, H, W) or (C, H, W) at its edges, without repeating them."""
    _n = 2


class ReflectionPad3d(ReflectionPad1d):
    """Mirror (N, C, D, H, W) or (C, D, H, W) at its faces."""
    _n = 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of (N, C, L) or (C, L)."""
    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edge values of (N, C, H, W) or (C, H, W)."""
    _n = 2


class ReplicationPad3d(ReplicationPad1d):
    """Repeat the edge values of (N, C, D, H, W) or (C, D, H, W)."""
    _n = 3


class CircularPad1d(_PadNd):
    """Wrap (N, C, L) or (C, L) around (periodic boundary)."""
    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Wrap (N, C, H, W) or (C, H, W) around in both spatial dimensions."""
    _n = 2


class CircularPad3d(CircularPad1d):
    """Wrap (N, C, D, H, W) or (C, D, H, W) around in the three spatial dimensions."""
    _n = 3
