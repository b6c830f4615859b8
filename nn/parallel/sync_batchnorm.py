"""Batch norm whose statistics cover the whole global batch, split over MPI ranks.

With K ranks each holding a part x_r of the batch (n_r values per channel, M in all),

    mean = (1/M) sum_r sum(x_r),   var = (1/M) sum_r sum((x_r - mean)^2),
    y_r  = (x_r - mean) / sqrt(var + eps) * weight + bias,

exactly what one process computes on the concatenated batch, so a model with
``SyncBatchNorm`` trains under ``DistributedDataParallel`` as it would in one process.

The only new operation is the sum over ranks, ``all_reduce_sum``: the autograd
primitive ``autograd.ops.all_reduce_sum``, given this communicator as its group
(``comm.Group``). Everything else (the mean, the centred values, the variance, the
normalisation, the affine part) is composed of ordinary autograd ops, so its gradient
is the engine's, the same as ``F.batch_norm``'s. Every rank's output of the sum is the
sum of every rank's input, so the gradient reaching rank r's input is the sum over
ranks of the upstream gradients,

    d(sum_q L_q)/d s_r = sum_q dL_q/d y_q      (y_q = sum_r s_r on every rank q),

i.e. another all-reduce: the primitive's VJP, which communicates during backward.
With DDP averaging the parameter gradients afterwards, each rank ends with the
gradient of the mean of the ranks' losses, as in one process.

The variance is computed in two passes (mean first, then the centred squares), as
``F.batch_norm`` does, rather than from a sum of squares in one message: two small
all-reduces per layer instead of one, in exchange for no cancellation error, which is
what lets a K-rank run match a one-process run to 1e-10.
"""
import numpy as np

import autograd as ag

from ..functional.normalization import _affine, _aux, _channel_view, _update_running
from . import comm as C

__all__ = ["all_reduce_sum", "sync_batch_norm"]


def all_reduce_sum(x, comm=None, timeout=None, what="an all-reduce"):
    """Differentiable sum of the Tensor ``x`` over the ranks of ``comm`` (default
    ``COMM_WORLD``); its backward is the all-reduce of the gradient."""
    group = C.Group(C.world(comm), C.check_timeout(timeout, "all_reduce_sum"))
    return ag.ops.all_reduce_sum(ag.as_tensor(x), group=group, what=what)


def sync_batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
                    momentum=0.1, eps=1e-5, comm=None, timeout=None, name="SyncBatchNorm"):
    """Training-mode batch norm over the union of every rank's batch (see module doc).

    Updates ``running_mean`` / ``running_var`` (if given) in place with the global mean
    and the global unbiased variance, like ``F.batch_norm(training=True)``.
    """
    x = ag.as_tensor(input)
    weight, bias = _aux(weight, x), _aux(bias, x)
    group = C.Group(C.world(comm), C.check_timeout(timeout, name))
    ndim, channels = x.ndim, x.shape[1]
    axes = (0,) + tuple(range(2, ndim))
    n_local = x.size // channels
    # pass 1: the per-channel sums and this rank's count, in one message
    local = ag.concatenate([ag.reshape(ag.sum(x, axis=axes), (channels,)),
                            ag.tensor(np.array([n_local], dtype=x.dtype))])
    total = ag.ops.all_reduce_sum(local, group=group,
                                  what=f"{name}'s batch sums ({channels} channels)")
    count = float(total.data[channels])
    if count <= 1:
        raise ValueError(f"{name}: expected more than 1 value per channel over all ranks "
                         f"when training, got input size {x.shape} on this rank and "
                         f"{count:g} values per channel in all")
    mean = _channel_view(total[:channels], ndim) / count            # (1, C, 1, ...)
    centered = x - mean
    # pass 2: the sums of squared deviations from the global mean
    squares = ag.sum(centered * centered, axis=axes, keepdims=True)  # (1, C, 1, ...)
    var = ag.ops.all_reduce_sum(squares, group=group,
                                what=f"{name}'s batch variances ({channels} channels)") / count
    y = centered / ag.sqrt(var + eps)
    if running_mean is not None:
        _update_running(running_mean, mean.data.reshape(-1), momentum)
    if running_var is not None:
        _update_running(running_var, var.data.reshape(-1) * (count / (count - 1)), momentum)
    return _affine(y, weight, bias, lambda t: _channel_view(t, ndim))
