"""``Upsample`` and its fixed-mode variants (thin Modules over ``F.interpolate``).

>>> nn.Upsample(scale_factor=2, mode="bilinear")(ag.randn(1, 1, 3, 3)).shape
(1, 1, 6, 6)
"""
from .. import functional as F
from ..functional.upsample import _MODES as RESIZE_MODES
from ..module import Module
from . import checks
from .device import check_positive

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle", "ChannelShuffle"]


class Upsample(Module):
    """Resize by ``size`` or ``scale_factor`` with ``mode`` "nearest", "nearest-exact",
    "linear" or "bilinear" (``align_corners`` for the linear modes), as PyTorch."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        _check_resize(type(self).__name__, size, scale_factor, mode)
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            else scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):  # noqa: A002
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners, self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode="nearest")``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode="bilinear", align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C r², H, W) -> (*, C, H r, W r) (sub-pixel upsampling)."""

    def __init__(self, upscale_factor):
        super().__init__()
        check_positive("PixelShuffle", upscale_factor=upscale_factor)
        self.upscale_factor = upscale_factor

    def forward(self, input):  # noqa: A002
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r², H, W), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor):
        super().__init__()
        check_positive("PixelUnshuffle", downscale_factor=downscale_factor)
        self.downscale_factor = downscale_factor

    def forward(self, input):  # noqa: A002
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of ``groups`` groups (ShuffleNet)."""

    def __init__(self, groups):
        super().__init__()
        check_positive("ChannelShuffle", groups=groups)
        self.groups = groups

    def forward(self, input):  # noqa: A002
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


def _check_resize(name, size, scale_factor, mode):
    """Upsample's arguments: exactly one of ``size`` (positive ints) and ``scale_factor``
    (positive numbers), and a known mode (PyTorch checks these in the forward)."""
    checks.choice(name, "mode", mode, tuple(RESIZE_MODES))
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor, got size={size!r}"
                         f" and scale_factor={scale_factor!r}")
    for n in (size if isinstance(size, (tuple, list)) else (size,)) if size is not None else ():
        checks.count(name, "size", n)
    factors = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,)
    for f in factors if scale_factor is not None else ():
        checks.real(name, "scale_factor", f, 0, strict=True)
