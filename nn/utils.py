"""Gradient clipping and parameter <-> vector conversion (``nn.utils``), as PyTorch.

>>> import autograd as ag, nn
>>> model = nn.Linear(3, 2)
>>> model(ag.ones((4, 3))).sum().backward()
>>> before = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
>>> float(nn.utils.get_total_norm([p.grad for p in model.parameters()])) <= 1.0
True
>>> nn.utils.parameters_to_vector(model.parameters()).shape
(8,)
"""
import math
import warnings

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.tensor import stored_grad

from .overwrite import overwrite_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_",
           "clip_grad_norm", "skip_init"]


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters):
    """The gradient Tensors (``stored_grad``: a ``Value``'s ``.grad`` reads as a number)."""
    return [g for g in map(stored_grad, _as_list(parameters)) if g is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all tensors together, as if concatenated:

        ||g||_p = (sum_i sum_j |g_ij|^p)^(1/p),    ||g||_inf = max |g_ij|.

    Summed in float64 with NumPy calls only, never a Python float made from the data, so
    that ``ag.compile`` captures a step that clips (a float would be frozen in a trace).
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return ag.tensor(0.0)
    arrays = [np.asarray(t.data if isinstance(t, Tensor) else t) for t in tensors]
    if math.isinf(norm_type):
        per = [np.max(np.abs(a)).astype(np.float64) if a.size else np.zeros((), np.float64)
               for a in arrays]
        total = np.max(np.stack(per))
    else:
        per = [np.sum(np.abs(a.astype(np.float64)) ** norm_type) for a in arrays]
        total = np.sum(np.stack(per)) ** (1.0 / norm_type)     # (NumPy scalar math)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return ag.tensor(np.asarray(total, dtype=arrays[0].dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every gradient in place by min(1, max_norm / (total_norm + 1e-6)), computed
    in float64 (NumPy calls on the norm: see ``get_total_norm``)."""
    total = np.asarray(total_norm.data if isinstance(total_norm, Tensor) else total_norm,
                       dtype=np.float64)
    coef = np.minimum(np.divide(float(max_norm), np.add(total, 1e-6)), 1.0)
    for g in _grads(parameters):
        overwrite_(g, g.data * coef.astype(g.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients so that their joint norm is at most ``max_norm``.

    Every grad is multiplied by min(1, max_norm / (total_norm + 1e-6)) in place.
    Returns the total norm before clipping (a 0-d Tensor), like PyTorch.
    """
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        overwrite_(g, np.clip(g.data, -clip_value, clip_value))


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-d Tensor (differentiable)."""
    flat = [ag.reshape(p, (-1,)) for p in _as_list(parameters)]
    if not flat:
        raise ValueError("parameters_to_vector: no parameters given")
    return ag.concatenate(flat)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place."""
    data = vec.data if isinstance(vec, Tensor) else np.asarray(vec)
    if not isinstance(vec, (Tensor, np.ndarray)):
        raise TypeError(f"expected a Tensor, but got: {type(vec).__name__}")
    if data.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-d vector, got shape "
                         f"{data.shape}")
    params = _as_list(parameters)
    total = sum(p.data.size for p in params)
    if data.size != total:
        raise ValueError(f"vector_to_parameters: the vector has {data.size} elements but "
                         f"the parameters have {total}")
    offset = 0
    for p in params:
        n = p.data.size
        overwrite_(p, data[offset:offset + n].reshape(p.shape))
        offset += n


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """PyTorch's deprecated spelling of ``clip_grad_norm_`` (warns, then clips)."""
    warnings.warn("nn.utils.clip_grad_norm is now deprecated in favor of "
                  "nn.utils.clip_grad_norm_.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)``: PyTorch skips the initialisation (the parameters
    hold whatever memory held); glassgrad initialises as usual, which is one valid
    outcome of "uninitialised". Initialise the parameters yourself afterwards."""
    if "device" in kwargs and kwargs["device"] not in (None, "cpu"):
        raise RuntimeError(f"skip_init: glassgrad runs on the CPU only, got device "
                           f"{kwargs['device']!r}")
    return module_cls(*args, **kwargs)
