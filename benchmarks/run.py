"""``python -m benchmarks``: run every workload for every installed library, in one run.

Each library runs in its own worker process (``worker.py``), started once and kept
for the whole run. For each workload the suite

1. builds it in every worker from the same seeded arrays,
2. checks that every library's first loss and gradients match the NumPy baseline,
3. warms up (for the ``compiled`` columns: the tracing calls, timed, up to the first
   replay), then times iterations in interleaved rounds (library A, B, C, A, B, ...) so
   that a load change on the machine hits every library alike. Ratios use medians of
   the wall clock (what a user waits for; ``--clock cpu`` uses the process CPU time
   instead, which other processes on a busy machine cannot inflate). Both clocks are
   recorded, with the spread of the repeats,
4. measures peak traced memory (tracemalloc: NumPy allocations are traced; PyTorch's
   are not, so its column reads n/a; a compiled program's buffers, held between steps,
   are added to its peak),

then evaluates the targets of issues 6 and 18 and writes ``benchmarks/RESULTS.md``
(a ``--quick`` run writes ``benchmarks/out/quick.md`` unless given ``--output``).

Every library runs with the default allocator; ``numpy+tuned``, ``glassgrad+tuned``
and ``compiled+tuned`` are the same workers with fixed glibc malloc thresholds, the
second column of the table (see ``envs.launch_spec``). ``compiled-numba`` is
``compiled`` with ``ag.compile(..., kernels="numba")`` (elementwise runs fused into
numba loops; skipped when numba, the optional ``kernels`` extra, is not installed).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import envs, report
from .workloads import SPECS

HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARIES = ["numpy", "glassgrad", "compiled", "compiled-numba", "torch-1t", "torch",
             "autograd", "micrograd", "mygrad", "numpy+tuned", "glassgrad+tuned",
             "compiled+tuned"]
QUICK_OUTPUT = os.path.join(HERE, "out", "quick.md")


class WorkerProcess:
    """A running ``worker.py``: send a command, read its one-line JSON reply."""

    def __init__(self, library, python, env):
        self.library = library
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "worker.py"), library], cwd=HERE, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1)
        hello = self._read()
        self.version = hello.get("version", "")

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()[-2000:]
            raise RuntimeError(f"worker {self.library} died:\n{err}")
        return json.loads(line)

    def call(self, cmd, **kw):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer rounds, shorter chains, 200 growth steps, no peer installs, "
                   "no +tuned workers; writes benchmarks/out/quick.md unless --output")
    p.add_argument("--only", action="append", default=[], metavar="W",
                   help="run only these workloads (W4 selects W4-f32 and W4-f64); repeatable")
    p.add_argument("--repeat", type=int, default=None,
                   help="interleaved timing rounds per library (default 5, quick 2)")
    p.add_argument("--libs", default=None,
                   help="comma-separated libraries (default: all installed): " +
                   ",".join(LIBRARIES))
    p.add_argument("--growth-steps", type=int, default=None,
                   help="W4 steps for the memory-growth check (default 2000, quick 200)")
    p.add_argument("--clock", choices=("wall", "cpu", "auto"), default="wall",
                   help="the clock of the medians and ratios: wall (the default), cpu "
                   "(process CPU time), or auto (CPU for single-threaded workers, wall "
                   "for PyTorch's multi-threaded default)")
    p.add_argument("--output", default=None,
                   help="where to write the results (default benchmarks/RESULTS.md; "
                   "benchmarks/out/quick.md for --quick)")
    p.add_argument("--render", action="store_true",
                   help="measure nothing: rewrite the results file from the last run's "
                   "measurements (benchmarks/results.json), e.g. after editing ANALYSIS.md")
    return p.parse_args(argv)


def select_workloads(only):
    if not only:
        return list(SPECS)
    chosen = []
    for w in only:
        w = w.upper()
        matches = [name for name in SPECS
                   if name.upper() == w or name.split("-")[0].upper() == w]
        if not matches:
            raise SystemExit(f"--only {w}: unknown workload; choose from {', '.join(SPECS)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def compare(result, reference, dtype):
    """Largest relative error over loss and gradients, and the names that disagree."""
    tol = 1e-6 if dtype == "float64" else 2e-3
    worst, bad = 0.0, []
    for k, ref in reference.items():
        if k not in result:
            bad.append(f"{k} missing")
            continue
        got = result[k]
        if got.shape != ref.shape:
            bad.append(f"{k} shape {got.shape} != {ref.shape}")
            continue
        err = float(np.max(np.abs(got - ref)) / (np.max(np.abs(ref)) + 1e-30)) if ref.size else 0
        worst = max(worst, err)
        if not err <= tol:
            bad.append(f"{k} rel err {err:.1e}")
    return worst, bad


def clock_of(lib, choice):
    if choice != "auto":
        return choice
    return "wall" if lib == "torch" else "cpu"


def spread(ts):
    """(first quartile, third quartile) of the repeats."""
    if len(ts) < 2:
        return ts[0], ts[0]
    q = statistics.quantiles(ts, n=4, method="inclusive")
    return q[0], q[2]


def run_workload(name, workers, args, log):
    """Check, time and measure one workload in every worker that supports it."""
    spec = SPECS[name]
    rows = {}
    live = {}
    n_ops = None
    for lib, w in workers.items():
        reply = w.call("setup", workload=name, quick=args.quick)
        if "error" in reply:
            rows[lib] = {"error": reply["error"]}
        elif reply["supported"]:
            live[lib] = w
            n_ops = reply["n_ops"]
    firsts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lib, w in list(live.items()):
            path = os.path.join(tmp, f"{lib}.npz")
            reply = w.call("first", path=path)
            if "error" in reply:
                rows[lib] = {"error": reply["error"]}
                del live[lib]
                continue
            with np.load(path) as f:
                firsts[lib] = {k: f[k] for k in f.files}
    ref = firsts.get("numpy")
    for lib in live:
        rows[lib] = {"times": [], "wall": [], "cpu": [], "clock": clock_of(lib, args.clock)}
        if ref is not None:
            err, bad = compare(firsts[lib], ref, spec.dtype)
            rows[lib]["check"] = (err, bad)
            if bad:
                log(f"  {lib}: MISMATCH with the NumPy baseline: {'; '.join(bad)}")
    per_iter = {}
    for lib, w in live.items():            # warm-up, and a first estimate of the cost
        reply = w.call("warmup")
        if "error" in reply:
            rows[lib] = {"error": reply["error"]}
            continue
        rows[lib]["warmup"] = reply["times"]
        reply = w.call("time", n=1)
        if "error" in reply:
            rows[lib] = {"error": reply["error"]}
            continue
        per_iter[lib] = reply[rows[lib]["clock"]][0]
    live = {lib: w for lib, w in live.items() if lib in per_iter}
    rounds = args.repeat or (2 if args.quick else 5)
    budget = 0.12 if args.quick else 0.4          # seconds per library per round
    for r in range(rounds):
        for lib, w in live.items():
            if per_iter[lib] > 1.0 and r >= (1 if args.quick else 2):
                continue          # a slow peer: a few iterations say enough
            n = int(min(50, max(1, budget / max(per_iter[lib], 1e-6))))
            reply = w.call("time", n=n)
            if "error" in reply:
                rows[lib]["error"] = reply["error"]
                continue
            rows[lib]["times"] += reply[rows[lib]["clock"]]
            rows[lib]["wall"] += reply["wall"]
            rows[lib]["cpu"] += reply["cpu"]
    if not args.quick or name.startswith("W4"):
        for lib, w in live.items():
            if lib.startswith("torch") or per_iter[lib] > 1.0:
                continue
            n = 1 if per_iter[lib] > 0.05 else 3
            reply = w.call("memory", n=n)
            if "peak" in reply:
                rows[lib]["peak"] = reply["peak"]
                rows[lib]["held"] = reply.get("held", 0)
    for lib, row in rows.items():
        if row.get("times"):
            ts = row["times"]
            row.update(median=statistics.median(ts), min=min(ts), max=max(ts), n=len(ts),
                       q1=spread(ts)[0], q3=spread(ts)[1],
                       wall_median=statistics.median(row["wall"]),
                       cpu_median=statistics.median(row["cpu"]))
            if n_ops:
                row["n_ops"] = n_ops
        log(f"  {lib:10s} " + report.short(row, spec))
    return rows


def run_growth(workers, args, log):
    """RSS and live-object count along many W4 steps of glassgrad (leak check)."""
    w = workers.get("glassgrad")
    if w is None:
        return None
    steps = args.growth_steps or (200 if args.quick else 2000)
    w.call("setup", workload="W4-f32", quick=args.quick)
    w.call("warmup")
    reply = w.call("growth", steps=steps, every=max(1, steps // 20))
    return reply.get("samples")


MEASUREMENTS = os.path.join(HERE, "results.json")


def measurements_path(output):
    """The raw measurements behind a results file: ``benchmarks/results.json`` for the
    default ``RESULTS.md``, else next to ``output`` (so a trial run elsewhere never
    replaces the committed measurements)."""
    if os.path.abspath(output) == os.path.join(HERE, "RESULTS.md"):
        return MEASUREMENTS
    return os.path.splitext(output)[0] + ".json"


def output_path(args):
    """``--output``, else RESULTS.md for a full run and out/quick.md for ``--quick``: a
    quick run never replaces the committed results unless asked to."""
    if args.output:
        return os.path.abspath(args.output)
    return QUICK_OUTPUT if args.quick else os.path.join(HERE, "RESULTS.md")


def _write_atomically(path, text):
    """Write ``text`` to ``path`` via a temporary file and a rename: a crash or a
    Ctrl-C mid-write leaves the previous file whole."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_outputs(results, growth, meta, output):
    """Print the table and the targets; write the results file."""
    print(report.console_table(results))
    for line in report.target_lines(report.targets(results, growth)):
        print(line)
    _write_atomically(output, report.render(results, growth, meta))
    print(f"wrote {os.path.relpath(output)} ({meta['elapsed']:.0f} s of measurement)")


