"""MPI underneath ``nn.parallel``: the lazy mpi4py import, collectives that never hang.

Everything distributed in glassgrad runs on an existing MPI library through mpi4py
(``pip install 'glassgrad[distributed]'`` brings both). mpi4py is imported only when a
distributed object is first used, never by ``import nn``.

Two rules keep a job from hanging when one of its processes goes wrong:

* every collective is started non-blocking (``Iallreduce``, ``Ibcast``) and waited on
  with a deadline (``timeout`` seconds, default ``DEFAULT_TIMEOUT`` or the
  ``GLASSGRAD_DIST_TIMEOUT`` environment variable). A rank that waits longer prints
  which collective it was waiting for and calls ``MPI_Abort``, which ends every rank;
* ``abort_on_error(comm)`` (installed by ``DistributedDataParallel`` when there is more
  than one rank) makes an uncaught exception on any rank print its traceback and then
  call ``MPI_Abort`` instead of leaving the other ranks waiting for it.

A rank that dies (killed, segfault, ``os._exit``) is noticed by ``mpiexec`` itself,
which then ends the others.

The wait polls ``Test()`` (MPI progresses a non-blocking collective only while it is
called): for the first 2 ms between ``sched_yield()`` calls, which hand the core to any
other runnable process, then with a sleep growing to 1 ms, so that a rank waiting long
for a slower one does not take the CPU from it on a machine with fewer cores than ranks.
Measured on this machine (2 ranks, 256 KiB): pure sleeps cost ~1 ms per allreduce, the
yield loop ~the blocking ``Allreduce``'s 60 µs (benchmarks/scaling/ANALYSIS.md).
"""
import os
import sys
import time
import traceback

import numpy as np

DEFAULT_TIMEOUT = 300.0
_INSTALL_HINT = ("nn.parallel needs mpi4py and an MPI library: pip install "
                 "'glassgrad[distributed]' (mpi4py + the mpich wheel), or mpi4py built "
                 "against your cluster's MPI")


def mpi():
    """The ``mpi4py.MPI`` module (initialising MPI on first use), or ImportError."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} ({exc})") from None
    return MPI


def is_available():
    """True when mpi4py and an MPI library can be imported."""
    try:
        mpi()
    except (ImportError, RuntimeError):
        return False
    return True


def world(comm=None):
    """``comm`` itself, or ``MPI.COMM_WORLD`` when it is None."""
    return mpi().COMM_WORLD if comm is None else comm


def get_rank(comm=None):
    """This process's rank in ``comm`` (default ``COMM_WORLD``)."""
    return world(comm).Get_rank()


def get_world_size(comm=None):
    """The number of processes in ``comm`` (default ``COMM_WORLD``)."""
    return world(comm).Get_size()


def default_timeout():
    """Seconds a collective may wait: ``GLASSGRAD_DIST_TIMEOUT`` or ``DEFAULT_TIMEOUT``."""
    text = os.environ.get("GLASSGRAD_DIST_TIMEOUT")
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"GLASSGRAD_DIST_TIMEOUT={text!r}: expected a number of "
                         "seconds") from None
    if not value > 0:
        raise ValueError(f"GLASSGRAD_DIST_TIMEOUT={text!r}: must be positive")
    return value


def check_timeout(timeout, where):
    """``timeout`` as a positive float (None: the default), or ValueError."""
    if timeout is None:
        return default_timeout()
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: timeout must be a number of seconds, got "
                         f"{timeout!r}") from None
    if not value > 0:
        raise ValueError(f"{where}: timeout must be positive, got {timeout!r}")
    return value


ABORT_GRACE_SECONDS = 1.0     # see abort()


def abort(comm, message, code=1):
    """Print ``message`` (naming this rank) to stderr and end every rank of the job."""
    rank, size = comm.Get_rank(), comm.Get_size()
    sys.stderr.write(f"glassgrad.nn.parallel: rank {rank} of {size}: {message}\n"
                     f"glassgrad.nn.parallel: rank {rank} calls MPI_Abort so that every "
                     f"rank stops\n")
    sys.stderr.flush()
    sys.stdout.flush()
    # The launcher forwards a rank's output asynchronously and stops forwarding once
    # MPI_Abort tears the job down: give it a moment, or the message (and the traceback
    # printed just before) can be lost, leaving the user with no reason for the stop.
    time.sleep(ABORT_GRACE_SECONDS)
    comm.Abort(code)
    os._exit(code)       # MPI_Abort may return before the launcher kills this process


