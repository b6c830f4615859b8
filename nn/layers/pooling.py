"""Pooling layers (thin Modules over ``nn.functional``; no parameters).

>>> nn.MaxPool2d(2)(ag.randn(1, 3, 8, 8)).shape
(1, 3, 4, 4)
"""
from .. import functional as F
from ..functional.conv import ntuple
from ..module import Module
from . import checks

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxPoolNd(Module):
    """Shared options and forward of MaxPool1d/2d/3d; ``_fn`` is the functional form."""

    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        checks.window(type(self).__name__, self._n, kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):  # noqa: A002
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L); the gradient goes to each window's first max."""

    _n = 1
    _fn = staticmethod(F.max_pool1d)
    _n = 1


class MaxPool2d(_MaxPoolNd):
    """Max over windows of (N, C, H, W): ``stride`` defaults to ``kernel_size``, padding
    is -inf; the gradient goes to each window's first maximum (PyTorch's rule)."""

    _n = 2
    _fn = staticmethod(F.max_pool2d)
    _n = 2


class MaxPool3d(_MaxPoolNd):
    """Max over windows of (N, C, D, H, W); see MaxPool2d."""

    _n = 3
    _fn = staticmethod(F.max_pool3d)
    _n = 3


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) (zero padding counted if count_include_pad)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        checks.window("AvgPool1d", 1, kernel_size, stride, padding)
        # 1-tuples, as PyTorch stores (and prints) them for AvgPool1d only
        self.kernel_size = ntuple(kernel_size, 1, "kernel_size", "AvgPool1d")
        self.stride = ntuple(stride if stride is not None else kernel_size, 1, "stride",
                             "AvgPool1d")
        self.padding = ntuple(padding, 1, "padding", "AvgPool1d")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W): the divisor is the window size including
    zero padding (``count_include_pad=True``) or the number of real elements."""

    _n = 2
    _fn = staticmethod(F.avg_pool2d)
    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        checks.window(type(self).__name__, self._n, kernel_size, stride, padding)
        if divisor_override is not None:
            checks.count(type(self).__name__, "divisor_override", divisor_override)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):  # noqa: A002
        return self._fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(AvgPool2d):
    """Mean over windows of (N, C, D, H, W); see AvgPool2d."""

    _n = 3
    _fn = staticmethod(F.avg_pool3d)
    _n = 3


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
        for size in sizes:
            if size is not None:
                checks.count(type(self).__name__, "output_size", size, minimum=0)
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over PyTorch's adaptive bins [floor(i*L/out), ceil((i+1)*L/out))."""

    def forward(self, input):  # noqa: A002
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over PyTorch's adaptive bins in each spatial axis (any output size)."""

    def forward(self, input):  # noqa: A002
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max over PyTorch's adaptive bins (the first maximum gets the gradient)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):  # noqa: A002
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max over PyTorch's adaptive bins of (N, C, L) (the first maximum gets the gradient)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):  # noqa: A002
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Mean over PyTorch's adaptive bins in each of the three spatial axes."""

    def forward(self, input):  # noqa: A002
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(AdaptiveMaxPool1d):
    """Max over PyTorch's adaptive bins of (N, C, D, H, W)."""

    def forward(self, input):  # noqa: A002
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _LPPoolNd(Module):
    """(Σ_window x^p)^(1/p) over windows (``F.lp_pool*d``)."""

    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        if not norm_type > 0:
            raise ValueError(f"{type(self).__name__}: norm_type must be positive, got "
                             f"{norm_type}")
        checks.window(type(self).__name__, self._n, kernel_size, stride)
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):  # noqa: A002
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    _n = 1
    _fn = staticmethod(F.lp_pool1d)
    _n = 1


class LPPool2d(_LPPoolNd):
    _n = 2
    _fn = staticmethod(F.lp_pool2d)
    _n = 2


class LPPool3d(_LPPoolNd):
    _n = 3
    _fn = staticmethod(F.lp_pool3d)
    _n = 3


class _MaxUnpoolNd(Module):
    """Put pooled values back where ``MaxPool*d(return_indices=True)`` found them."""

    _fn = None
    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, n = type(self).__name__, self._n
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride if stride is not None else kernel_size, n, "stride", name)
        self.padding = ntuple(padding, n, "padding", name)

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    _fn = staticmethod(F.max_unpool2d)
    _n = 2


class MaxUnpool3d(_MaxUnpoolNd):
    _fn = staticmethod(F.max_unpool3d)
    _n = 3
