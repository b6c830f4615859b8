"""Dropout: zero elements (or whole channels) with probability ``p`` while training and
scale the survivors by 1 / (1 - p) (inverted dropout), so evaluation is the identity.

Masks are drawn from ``ag.get_rng()``: ``ag.manual_seed(s)`` reproduces them.
``inplace=True`` writes the result into the input (see ``autograd.inplace.rebase_``).

>>> import autograd as ag, nn.functional as F
>>> y = F.dropout(ag.ones(8), p=0.5, training=True)
>>> sorted(set(y.tolist()) | {0.0})           # survivors scaled by 1 / (1 - p): E[y] = x
[0.0, 2.0]
"""
import functools

import numpy as np

import autograd as ag
from autograd.inplace import rebase_

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


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


def _run(x, fn, inplace, opname):
    """``fn(x)``, written into ``x`` itself when ``inplace``."""
    return rebase_(x, fn, opname) if inplace else fn(x)


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability ``p`` (when ``training``), scale by 1/(1-p)."""
    _check_p(p, "dropout")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    return _run(x, functools.partial(_masked, mask_shape=x.shape, p=p), inplace, "dropout_")


def _channel_mask_shape(x, name, spatial):
    """(N, C, 1, ...) or (C, 1, ...): one mask value per channel."""
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{name}: expected a {spatial + 1}D (unbatched) or "
                         f"{spatial + 2}D input, got shape {x.shape}")
    channel_dims = x.ndim - spatial                 # (N, C) or (C,)
    return x.shape[:channel_dims] + (1,) * spatial


def _feature_dropout(input, p, training, name, spatial, inplace):  # noqa: A002
    _check_p(p, name)
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    shape = _channel_mask_shape(x, name, spatial)
    return _run(x, functools.partial(_masked, mask_shape=shape, p=p), inplace, name + "_")


def dropout1d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    return _feature_dropout(input, p, training, "dropout1d", 1, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels (feature maps) of (N, C, H, W) inputs.

    A 3-d input is taken as (N, C, L) (channel-wise 1-d dropout), as PyTorch does.
    """
    x = ag.as_tensor(input)
    return _feature_dropout(x, p, training, "dropout2d", 1 if x.ndim == 3 else 2, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    return _feature_dropout(input, p, training, "dropout3d", 3, inplace)


_ALPHA_P = -1.7580993408473766      # -SELU's scale * alpha: where SELU saturates


def _alpha_masked(x, mask_shape, p):
    """Dropped values become SELU's saturation value; an affine map keeps the mean and
    variance: (x keep + α' (1 - keep)) a + b."""
    keep = (ag.get_rng().random(mask_shape) >= p).astype(x.dtype)
    a = ((1 - p) * (1 + p * _ALPHA_P ** 2)) ** -0.5
    b = -a * _ALPHA_P * p
    return (x * keep + _ALPHA_P * (1 - keep)) * a + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Dropout for SELU networks (each element), keeping mean and variance."""
    _check_p(p, "alpha_dropout")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    fn = functools.partial(_alpha_masked, mask_shape=x.shape, p=p)
    return _run(x, fn, inplace, "alpha_dropout_")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):  # noqa: A002
    """Alpha dropout of whole channels of (N, C, *spatial) inputs."""
    _check_p(p, "feature_alpha_dropout")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    if x.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: expected an input with a channel "
                         f"dimension (N, C, ...), got shape {x.shape}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2)
    fn = functools.partial(_alpha_masked, mask_shape=shape, p=p)
    return _run(x, fn, inplace, "feature_alpha_dropout_")