def render_only(output):
    path = measurements_path(output)
    if not os.path.exists(path):
        raise SystemExit(f"benchmarks --render: no measurements at {path}; run the suite "
                         f"with --output {output} first (or render the default RESULTS.md)")
    with open(path) as f:
        saved = json.load(f)
    unknown = [name for name in saved["results"] if name not in SPECS]
    if unknown:      # measured by an older version of the suite (e.g. "W5" before -f32/-f64)
        raise SystemExit(f"benchmarks --render: {path} holds workloads this suite no longer "
                         f"has ({', '.join(unknown)}); run the suite again to render it")
    for rows in saved["results"].values():
        for row in rows.values():
            if "check" in row:
                row["check"] = tuple(row["check"])
    write_outputs(saved["results"], saved["growth"], saved["meta"], output)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    output = output_path(args)
    if args.render:
        render_only(output)
        return
    names = select_workloads(args.only)
    if args.libs is not None:
        libs = args.libs.split(",")
    else:       # a quick run: the default allocator only
        libs = [lib for lib in LIBRARIES if not (args.quick and "+" in lib)]
    log = print
    started = time.perf_counter()
    workers = {}
    skipped = {}
    log(f"benchmarks: workloads {', '.join(names)}")
    for lib in libs:
        spec = envs.launch_spec(lib, log, install=not args.quick)
        if spec is None:
            skipped[lib] = "not installed" + (
                " (--quick installs no peers: run once without it)"
                if args.quick and lib in envs.PEERS else "")
            continue
        try:
            workers[lib] = WorkerProcess(lib, *spec)
        except RuntimeError as e:
            skipped[lib] = str(e).splitlines()[-1]
    log("libraries: " + ", ".join(f"{k} {w.version}" for k, w in workers.items()) +
        ("; skipped: " + ", ".join(f"{k} ({v})" for k, v in skipped.items())
         if skipped else ""))
    results = {}
    try:
        for name in names:
            log(f"{name}: {SPECS[name].title}")
            results[name] = run_workload(name, workers, args, log)
        growth = run_growth(workers, args, log) if any(n.startswith("W4") for n in names) \
            else None
    finally:
        versions = {k: w.version for k, w in workers.items()}
        for w in workers.values():
            w.close()
    elapsed = time.perf_counter() - started
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(), "versions": versions, "skipped": skipped,
        "elapsed": elapsed, "quick": args.quick,
    }
    meta["clock"] = args.clock
    _write_atomically(measurements_path(output),
                      json.dumps({"results": results, "growth": growth, "meta": meta}))
    write_outputs(results, growth, meta, output)
