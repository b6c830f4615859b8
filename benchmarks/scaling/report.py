"""RESULTS.md from results.json: what was measured and what the α–β model predicts."""
from . import model as M

MODELS = ("mlp", "cnn")
NAMES = {"mlp": "MLP 64-256-10", "cnn": "CNN 32-64 ch, fc 128"}


def _us(seconds):
    return f"{seconds * 1e6:.1f}"


def _ms(seconds):
    return f"{seconds * 1e3:.2f}"


def fits(results):
    """The fitted parameters: α, β (allreduce), the ping-pong check, compute lines."""
    ab = results["alphabeta"]
    alpha, beta = M.fit_alpha_beta(ab["allreduce_wait"], messages=2.0)
    pp_alpha, pp_beta = M.fit_alpha_beta(ab["pingpong"])
    compute = {k: M.fit_compute(results["compute"][k]["by_batch"]) for k in MODELS}
    nbytes = {k: results["ddp2"][k]["max_bytes_per_step"] for k in MODELS}
    return {"alpha": alpha, "beta": beta, "pp_alpha": pp_alpha, "pp_beta": pp_beta,
            "compute": compute, "nbytes": nbytes}


def _header(results):
    loads = {k: v["load_average"] for k, v in results.items()
             if isinstance(v, dict) and "load_average" in v}
    low = min(min(v) for v in loads.values())
    high = max(max(v) for v in loads.values())
    return [
        "# Data-parallel scaling: measured and modelled",
        "",
        f"Written by `python -m benchmarks.scaling` on {results['date']}: "
        f"{results['cores']} cores, {results['alphabeta']['mpi']}. **The machine was "
        f"shared with other jobs**: its 1-minute load average was {low:.1f}-{high:.1f} "
        f"during these runs (on {results['cores']} cores), so wall times include waiting "
        "for a core; every figure is the best of 3 repeats in each of "
        f"{results.get('runs', 1)} full run(s), and the compute model uses CPU time. See ANALYSIS.md for what the numbers mean.",
        ""]


def _alpha_beta(results, f):
    ab = results["alphabeta"]
    lines = [
        "## α and β (2 ranks on this machine, MPICH shared memory)", "",
        f"Fitted to the best allreduce times (T = 2α + nβ on 2 ranks): **α = "
        f"{_us(f['alpha'])} µs, β = {f['beta'] * 1e9:.3f} ns/byte "
        f"({1 / f['beta'] / 1e9:.2f} GB/s)**. Ping-pong (t = α + nβ): α = "
        f"{_us(f['pp_alpha'])} µs, β = {f['pp_beta'] * 1e9:.3f} ns/byte.", "",
        "| bytes | ping-pong one way, best (µs) | allreduce, DDP's wait: best / median "
        "(µs) | allreduce, blocking, best (µs) | model 2α + nβ (µs) |",
        "|---:|---:|---:|---:|---:|"]
    for n in sorted(ab["pingpong"], key=int):
        model = 2 * f["alpha"] + int(n) * f["beta"]
        lines.append(f"| {int(n):,} | {_us(ab['pingpong'][n])} | "
                     f"{_us(ab['allreduce_wait'][n])} / "
                     f"{_us(ab['allreduce_wait_median'][n])} | "
                     f"{_us(ab['allreduce_blocking'][n])} | {_us(model)} |")
    return lines + [""]


def _compute(results, f):
    lines = ["## Compute per step, one process (T_c(b) = c0 + c1·b, CPU time)", "",
             "| model | parameters | c0 (ms) | c1 (ms/sample) | " + " | ".join(
                 f"b={b} CPU / wall (ms)" for b in (4, 16, 32, 128)) + " |",
             "|---|---:|---:|---:|" + "---:|" * 4]
    for k in MODELS:
        c0, c1 = f["compute"][k]
        rows = results["compute"][k]["by_batch"]
        cells = " | ".join(f"{_ms(rows[str(b)]['cpu_per_step'])} / "
                           f"{_ms(rows[str(b)]['wall_per_step'])}" for b in (4, 16, 32, 128))
        lines.append(f"| {NAMES[k]} | {results['compute'][k]['params']:,} | {_ms(c0)} | "
                     f"{c1 * 1e3:.4f} | {cells} |")
    return lines + [""]


