"""Power-average pooling ``lp_pool1d/2d/3d``.

LP pooling is PyTorch's formula on top of average pooling:
``(sign(s) relu(|s|) · K)^(1/p)`` with ``s = avg_pool(x^p)`` and K the window size,
i.e. (Σ_window x^p)^(1/p): p = 1 is sum pooling, p -> inf approaches max pooling.

>>> import autograd as ag, nn.functional as F
>>> F.lp_pool1d(ag.tensor([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2)
tensor([[[5., 1.]]])
"""
import autograd as ag

from .conv import ntuple
from .pooling import avg_pool1d, avg_pool2d, avg_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _lp_pool(avg_pool, x, norm_type, kernel_size, stride, ceil_mode, nsp, opname):
    x = ag.as_tensor(x)
    kernel = ntuple(kernel_size, nsp, "kernel_size", opname)
    window = 1
    for k in kernel:
        window *= k
    s = avg_pool(x ** norm_type, kernel, stride, 0, ceil_mode)
    return (ag.sign(s) * ag.relu(ag.abs(s)) * window) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """(Σ_window x^p)^(1/p) over windows of (N, C, L)."""
    return _lp_pool(avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode, 1,
                    "lp_pool1d")


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """(Σ_window x^p)^(1/p) over windows of (N, C, H, W)."""
    return _lp_pool(avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode, 2,
                    "lp_pool2d")


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):  # noqa: A002
    """(Σ_window x^p)^(1/p) over windows of (N, C, D, H, W)."""
    return _lp_pool(avg_pool3d, input, norm_type, kernel_size, stride, ceil_mode, 3,
                    "lp_pool3d")
