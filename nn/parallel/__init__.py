"""Data-parallel training over MPI (mpi4py), with PyTorch's names and semantics.

* ``DistributedDataParallel(module, ...)``: one replica per rank; rank 0's weights are
  copied to every rank at construction and every backward averages the gradients
  over the ranks (flat buckets, one ``Iallreduce`` each); ``no_sync()`` accumulates.
* ``nn.SyncBatchNorm`` (in ``nn``) normalises with the statistics of all ranks' batches;
  ``nn.data.DistributedSampler`` (in ``nn.data``) gives each rank its share of the data.
* ``get_rank()``, ``get_world_size()``, ``is_available()``, ``abort_on_error()``.

mpi4py is imported on first use only: ``import nn`` works without it, and every
entry point here raises an ImportError saying how to install it
(``pip install 'glassgrad[distributed]'``). Run a script on K processes with
``mpiexec -n K python script.py``; see docs/distributed.md.
"""
from .comm import (DEFAULT_TIMEOUT, abort_on_error, get_rank,  # noqa: F401
                   get_world_size, is_available)
from .distributed import (DistributedDataParallel,  # noqa: F401
                          consume_prefix_in_state_dict_if_present)
from .sync_batchnorm import all_reduce_sum, sync_batch_norm  # noqa: F401

__all__ = ["DistributedDataParallel", "consume_prefix_in_state_dict_if_present",
           "all_reduce_sum", "sync_batch_norm", "get_rank", "get_world_size",
           "is_available", "abort_on_error", "DEFAULT_TIMEOUT"]
