"""``python -m benchmarks.scaling``: measure, fit the α–β model, write RESULTS.md.

Runs (each under its own ``mpiexec``): the α–β microbenchmark on 2 ranks; the compute
model's step times in one process; the demo's MLP and CNN trained in one process
without DDP, then with DDP on 1 and 2 ranks. Saves everything, with the load average
of the machine around each run, to ``benchmarks/scaling/results.json`` and writes the
measured and predicted tables to ``benchmarks/scaling/RESULTS.md`` (ANALYSIS.md
explains them). ``--runs N`` repeats everything N times and keeps the best of each
configuration; ``--report`` rebuilds RESULTS.md from results.json without measuring.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(HERE, "results.json")


def mpiexec():
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    path = local if os.access(local, os.X_OK) else shutil.which("mpiexec")
    if path is None:
        sys.exit("benchmarks.scaling: no mpiexec; pip install -e '.[distributed]'")
    version = subprocess.run([path, "--version"], capture_output=True, text=True)
    flags = []
    if "open mpi" in (version.stdout + version.stderr).lower():
        flags = ["--oversubscribe", "--allow-run-as-root"]
    return path, flags


def launch(ranks, script, mode=None):
    """Run ``script`` on ``ranks`` processes (1: plain python); its JSON and the load."""
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        argv = [sys.executable, os.path.join(HERE, script), out] + ([mode] if mode else [])
        if ranks > 1 or mode == "ddp":
            path, flags = mpiexec()
            argv = [path, "-n", str(ranks), *flags, *argv]
        load_before = os.getloadavg()[0]
        t0 = time.time()
        subprocess.run(argv, check=True, cwd=ROOT, env=env, timeout=1800)
        with open(out) as f:
            data = json.load(f)
    data["load_average"] = [load_before, os.getloadavg()[0]]
    data["seconds"] = time.time() - t0
    return data


def measure():
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count()}
    print("alpha-beta microbenchmark on 2 ranks ...", flush=True)
    results["alphabeta"] = launch(2, "alphabeta.py")
    print("compute model (1 process, batch 4..128) ...", flush=True)
    results["compute"] = launch(1, "throughput.py", "compute")
    print("demo models in 1 process without DDP ...", flush=True)
    results["plain"] = launch(1, "throughput.py", "plain")
    for ranks in (1, 2):
        print(f"demo models with DDP on {ranks} rank(s) ...", flush=True)
        results[f"ddp{ranks}"] = launch(ranks, "throughput.py", "ddp")
    return results


def best(runs):
    """Per configuration, the best of several full runs: the smallest time of every
    α–β size, the throughput run whose slowest rank was fastest (the run least
    disturbed by other processes on a shared machine)."""
    merged = dict(runs[0])
    ab = merged["alphabeta"] = dict(runs[0]["alphabeta"])
    for key in ("pingpong", "allreduce_wait", "allreduce_blocking"):
        ab[key] = {n: min(r["alphabeta"][key][n] for r in runs) for n in ab[key]}
    for name in ("compute", "plain", "ddp1", "ddp2"):
        merged[name] = dict(runs[0][name])
        for kind in ("mlp", "cnn"):
            if name == "compute":
                merged[name][kind] = {"params": runs[0][name][kind]["params"], "by_batch": {
                    b: min((r[name][kind]["by_batch"][b] for r in runs),
                           key=lambda row: row["wall_per_step"])
                    for b in runs[0][name][kind]["by_batch"]}}
            else:
                merged[name][kind] = min((r[name][kind] for r in runs),
                                         key=lambda row: row["max_wall_per_step"])
        merged[name]["load_average"] = [min(r[name]["load_average"][0] for r in runs),
                                        max(r[name]["load_average"][1] for r in runs)]
    merged["alphabeta"]["load_average"] = [
        min(r["alphabeta"]["load_average"][0] for r in runs),
        max(r["alphabeta"]["load_average"][1] for r in runs)]
    merged["runs"] = len(runs)
    return merged


def main(argv):
    if "--report" in argv:
        with open(RESULTS) as f:
            results = json.load(f)
    else:
        count = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 1
        results = best([measure() for _ in range(count)])
        with open(RESULTS, "w") as f:
            json.dump(results, f, indent=1)
    text = report.render(results)
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write(text)
    print(text)


main(sys.argv[1:])
