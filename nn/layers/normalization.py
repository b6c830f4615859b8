"""``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``.

Parameters and buffers have PyTorch's names, shapes and order (``weight``, ``bias``,
``running_mean``, ``running_var``, ``num_batches_tracked``), so a PyTorch state_dict
loads as is.
"""
import numpy as np

import autograd as ag
from .. import functional as F
from ..module import Module, Parameter
from . import checks
from ..overwrite import overwrite_
from .device import check_device

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm",
           "RMSNorm"]


def _dtype(dtype):
    return np.dtype(dtype or ag.get_default_dtype())


def _register_affine(module, shape, affine, bias, dtype):
    """Register the learnable scale and shift of y = γ x̂ + β on ``module``: ``weight`` γ
    = ones(shape) and ``bias`` β = zeros(shape), or None when not ``affine`` (β also None
    when not ``bias``), in PyTorch's order (weight, then bias)."""
    if affine:
        module.weight = Parameter(np.ones(shape, _dtype(dtype)))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(np.zeros(shape, _dtype(dtype)))
    else:
        module.register_parameter("bias", None)


class _NormBase(Module):
    """Shared state of the batch/instance norms: affine params and running stats."""

    _STATE_OPTIONAL = ("num_batches_tracked",)   # old checkpoints lack it (PyTorch)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        name = type(self).__name__
        self.num_features = checks.count(name, "num_features", num_features)
        self.eps = checks.real(name, "eps", eps, 0)
        self.momentum = momentum if momentum is None else checks.real(
            name, "momentum", momentum, 0, 1)
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _dtype(dtype)
        _register_affine(self, num_features, affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", ag.Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", ag.Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", ag.Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def _check_input_dim(self, input):  # noqa: A002
        pass

    def _average_factor(self):
        """The momentum for this step: ``momentum``, or 1 / num_batches when it is None
        (a cumulative moving average). Counts the batch when training."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        return factor

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims = ()

    def _check_input_dim(self, input):  # noqa: A002
        if input.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{type(self).__name__}: expected {want} input "
                             f"(got {input.ndim}D input of shape {input.shape})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): input of shape "
                             f"{input.shape} has {input.shape[1]} channels at dim 1")

    def forward(self, input):  # noqa: A002
        """Batch statistics when training (or without running stats), else running ones."""
        x = ag.as_tensor(input)
        self._check_input_dim(x)
        factor = self._average_factor()
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs."""
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs."""
    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) inputs."""
    _dims = (5,)


class _InstanceNorm(_NormBase):
    _dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):  # noqa: A002
        x = ag.as_tensor(input)
        unbatched = x.ndim == self._dims[0]
        if unbatched:
            x = ag.unsqueeze(x, 0)                       # (1, C, ...)
        if x.ndim != self._dims[1]:
            raise ValueError(f"{type(self).__name__}: expected {self._dims[0]}D or "
                             f"{self._dims[1]}D input, got shape {x.shape}")
        factor = 0.0 if self.momentum is None else self.momentum   # no batch counting
        use_input = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_input, factor, self.eps)
        return ag.squeeze(y, 0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    _dims = (4, 5)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims; ``weight``/``bias`` have
    that shape (``elementwise_affine``; ``bias=False`` drops the bias)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            checks.count("LayerNorm", "normalized_shape", n) for n in normalized_shape)
        self.eps = checks.real("LayerNorm", "eps", eps, 0)
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input):  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise groups of ``num_channels // num_groups`` channels per sample."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        checks.count("GroupNorm", "num_groups", num_groups)
        checks.count("GroupNorm", "num_channels", num_channels)
        checks.real("GroupNorm", "eps", eps, 0)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got "
                             f"{num_channels} and {num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, num_channels, affine, bias, dtype)

    def forward(self, input):  # noqa: A002
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        checks.count("LocalResponseNorm", "size", size)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """x / sqrt(mean(x²) + eps) over the trailing ``normalized_shape`` dims, times a
    learnable ``weight`` of that shape (ones; ``elementwise_affine=False``: none).
    ``eps=None`` uses the machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        check_device(device, "RMSNorm")
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        if any(int(n) <= 0 for n in self.normalized_shape):
            raise ValueError(f"RMSNorm: normalized_shape must be positive sizes, got "
                             f"{self.normalized_shape}")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, _dtype(dtype)))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            overwrite_(self.weight, 1)

    def forward(self, input):  # noqa: A002
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
