"""W6m eager vs the NumPy baseline in one process: CPU-clock steps, interleaved rounds.

    OPENBLAS_NUM_THREADS=1 python benchmarks/w6m_eager.py [--rounds 7] [--steps 3]
    OPENBLAS_NUM_THREADS=1 python benchmarks/w6m_eager.py --profile f64

Each round times ``--steps`` steps of NumPy, then of glassgrad, per dtype, and keeps
each step's process CPU seconds; the table gives the best and the median step and the
ratio of medians. ``--profile`` runs cProfile over glassgrad's steps instead and prints
the functions by own time. (The worker of ``run.py`` measures the same steps, one
library per process; this script is for before/after figures of one change.)
"""
import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import case  # noqa: E402
import impl_glassgrad  # noqa: E402
import numpy_baseline  # noqa: E402
import workloads  # noqa: E402


def build(library, name):
    data = workloads.make_data(name)
    return case.build(library.CASES, name, data, workloads.SPECS[name])


def cpu_times(step, n):
    out = []
    for _ in range(n):
        c0 = time.process_time()
        step()
        out.append(time.process_time() - c0)
    return out


def compare(rounds, steps):
    print(f"W6m, CPU seconds per step, {rounds} interleaved rounds of {steps} steps")
    print("dtype  numpy best/median (ms)  glassgrad best/median (ms)  ratio of medians")
    for tag in ("f32", "f64"):
        name = f"W6m-{tag}"
        cases = {"numpy": build(numpy_baseline, name), "glass": build(impl_glassgrad, name)}
        times = {k: [] for k in cases}
        for c in cases.values():
            c.step()                                    # warm
        for _ in range(rounds):
            for k, c in cases.items():
                times[k] += cpu_times(c.step, steps)
        med = {k: statistics.median(v) for k, v in times.items()}
        best = {k: min(v) for k, v in times.items()}
        print(f"{tag}    {best['numpy'] * 1e3:6.1f} / {med['numpy'] * 1e3:6.1f}"
              f"           {best['glass'] * 1e3:6.1f} / {med['glass'] * 1e3:6.1f}"
              f"              {med['glass'] / med['numpy']:.2f}x")


def profile(tag, steps):
    c = build(impl_glassgrad, f"W6m-{tag}")
    c.step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        c.step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--profile", choices=("f32", "f64"))
    args = ap.parse_args()
    if args.profile:
        profile(args.profile, args.steps)
    else:
        compare(args.rounds, args.steps)


if __name__ == "__main__":
    main()
