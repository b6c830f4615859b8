"""``--distributed``: the demo as data-parallel training over MPI.

``mpiexec -n K python -m glassgrad.demo --distributed`` runs K copies of the demo. Each
builds the same split and model; ``nn.parallel.DistributedDataParallel`` copies rank
0's weights to all and averages the gradients of every step. ``--batch-size`` stays
the global batch: each rank takes ceil(B / K) samples of it through a
``DistributedSampler`` (reshuffled every epoch from the seed), so a run, and a resumed
run, means the same thing whatever K is. The train loss and accuracy recorded for an
epoch are averaged over the ranks; every rank evaluates the whole (small) validation
set, so early stopping decides the same everywhere.

Rank 0 alone prints (the others' standard output is discarded), shows the progress
bar and writes the checkpoint (atomically, with the plain model's keys, so it resumes
with any number of ranks, or without MPI), the curves and the graph.
"""
import contextlib
import math
import os
import sys

import numpy as np

import nn
from nn.data import DataLoader, DistributedSampler, TensorDataset

from .cli import DemoError


class Distributed:
    """This process's place in the job, and the demo's distributed pieces."""

    def __init__(self):
        try:
            self.comm = nn.parallel.comm.world()
        except ImportError as exc:
            raise DemoError(f"--distributed: {exc}") from None
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.is_root = self.rank == 0
        self.wrapped = False            # collectives started: errors must abort the job

    def wrap(self, model):
        self.wrapped = True
        return nn.parallel.DistributedDataParallel(model, comm=self.comm)

    def local_batch(self, batch_size):
        return math.ceil(batch_size / self.size)

    def train_loader(self, X, y, cfg):
        ds = TensorDataset(X, y)
        sampler = DistributedSampler(ds, num_replicas=self.size, rank=self.rank,
                                     shuffle=True, seed=cfg["seed"])
        return DataLoader(ds, batch_size=self.local_batch(cfg["batch_size"]),
                          sampler=sampler)

    def describe(self, batch_size):
        per_rank = self.local_batch(batch_size)
        text = f"{self.size} MPI rank(s) x {per_rank} samples"
        if per_rank * self.size != batch_size:
            text += f" (= {per_rank * self.size} per step: --batch-size {batch_size} " \
                    f"does not split evenly)"
        return text

    def average_last(self, history, keys=("train_loss", "train_acc")):
        """Replace the newest row's ``keys`` by their mean over the ranks (the ranks
        see equally many samples per epoch, so the mean of means is the mean)."""
        values = np.array([history.columns[k][-1] for k in keys], dtype=np.float64)
        nn.parallel.comm.allreduce_(values, self.comm, nn.parallel.comm.default_timeout(),
                                    "the demo's epoch metrics")
        for k, v in zip(keys, values / self.size):
            history.columns[k][-1] = float(v)

    def abort(self, code):
        nn.parallel.comm.abort(self.comm, "stopping the job after the error above", code)


def setup(args):
    """A ``Distributed`` for ``--distributed`` runs, else None."""
    return Distributed() if getattr(args, "distributed", False) else None


def strip_module_prefix(state):
    """A DDP state_dict (``module.`` keys) as the plain model's, for checkpoints."""
    if state:
        state = dict(state)
        nn.parallel.consume_prefix_in_state_dict_if_present(state, "module.")
    return state


@contextlib.contextmanager
def only_root_prints(dist):
    """Discard standard output on ranks other than 0."""
    if dist is None or dist.is_root:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield
    sys.stdout.flush()
