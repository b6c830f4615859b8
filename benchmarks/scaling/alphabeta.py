"""Run under ``mpiexec -n 2``: the α–β parameters of this machine's MPI.

* ping-pong: rank 0 sends n bytes, rank 1 sends them back (blocking Send/Recv); the
  one-way time t(n) = α + n·β is half the round trip;
* allreduce: ``Iallreduce`` of n bytes of float32, waited on exactly as DDP waits
  (``nn.parallel.comm.wait``: Test() plus a growing sleep), and blocking ``Allreduce``
  for comparison.

Each size is repeated and the minimum is kept: other processes share the machine, and
a repeat during which a rank was waiting for a core measures the scheduler, not MPI
(the medians are saved too, under ``*_median``). Rank 0 writes ``{"pingpong": {n: s},
"allreduce_wait": {...}, "allreduce_blocking": {...}, ...}`` as JSON to argv[1].
"""
import json
import sys
import time

import numpy as np

from mpi4py import MPI

from nn.parallel import comm as C

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
SIZES = [8, 64, 512, 4096, 32768, 262144, 1048576, 4194304, 16777216]


def repeats(nbytes):
    return 200 if nbytes <= 32768 else (40 if nbytes <= 1048576 else 10)


def pingpong(nbytes):
    buf = np.zeros(nbytes, dtype=np.uint8)
    times = []
    for _ in range(repeats(nbytes)):
        COMM.Barrier()
        t0 = time.perf_counter()
        if RANK == 0:
            COMM.Send(buf, dest=1)
            COMM.Recv(buf, source=1)
        elif RANK == 1:
            COMM.Recv(buf, source=0)
            COMM.Send(buf, dest=0)
        times.append((time.perf_counter() - t0) / 2)
    return times


def allreduce(nbytes, blocking):
    buf = np.ones(nbytes // 4, dtype=np.float32)
    times = []
    for _ in range(repeats(nbytes)):
        COMM.Barrier()
        t0 = time.perf_counter()
        if blocking:
            COMM.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        else:
            C.allreduce_(buf, COMM, 60.0, "benchmark")
        times.append(time.perf_counter() - t0)
        buf[...] = 1
    return times


def main():
    out = {"world_size": COMM.Get_size(), "mpi": MPI.Get_library_version().splitlines()[0]}
    runs = {"pingpong": pingpong, "allreduce_wait": lambda n: allreduce(max(n, 4), False),
            "allreduce_blocking": lambda n: allreduce(max(n, 4), True)}
    for name in runs:
        out[name], out[name + "_median"] = {}, {}
    for n in SIZES:
        for name, measure in runs.items():
            times = measure(n)
            out[name][n], out[name + "_median"][n] = min(times), float(np.median(times))
    if RANK == 0:
        with open(sys.argv[1], "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
