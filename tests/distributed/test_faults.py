"""A rank that raises, dies or stops early ends the whole job with a clear error within
a bounded time, never a hang (issue 19). Collective timeout: 5 s."""
import os
import time

import pytest

import mpi_launch

WORKER = os.path.join(mpi_launch.HERE, "worker_faults.py")
BOUND = 90          # seconds for the whole job: start-up on a loaded machine + 5 s timeout


def run_fault(mode, ranks=2):
    t0 = time.monotonic()
    proc = mpi_launch.run(ranks, [WORKER, mode], timeout=BOUND + 60,
                          GLASSGRAD_DIST_TIMEOUT=5)
    elapsed = time.monotonic() - t0
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "finished" not in proc.stdout           # no rank went on as if nothing happened
    assert elapsed < BOUND
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("ranks", [2, 3])
def test_an_exception_aborts_every_rank(ranks):
    out = run_fault("raise", ranks)
    assert "RuntimeError: injected failure on rank 1" in out      # the traceback
    assert "rank 1 of %d: uncaught RuntimeError" % ranks in out
    assert "calls MPI_Abort" in out


def test_a_killed_rank_ends_the_job():
    out = run_fault("kill")
    assert "injecting 'kill'" in out


def test_a_rank_that_stops_early_times_out_the_others():
    out = run_fault("stop")
    assert "rank 0 of 2: waited 5 s for the gradient allreduce of bucket 0" in out
    assert "another rank has stopped, crashed" in out


def test_an_exception_before_ddp_times_out_the_others():
    out = run_fault("raise_early")
    assert "RuntimeError: injected failure on rank 1" in out
    assert "waited 5 s for the model check at DistributedDataParallel construction" in out