SPIN_SECONDS = 2e-3


def wait(request, comm, timeout, what):
    """Wait for a non-blocking MPI ``request``; abort the job after ``timeout`` s.

    First ``SPIN_SECONDS`` of ``Test()`` calls separated by ``os.sched_yield()`` (MPI
    only moves a message on while it is being called; the yield hands the core to a
    rank that needs it), then ``Test()`` with a sleep that grows to 1 ms.
    """
    if request.Test():
        return
    start = time.monotonic()
    spin_until, deadline = start + SPIN_SECONDS, start + timeout
    delay = 5e-5
    while not request.Test():
        now = time.monotonic()
        if now < spin_until:
            os.sched_yield()
            continue
        if now > deadline:
            abort(comm, f"waited {timeout:g} s for {what} without every rank joining "
                        "it: another rank has stopped, crashed, or is running different "
                        "code (a different number of steps, batches or layers). Raise "
                        "the limit with timeout= or GLASSGRAD_DIST_TIMEOUT if it is only "
                        "slow.")
        time.sleep(delay)
        delay = min(2 * delay, 1e-3)


def allreduce_(array, comm, timeout, what):
    """Sum ``array`` (contiguous numpy) over all ranks, in place; returns it."""
    MPI = mpi()
    wait(comm.Iallreduce(MPI.IN_PLACE, array, op=MPI.SUM), comm, timeout, what)
    return array


class Group:
    """An MPI communicator as the group of autograd's collective ops
    (``autograd.ops.collective.Group``: ``allreduce_sum(array, what)`` returns the sum
    over the ranks, in a new array), with this module's deadline on every wait."""

    def __init__(self, comm, timeout):
        self.comm, self.timeout = comm, timeout

    def allreduce_sum(self, array, what):
        return allreduce_(np.array(array, copy=True, order="C"), self.comm, self.timeout,
                          what)

    def __repr__(self):
        return f"MPI group (rank {self.comm.Get_rank()} of {self.comm.Get_size()})"


def broadcast_(array, comm, timeout, what, root=0):
    """Overwrite ``array`` (contiguous numpy) with ``root``'s copy; returns it."""
    wait(comm.Ibcast(array, root=root), comm, timeout, what)
    return array


def allgather(obj, comm, timeout, what):
    """Every rank's (picklable, small) ``obj`` as a list indexed by rank.

    Done as a fixed-size length exchange, then the pickled bytes, both non-blocking,
    so that it obeys the timeout like every other collective here.
    """
    import pickle

    MPI = mpi()
    payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    size = comm.Get_size()
    lengths = np.zeros(size, dtype=np.int64)
    wait(comm.Iallgather(np.array([payload.size], np.int64), lengths), comm, timeout, what)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    received = np.empty(int(lengths.sum()), dtype=np.uint8)
    wait(comm.Iallgatherv(payload, [received, lengths, offsets, MPI.BYTE]), comm, timeout,
         what)
    return [pickle.loads(received[o:o + n].tobytes()) for o, n in zip(offsets, lengths)]


_hooked = {}


def abort_on_error(comm=None):
    """Make an uncaught exception on this rank end every rank (``MPI_Abort``).

    Without it, a rank that raises exits (or hangs in ``MPI_Finalize``) while the
    others wait for it in their next collective. The previous ``sys.excepthook`` still
    prints the traceback first. Installed once per process; returns the communicator.
    """
    comm = world(comm)
    if _hooked.get("comm") is not None:
        return comm
    previous = sys.excepthook

    def hook(kind, value, tb):
        try:
            previous(kind, value, tb)
        except Exception:                       # a broken hook must not stop the abort
            traceback.print_exception(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt):
            code = 130
        else:
            code = 1
        abort(comm, f"uncaught {kind.__name__}: {value}", code)

    sys.excepthook = hook
    _hooked["comm"] = comm
    return comm
