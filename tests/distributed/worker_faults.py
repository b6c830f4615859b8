"""Run under ``mpiexec -n K``: rank 1 goes wrong at step 3 in the way argv[1] names.

raise       an uncaught exception (DDP's abort_on_error turns it into MPI_Abort)
kill        SIGKILL (mpiexec notices the dead process and ends the others)
stop        leaves the training loop early and exits normally: rank 0 waits for the
            next gradient allreduce until the timeout, then aborts the job
raise_early an exception before DDP is built (no hook yet): rank 0 waits at DDP's
            construction until the timeout
Rank 0 prints "finished" if it ever gets to the end (it must not).
"""
import os
import signal
import sys

import numpy as np

import autograd as ag
import nn
import optim
from nn.parallel import DistributedDataParallel as DDP

from mpi4py import MPI

MODE = sys.argv[1]
RANK = MPI.COMM_WORLD.Get_rank()


def fail(where):
    if RANK != 1 or MODE not in where:
        return
    print(f"rank 1: injecting {MODE!r}", flush=True)
    if MODE.startswith("raise"):
        raise RuntimeError("injected failure on rank 1")
    if MODE == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if MODE == "stop":
        sys.exit(0)


fail(("raise_early",))
ag.manual_seed(RANK)
ddp = DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
opt = optim.SGD(ddp.parameters(), lr=0.1)
rng = np.random.default_rng(RANK)
for step in range(20):
    if step == 3:
        fail(("raise", "kill", "stop"))
    x, y = ag.tensor(rng.normal(size=(8, 4))), ag.tensor(rng.integers(0, 2, size=8))
    loss = nn.functional.cross_entropy(ddp(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"rank {RANK}: finished", flush=True)
