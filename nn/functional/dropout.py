"""Dropout: zero elements (or whole channels) with probability ``p`` while training and
scale the survivors by 1 / (1 - p) (inverted dropout), so evaluation is the identity.

Masks are drawn from ``ag.get_rng()``: ``ag.manual_seed(s)`` reproduces them.

>>> import autograd as ag, nn.functional as F
>>> y = F.dropout(ag.ones(8), p=0.5, training=True)
>>> sorted(set(y.tolist()) | {0.0})           # survivors scaled by 1 / (1 - p): E[y] = x
[0.0, 2.0]
"""
import numpy as np

import autograd as ag

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


def _check_p(p, name):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, "
                         f"but got {p}")


def _masked(x, mask_shape, p):
    """x * keep / (1 - p) with keep ~ Bernoulli(1 - p) of ``mask_shape`` (broadcast)."""
    if p == 1.0:
        return x * np.zeros(mask_shape, dtype=x.dtype)
    keep = ag.get_rng().random(mask_shape) >= p
    scale = keep.astype(x.dtype) / np.asarray(1.0 - p, dtype=x.dtype)
    return x * scale


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` (when ``training``), scale by 1/(1-p)."""
    _check_p(p, "dropout")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    return _masked(x, x.shape, p)


def _feature_dropout(input, p, training, name, spatial):  # noqa: A002
    _check_p(p, name)
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{name}: expected a {spatial + 1}D (unbatched) or "
                         f"{spatial + 2}D input, got shape {x.shape}")
    channel_dims = x.ndim - spatial                 # (N, C) or (C,)
    mask_shape = x.shape[:channel_dims] + (1,) * spatial
    return _masked(x, mask_shape, p)


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    return _feature_dropout(input, p, training, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels (feature maps) of (N, C, H, W) inputs.

    A 3-d input is taken as (N, C, L) (channel-wise 1-d dropout), as PyTorch does.
    """
    x = ag.as_tensor(input)
    if x.ndim == 3:
        return _feature_dropout(x, p, training, "dropout2d", 1)
    return _feature_dropout(x, p, training, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    return _feature_dropout(input, p, training, "dropout3d", 3)


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Dropout for SELU networks: dropped values become the SELU saturation value and an
    affine map keeps mean and variance."""
    _check_p(p, "alpha_dropout")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    alpha_p = -1.7580993408473766
    keep = (ag.get_rng().random(x.shape) >= p).astype(x.dtype)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    return (x * keep + alpha_p * (1 - keep)) * a + b
