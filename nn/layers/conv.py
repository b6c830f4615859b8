"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Thin Modules over ``nn.functional`` with PyTorch's parameter names, layouts and
default initialisation: ``weight`` is (C_out, C_in/groups, *kernel) for a convolution
and (C_in, C_out/groups, *kernel) for a transposed one, drawn with
``kaiming_uniform_(a=sqrt(5))`` (i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))), and ``bias``
(C_out,) ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

>>> conv = nn.Conv2d(1, 6, 5)
>>> conv(ag.randn(8, 1, 28, 28)).shape
(8, 6, 24, 24)
"""
from .. import functional as F
from .. import init
from . import checks
from ..functional.conv import ntuple
from ..module import Module
from .device import check_device
from .linear import _register_weight_and_bias

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Unfold", "Fold"]


class _ConvNd(Module):
    """Shared constructor, init, forward and repr of the convolution layers; a subclass
    names its functional form in ``_fn`` and its number of spatial dims in ``_nsp``."""

    _nsp = 2
    _transposed = False
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", output_padding=0,
                 device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._nsp
        check_device(device, name)
        checks.count(name, "in_channels", in_channels)
        checks.count(name, "out_channels", out_channels)
        checks.count(name, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, "
                             f"got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding mode is supported for '
                             f"{name}, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple"
                                 f"{'' if self._transposed else ', same or valid'}, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        if any(p >= max(s, d) for p, s, d in zip(self.output_padding, self.stride,
                                                 self.dilation)):
            raise ValueError(f"{name}: output_padding {self.output_padding} must be smaller "
                             f"than either stride {self.stride} or dilation {self.dilation}")
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        _register_weight_and_bias(self, shape, out_channels, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input):  # noqa: A002
        if self.padding_mode != "zeros":    # reflect/replicate/circular: pad, then convolve
            return self._fn(F.pad(input, self._pad_widths(), mode=self.padding_mode),
                            self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def _pad_widths(self):
        """``self.padding`` as F.pad's (left, right) pairs, last dimension first (PyTorch's
        ``_reversed_padding_repeated_twice``); 'same' puts the odd pixel at the end."""
        widths = []
        for i in reversed(range(self._nsp)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                widths += [total // 2, total - total // 2]
            elif self.padding == "valid":
                widths += [0, 0]
            else:
                widths += [self.padding[i]] * 2
        return tuple(widths)

    def extra_repr(self):
        n = self._nsp
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L): weight (C_out, C_in/groups, K)."""

    _nsp = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W): weight (C_out, C_in/groups, KH, KW).

    ``H_out = (H + 2p - d(KH - 1) - 1) // s + 1``; ``padding`` may be ``"same"``
    (stride 1) or ``"valid"``; ``groups=in_channels`` gives a depthwise convolution.
    """

    _fn = staticmethod(F.conv2d)


class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W): weight (C_out, C_in/groups, KD, KH, KW)."""

    _nsp = 3
    _fn = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def forward(self, input, output_size=None):  # noqa: A002
        return self._fn(input, self.weight, self.bias, self.stride, self.padding,
                        self._output_padding(input, output_size), self.groups,
                        self.dilation)

    def _output_padding(self, input, output_size):  # noqa: A002
        """The output_padding that makes the output exactly ``output_size``."""
        if output_size is None:
            return self.output_padding
        n = self._nsp
        size = tuple(output_size)[-n:]
        pads = []
        for i in range(n):
            smallest = ((input.shape[-n + i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = size[i] - smallest
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: output_size {tuple(output_size)}"
                                 f" is not reachable from input {input.shape}")
            pads.append(extra)
        return tuple(pads)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution: weight (C_in, C_out/groups, K)."""

    _nsp = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution: weight (C_in, C_out/groups, KH, KW);
    ``H_out = (H - 1)s - 2p + d(KH - 1) + output_padding + 1``."""

    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution: weight (C_in, C_out/groups, KD, KH, KW)."""

    _nsp = 3
    _fn = staticmethod(F.conv_transpose3d)


class Unfold(Module):
    """im2col: (N, C, H, W) -> (N, C*KH*KW, L) (see ``F.unfold``)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _check_patches("Unfold", kernel_size=kernel_size, dilation=dilation,
                       padding=padding, stride=stride)
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):  # noqa: A002
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """col2im, the adjoint of Unfold: (N, C*KH*KW, L) -> (N, C, H, W)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        _check_patches("Fold", output_size=output_size, kernel_size=kernel_size,
                       dilation=dilation, padding=padding, stride=stride)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):  # noqa: A002
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


def _check_patches(name, **args):
    """Fold/Unfold's 2-d sizes: each an int or 2 ints, within ``ntuple``'s bounds."""
    for what, value in args.items():
        ntuple(value, 2, what, name)
