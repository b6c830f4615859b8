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


TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
                "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)}


def launch_spec(library, log=print, install=True):
    """(python, env) for the worker of ``library``, or None if it is not available.

    ``library`` may carry ``+tuned``: the same library with fixed glibc malloc
    thresholds. glibc moves its mmap and trim thresholds as a process frees large
    blocks, so whether a step re-faults fresh pages depends on what ran before (a
    W4-f64 step took 1,000+ page faults in a fresh process and none after other work,
    NumPy's baseline and glassgrad alike). Users run with the default allocator, so
    that is the main column; the tuned one shows how much of a time is page faults.
    ``install=False`` never creates a peer's virtualenv (``--quick``).
    """
    base, _, variant = library.partition("+")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.setdefault("PYTHONHASHSEED", "0")
    if base != "torch":     # one BLAS/OpenMP thread: compare with PyTorch's 1 thread
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for key in TUNED_MALLOC:
        env.pop(key, None)
    if variant == "tuned":
        env.update(TUNED_MALLOC)
    elif variant:
        return None
    if base in PEERS:
        if not install and not os.path.exists(os.path.join(ENVS, base, ".installed")):
            return None
        python = ensure_env(base, log)
        return None if python is None else (python, env)
    if base == "compiled-numba" and not has_module("numba"):
        return None             # the optional 'kernels' extra is not installed
    if base in ("glassgrad", "compiled", "compiled-numba"):
        # the checkout's autograd/, nn/, optim/; GLASSGRAD_ROOT times another checkout
        # (e.g. an older commit, for before/after numbers)
        env["PYTHONPATH"] = os.environ.get("GLASSGRAD_ROOT", ROOT)
        return sys.executable, env
    if base.startswith("torch") and not has_module("torch"):
        return None
    return sys.executable, env
