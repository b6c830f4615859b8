"""``SyncBatchNorm``: batch norm with statistics over every rank's batch (PyTorch's).

In training mode under MPI with more than one rank, the mean and variance are those
of the global batch (all ranks' samples together), so K ranks with B/K samples each
normalise exactly as one process with B samples would; see
``nn.parallel.sync_batchnorm`` for the math and its gradient. In eval mode, or in a
single process, or before MPI is in use (no ``DistributedDataParallel`` or mpi4py
import yet and no ``process_group`` given), it is ``BatchNorm`` over the local batch.

Plain ``BatchNorm`` under ``DistributedDataParallel`` normalises each rank's share
separately (statistics of B/K samples, not B) and keeps rank 0's running statistics
(DDP copies buffers from rank 0 at each training forward). Convert a model with
``nn.SyncBatchNorm.convert_sync_batchnorm(model)`` before wrapping it.

>>> import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
>>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
>>> model[1]
SyncBatchNorm(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""
import sys

import autograd as ag
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, ...) inputs whose batch is split over MPI ranks.

    ``process_group``: an mpi4py communicator (default ``MPI.COMM_WORLD``).
    Parameters, buffers and their names are BatchNorm's, so state_dicts carry over.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):  # noqa: A002
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             f"input of shape {input.shape})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}): input of shape "
                             f"{input.shape} has {input.shape[1]} channels at dim 1")

    def _communicator(self):
        """The communicator to reduce over, or None to normalise locally."""
        if self.process_group is not None:
            comm = self.process_group
        elif "mpi4py.MPI" in sys.modules:         # MPI is in use in this process
            comm = sys.modules["mpi4py.MPI"].COMM_WORLD
        else:
            return None
        return comm if comm.Get_size() > 1 else None

    def forward(self, input):  # noqa: A002
        comm = self._communicator() if self.training else None
        if comm is None:                              # eval, one rank, or no MPI in use
            return super().forward(input)
        x = ag.as_tensor(input)
        self._check_input_dim(x)
        factor = self._average_factor()
        track = self.track_running_stats
        from ..parallel.sync_batchnorm import sync_batch_norm
        return sync_batch_norm(x, self.running_mean if track else None,
                               self.running_var if track else None, self.weight, self.bias,
                               factor, self.eps, comm=comm)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm1d/2d/3d in ``module`` by a SyncBatchNorm sharing its
        parameters and buffers (same objects: an optimizer built before still works);
        returns the converted module (the root itself may be replaced)."""
        output = module
        if isinstance(module, _BatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         dtype=module.weight.dtype if module.affine else None)
            if module.affine:
                output.weight = module.weight
                output.register_parameter("bias", module.bias)
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
