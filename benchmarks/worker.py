"""One library's benchmark process: ``python worker.py <library>``.

Run as a script (so ``benchmarks/`` is ``sys.path[0]`` and the checkout root is not,
which keeps HIPS ``autograd`` from clashing with glassgrad's package of the same
name). It reads one JSON command per line on stdin and answers one JSON line on
stdout; arrays travel through ``.npz`` files. Commands:

``setup`` (workload, quick)  build the workload's case from the shared data
``first`` (path)             loss and gradients on the initial parameters -> npz
``warmup``                   the first iterations: one, or for ``compiled`` the tracing
                             calls up to the first replay; their wall seconds
``time`` (n)                 run n iterations, return each one's wall and CPU seconds
``memory`` (n)               tracemalloc peak over n iterations (bytes above the start)
``growth`` (steps, every)    RSS and traced memory sampled along many iterations
"""
import gc
import importlib
import json
import os
import sys
import time
import tracemalloc

import numpy as np

import case
import workloads

IMPLS = {"numpy": "numpy_baseline", "glassgrad": "impl_glassgrad",
         "compiled": "impl_glassgrad", "compiled-numba": "impl_glassgrad", "torch": "impl_torch", "torch-1t": "impl_torch",
         "autograd": "impl_hips", "micrograd": "impl_micrograd", "mygrad": "impl_mygrad"}


def base_library(library):
    """``numpy+tuned`` (a variant with tuned malloc settings, see envs.py) -> ``numpy``."""
    return library.split("+")[0]


def rss_bytes():
    """Current resident set size (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


class Worker:
    def __init__(self, library):
        self.library = library
        base = base_library(library)
        if base == "torch-1t":
            import torch
            torch.set_num_threads(1)
        self.impl = importlib.import_module(IMPLS[base])
        if base.startswith("compiled"):
            self.impl.COMPILE = True
            self.impl.KERNELS = "numba" if base == "compiled-numba" else None
        self.case = None

    def setup(self, workload, quick=False):
        spec = workloads.SPECS[workload]
        data = workloads.make_data(workload, quick)
        self.case = case.build(self.impl.CASES, workload, data, spec)
        n_ops = int(data["n_ops"]) if "n_ops" in data else None
        return {"supported": self.case is not None, "n_ops": n_ops}

    def first(self, path):
        out = self.case.first()
        np.savez(path, **{k: np.asarray(v, dtype=np.float64) for k, v in out.items()})
        return {}

    def warmup(self):
        warm = getattr(self.case, "warm_up", None)
        if warm is not None:
            times = warm()
        else:
            t0 = time.perf_counter()
            self.case.step()
            times = [time.perf_counter() - t0]
        return {"times": times}

    def time(self, n):
        """Wall-clock and process CPU seconds of each of n iterations."""
        wall, cpu = [], []
        step = self.case.step
        for _ in range(n):
            c0, t0 = time.process_time(), time.perf_counter()
            step()
            t1, c1 = time.perf_counter(), time.process_time()
            wall.append(t1 - t0)
            cpu.append(c1 - c0)
        return {"wall": wall, "cpu": cpu}

    def memory(self, n):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            self.case.step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        held = 0
        run = getattr(self.case, "run", None)
        if hasattr(run, "stats"):       # a compiled program's buffers live between steps
            held = run.stats()["buffer_bytes"]
        return {"peak": peak - base + held, "held": held}

    def growth(self, steps, every):
        samples = []
        step = self.case.step
        for k in range(1, steps + 1):
            step()
            if k % every == 0 or k == 1:
                live = len(gc.get_objects()) - len(samples)   # not counting the samples
                samples.append((k, rss_bytes(), live))
        return {"samples": samples}


def main():
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                 # anything a library prints goes to stderr
    worker = Worker(sys.argv[1])
    version = getattr(worker.impl, "VERSION", "")
    out.write(json.dumps({"ready": True, "version": version}) + "\n")
    out.flush()
    for line in sys.stdin:
        cmd = json.loads(line)
        name = cmd.pop("cmd")
        try:
            reply = getattr(worker, name)(**cmd)
        except Exception as e:  # report, keep serving: one failing case is a result
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
