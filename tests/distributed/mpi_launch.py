"""Run a Python script on K MPI processes from a test (``mpiexec`` as a subprocess).

The tests never import mpi4py in the pytest process itself (that would initialise MPI
there); every distributed run is a fresh ``mpiexec -n K python ...``. The launcher is
the ``mpiexec`` next to the interpreter (the ``mpich`` wheel of the ``distributed``
extra puts it there), else the one on PATH. Open MPI needs ``--oversubscribe`` to run
more ranks than cores and ``--allow-run-as-root`` under CI's root; MPICH's Hydra
oversubscribes by default and rejects those flags, so they are added for Open MPI only.

Without mpi4py or mpiexec the tests skip, except under CI (``CI`` set), where the
``distributed`` extra is installed by ``scripts/test.sh`` and a skip would hide a
broken install: there they fail.
"""
import functools
import os
import shutil
import signal
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


@functools.lru_cache(maxsize=None)
def mpiexec():
    """The path of mpiexec, or None."""
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.access(local, os.X_OK) else shutil.which("mpiexec")


@functools.lru_cache(maxsize=None)
def missing():
    """Why distributed runs cannot happen here (a sentence), or None."""
    probe = subprocess.run([sys.executable, "-c", "import mpi4py"], capture_output=True)
    if probe.returncode != 0:
        return "mpi4py is not installed (pip install -e '.[distributed]')"
    if mpiexec() is None:
        return "no mpiexec found (the mpich wheel of the distributed extra provides one)"
    return None


def require_mpi():
    """Skip the calling test (fail under CI) when MPI runs are impossible here."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"distributed tests cannot run in CI: {reason}")
    pytest.skip(reason)


@functools.lru_cache(maxsize=None)
def _is_open_mpi():
    out = subprocess.run([mpiexec(), "--version"], capture_output=True, text=True)
    text = (out.stdout + out.stderr).lower()
    return "open mpi" in text or "openrte" in text or "prte" in text


def command(n, *argv):
    """``mpiexec -n n <python> argv...`` with the flags this MPI needs."""
    cmd = [mpiexec(), "-n", str(n)]
    if _is_open_mpi():
        cmd += ["--oversubscribe", "--allow-run-as-root"]
    return cmd + [sys.executable, *argv]


def environment(**extra):
    """The child environment: the repo importable, one BLAS thread per rank."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(n, argv, timeout=240, cwd=None, **env):
    """Run ``argv`` (script and its arguments) on ``n`` ranks; a CompletedProcess.

    ``timeout`` bounds the whole job: a hang is a test failure, never a stuck suite
    (the launcher and its ranks run in their own process group, killed as a whole).
    """
    require_mpi()
    cmd = command(n, *argv)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd or ROOT, env=environment(**env),
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {' '.join(argv)} did not finish in {timeout} s "
                    f"(a hang): stdout {out[-2000:]!r} stderr {err[-2000:]!r}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