def _throughput(results, f):
    lines = ["## Measured throughput of the demo's models (Adam, global batch 32)", "",
             "\"In DDP's reduction\" is the time inside the reducer per step: packing, the "
             "allreduce, and waiting for the slower rank; \"transfer\" is what the fitted "
             "α–β model gives for the allreduce alone (2α + nβ on 2 ranks), so the rest "
             "of the reduction time is one rank waiting for the other.", "",
             "| model | run | batch per rank | wall per step (ms) | samples/s | speed-up "
             "| CPU per step per rank (ms) | in DDP's reduction (ms/step) | transfer "
             "(model, ms) | compute (ms/step) | gradient bytes/step |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in MODELS:
        base = results["plain"][k]["max_wall_per_step"]
        runs = [("1 process, no DDP", results["plain"][k], 32),
                ("DDP, 1 rank", results["ddp1"][k], 32),
                ("DDP, 2 ranks", results["ddp2"][k], 16),
                ("DDP, 2 ranks, 32 each (weak)", results["ddp2"][k]["weak"], 32)]
        for name, r, b in runs:
            global_batch = 64 if "weak" in name else 32
            wall = r["max_wall_per_step"]
            reduction = _ms(r["max_allreduce_per_step"]) if "max_allreduce_per_step" in r \
                else "-"
            compute = _ms(r["max_compute_per_step"]) if "max_compute_per_step" in r else "-"
            nbytes = f"{int(r['max_bytes_per_step']):,}" if "max_bytes_per_step" in r \
                else "-"
            speedup = (global_batch / wall) / (32 / base)
            ranks = 2 if "2 ranks" in name else 1
            transfer = "-" if nbytes == "-" else _ms(M.ring_allreduce(
                ranks, r["max_bytes_per_step"], f["alpha"], f["beta"]))
            lines.append(f"| {NAMES[k]} | {name} | {b} | {_ms(wall)} | "
                         f"{global_batch / wall:,.0f} | {speedup:.2f}x | "
                         f"{_ms(r['max_cpu_per_step'])} | {reduction} | {transfer} | "
                         f"{compute} | {nbytes} |")
    return lines + [""]


def _table(title, series, note=""):
    lines = [title, ""] + ([note, ""] if note else [])
    lines += ["| model | " + " | ".join(f"p={p}" for p in M.PROCESSES) + " |",
              "|---|" + "---:|" * len(M.PROCESSES)]
    for name, values in series:
        lines.append(f"| {name} | " + " | ".join(f"{values[p]:.1f}" for p in M.PROCESSES)
                     + " |")
    return lines + [""]


def _predictions(f):
    a, b = f["alpha"], f["beta"]
    weak = [(NAMES[k], M.weak_scaling(f["nbytes"][k], f["compute"][k], a, b))
            for k in MODELS]
    weak += [(NAMES[k] + ", overlapped", M.weak_scaling(f["nbytes"][k], f["compute"][k],
                                                         a, b, overlap=True))
             for k in MODELS]
    strong = [(NAMES[k], M.strong_scaling(f["nbytes"][k], f["compute"][k], a, b))
              for k in MODELS]
    lines = _table("## Predicted speed-up, α and β as measured here",
                   weak, "Weak scaling: 32 samples per machine per step (speed-up in "
                         "samples/s over one process).")
    lines += _table("### Strong scaling: a global batch of 512 split over p machines",
                    strong)
    for net, (na, nb) in M.NETWORKS.items():
        series = [(NAMES[k], M.weak_scaling(f["nbytes"][k], f["compute"][k], na, nb))
                  for k in MODELS]
        series += [(NAMES[k] + ", strong B=512", M.strong_scaling(
            f["nbytes"][k], f["compute"][k], na, nb)) for k in MODELS]
        lines += _table(f"### Sensitivity: {net} (typical α = {na * 1e6:g} µs, "
                        f"{1 / nb / 1e9:g} GB/s; assumed, not measured)", series)
    lines += ["### Where communication stops it", "",
              "| model | gradient bytes | machines at which T_ar = T_c(32) (here / 10 GbE "
              "/ IB) | best strong-scaling p, B=512 (here) |", "|---|---:|---:|---:|"]
    for k in MODELS:
        n, comp = f["nbytes"][k], f["compute"][k]
        cross = [M.crossover(n, comp, x, y) for x, y in
                 [(a, b)] + list(M.NETWORKS.values())]
        p_best, s_best = M.best_strong(n, comp, a, b)
        lines.append(f"| {NAMES[k]} | {int(n):,} | " + " / ".join(
            str(c) if c else ">4096" for c in cross) + f" | {p_best} ({s_best:.1f}x) |")
    return lines + [""]


def render(results):
    f = fits(results)
    lines = (_header(results) + _alpha_beta(results, f) + _compute(results, f)
             + _throughput(results, f) + _predictions(f))
    return "\n".join(lines)
