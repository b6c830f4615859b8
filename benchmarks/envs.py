"""Where each library's worker runs: the suite's own Python, or a peer's virtualenv.

Peers get a virtualenv each under ``benchmarks/.envs/<name>``, created on first use
with ``python -m venv`` and ``pip install <package>``. HIPS autograd must not share a
process with glassgrad (both are imported as ``autograd``); micrograd and MyGrad get
their own envs too so that nothing is installed into the project's environment.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENVS = os.path.join(HERE, ".envs")

# library -> pip requirement for the libraries that live in their own virtualenv
PEERS = {"autograd": "autograd", "micrograd": "micrograd", "mygrad": "mygrad"}


def _env_python(name):
    return os.path.join(ENVS, name, "bin", "python")


def ensure_env(name, log=print):
    """The Python of peer ``name``'s virtualenv, creating it if needed; None if impossible."""
    python = _env_python(name)
    marker = os.path.join(ENVS, name, ".installed")
    if os.path.exists(marker):
        return python
    log(f"  creating benchmarks/.envs/{name} (pip install {PEERS[name]}) ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", os.path.join(ENVS, name)],
                       check=True, capture_output=True, timeout=300)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        PEERS[name], "numpy"], check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as e:
        detail = getattr(e, "stderr", b"") or b""
        log(f"  could not install {name}: {e} {detail.decode(errors='replace')[-300:]}")
        return None
    with open(marker, "w") as f:
        f.write(PEERS[name] + "\n")
    return python


def has_module(module):
    """True if ``module`` can be imported by the suite's own Python."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                            cwd=HERE)
    return result.returncode == 0


def launch_spec(library, log=print):
    """(python, env) for the worker of ``library``, or None if it is not available."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.setdefault("PYTHONHASHSEED", "0")
    if library != "torch":     # one BLAS/OpenMP thread: compare with PyTorch's 1 thread
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if library in PEERS:
        python = ensure_env(library, log)
        return None if python is None else (python, env)
    if library == "glassgrad":
        # the checkout's autograd/, nn/, optim/; GLASSGRAD_ROOT times another checkout
        # (e.g. an older commit, for before/after numbers)
        env["PYTHONPATH"] = os.environ.get("GLASSGRAD_ROOT", ROOT)
        return sys.executable, env
    if library.startswith("torch") and not has_module("torch"):
        return None
    return sys.executable, env
