"""Batch, layer and group normalisation, composed of autograd ops.

All three compute x_hat = (x - mean) / sqrt(var + eps) with the biased variance
(divide by n) over their axes, then y = gamma * x_hat + beta. The gradient flows
through mean and var, so it is the full normalisation gradient, not an
approximation.

>>> import numpy as np, autograd as ag, nn.functional as F
>>> x = ag.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
>>> F.layer_norm(x, (3,))                            # over the last dim
tensor([[-1.2247,  0.    ,  1.2247],
        [-1.2247,  0.    ,  1.2247]])
>>> rm, rv = np.zeros(3), np.ones(3)
>>> y = F.batch_norm(x, rm, rv, training=True, momentum=0.5)   # updates rm, rv
>>> rm, rv                                           # rv gets the unbiased variance
(array([0.75, 1.5 , 2.25]), array([0.75, 1.5 , 2.75]))
"""
import numpy as np

import autograd as ag
from ..overwrite import overwrite_
from .distance import vector_norm

__all__ = ["batch_norm", "layer_norm", "rms_norm", "group_norm", "instance_norm",
           "normalize", "local_response_norm"]


def _aux(value, like):
    """NumPy weights/statistics in the input's dtype (no float64 upcast of a float32
    input); Tensors are used as given."""
    if value is None or isinstance(value, ag.Tensor):
        return value
    return ag.Tensor(np.asarray(value, dtype=like.dtype))


def _channel_view(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast against an (N, C, ...) input."""
    return ag.reshape(t, (1, -1) + (1,) * (ndim - 2))


def _affine(y, weight, bias, view):
    if weight is not None:
        y = y * view(weight)
    if bias is not None:
        y = y + view(bias)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and spatial dims.

    training: use the batch's mean and biased variance, and (if given) update
        running_mean <- (1 - momentum) running_mean + momentum mean
        running_var  <- (1 - momentum) running_var  + momentum var * n / (n - 1)
    in place (running_var gets the UNBIASED variance, as in PyTorch).
    not training: use running_mean and running_var.
    """
    x = ag.as_tensor(input)
    weight, bias = _aux(weight, x), _aux(bias, x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with a channel dim (N, C, ...), "
                         f"got shape {x.shape}")
    ndim = x.ndim
    view = (lambda t: _channel_view(t, ndim))  # noqa: E731
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when "
                             "training=False")
        mean, var = view(_aux(running_mean, x)), view(_aux(running_var, x))
        y = (x - mean) / ag.sqrt(var + eps)
        return _affine(y, weight, bias, view)
    axes = (0,) + tuple(range(2, ndim))
    n = x.size // x.shape[1]
    if n <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape}")
    mean = ag.mean(x, axis=axes, keepdims=True)                   # (1, C, 1, ...)
    centered = x - mean
    var = ag.mean(centered * centered, axis=axes, keepdims=True)  # biased
    y = centered / ag.sqrt(var + eps)
    if running_mean is not None:
        _update_running(running_mean, mean.data.reshape(-1), momentum)
    if running_var is not None:
        _update_running(running_var, var.data.reshape(-1) * (n / (n - 1)), momentum)
    return _affine(y, weight, bias, view)


def _update_running(buffer, batch_value, momentum):
    """buffer <- (1 - momentum) buffer + momentum batch_value, in place, no graph."""
    arr = buffer.data if isinstance(buffer, ag.Tensor) else buffer
    overwrite_(buffer, (1.0 - momentum) * arr + momentum * batch_value.astype(arr.dtype))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the last ``len(normalized_shape)`` dims (each sample separately)."""
    x = ag.as_tensor(input)
    weight, bias = _aux(weight, x), _aux(bias, x)
    axes = _trailing_axes(x, normalized_shape, "layer_norm")
    mean = ag.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = ag.mean(centered * centered, axis=axes, keepdims=True)
    y = centered / ag.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _trailing_axes(x, normalized_shape, name):
    """The last ``len(normalized_shape)`` axes of ``x``, whose sizes must be those."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if x.shape[x.ndim - k:] != normalized_shape or k > x.ndim:
        raise ValueError(
            f"{name}: given normalized_shape={list(normalized_shape)}, expected input "
            f"with shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
            f"size {x.shape}")
    return tuple(range(x.ndim - k, x.ndim))


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """x / sqrt(mean(x²) + eps) over the trailing ``normalized_shape`` dims, times
    ``weight``; ``eps=None`` is the machine epsilon of x's dtype (as PyTorch)."""
    x = ag.as_tensor(input)
    weight = _aux(weight, x)
    axes = _trailing_axes(x, normalized_shape, "rms_norm")
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    y = x / ag.sqrt(ag.mean(x * x, axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Split the C channels into ``num_groups`` groups and normalise each group of each
    sample over its channels and spatial positions; then a per-channel affine."""
    x = ag.as_tensor(input)
    weight, bias = _aux(weight, x), _aux(bias, x)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected an input (N, C, ...), got shape {x.shape}")
    n, c = x.shape[:2]
    if c % num_groups:
        raise ValueError(f"group_norm: num_channels={c} must be divisible by "
                         f"num_groups={num_groups} (input shape {x.shape})")
    grouped = ag.reshape(x, (n, num_groups, -1))                  # (N, G, C/G * spatial)
    mean = ag.mean(grouped, axis=2, keepdims=True)
    centered = grouped - mean
    var = ag.mean(centered * centered, axis=2, keepdims=True)
    y = ag.reshape(centered / ag.sqrt(var + eps), x.shape)        # (N, C, ...)
    return _affine(y, weight, bias, lambda t: _channel_view(t, x.ndim))


def instance_norm(input, running_mean=None, running_var=None, weight=None,  # noqa: A002
                  bias=None, use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample over its spatial dims."""
    x = ag.as_tensor(input)
    weight, bias = _aux(weight, x), _aux(bias, x)
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, x.ndim))
    mean = ag.mean(x, axis=axes, keepdims=True)                   # (N, C, 1, ...)
    centered = x - mean
    var = ag.mean(centered * centered, axis=axes, keepdims=True)
    if running_mean is not None:
        _update_running(running_mean, mean.data.mean(axis=0).reshape(-1), momentum)
    if running_var is not None:
        m = int(np.prod(x.shape[2:]))
        unbiased = var.data.mean(axis=0).reshape(-1) * (m / (m - 1))
        _update_running(running_var, unbiased, momentum)
    y = centered / ag.sqrt(var + eps)
    return _affine(y, weight, bias, lambda t: _channel_view(t, x.ndim))


def normalize(input, p=2.0, dim=1, eps=1e-12):  # noqa: A002
    """x / max(||x||_p, eps) along ``dim``."""
    x = ag.as_tensor(input)
    if p == 2:      # zero-safe: a zero row has gradient g / eps, not 0 * inf = NaN
        norm = vector_norm(x, 2.0, dim, keepdim=True)
    else:
        norm = ag.sum(ag.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / ag.where(norm.data < eps, eps, norm)     # a NaN norm stays NaN


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):  # noqa: A002
    """x / (k + alpha/size * sum of x² over ``size`` neighbouring channels)^beta."""
    x = ag.as_tensor(input)
    sq = x * x
    half = size // 2
    widths = [(0, 0)] * x.ndim
    widths[1] = (half, (size - 1) // 2)
    padded = ag.pad(sq, widths)
    c = x.shape[1]
    window = padded[:, 0:c]
    for i in range(1, size):
        window = window + padded[:, i:i + c]
    return x / (k + alpha / size * window) ** beta
