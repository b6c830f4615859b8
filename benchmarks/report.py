"""Tables, target verdicts and RESULTS.md from the measurements of one run.

Ratios: ``x NumPy`` is median / median of the hand-written NumPy baseline;
``x PyTorch`` is median / PyTorch's with one thread (``torch-1t``), the same resources
every NumPy-based worker gets (one BLAS thread); PyTorch's default configuration is
its own row, and the W7 target line quotes both.
"""
import os

from .workloads import SPECS

HERE = os.path.dirname(os.path.abspath(__file__))
PURE_PYTHON = ("autograd", "micrograd", "mygrad")


def fmt_time(s):
    if s is None:
        return "—"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_bytes(b):
    if b is None:
        return "n/a"
    return f"{b / 2**20:.1f} MiB" if b >= 2**20 else f"{b / 2**10:.0f} KiB"


def torch_ref(rows):
    """PyTorch's median with one thread (or its default if only that ran)."""
    for k in ("torch-1t", "torch"):
        if "median" in rows.get(k, {}):
            return rows[k]["median"]
    return None


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def per_op(row, spec):
    if spec.n_ops is None or "median" not in row:
        return None
    return row["median"] / row["n_ops"] if "n_ops" in row else row["median"] / spec.n_ops


def short(row, spec):
    if "error" in row and "median" not in row:
        return "error: " + row["error"][:150]
    if "median" not in row:
        return "no timings"
    s = (f"median {fmt_time(row['median'])} {row['clock']} "
         f"({fmt_time(row['min'])}–{fmt_time(row['max'])}), wall {fmt_time(row['wall_median'])}")
    if per_op(row, spec):
        s += f", {per_op(row, spec) * 1e6:.2f} µs/op"
    if "peak" in row:
        s += f", peak {fmt_bytes(row['peak'])}"
    return s


def check_text(row):
    if "check" not in row:
        return "ref" if "median" in row else "—"
    err, bad = row["check"]
    return f"ok {err:.0e}" if not bad else "MISMATCH: " + "; ".join(bad)


def table_rows(results):
    """One list of cells per (workload, library)."""
    out = []
    for name, rows in results.items():
        spec = SPECS[name]
        np_med = rows.get("numpy", {}).get("median")
        bt = torch_ref(rows)
        for lib, row in rows.items():
            if "median" not in row:
                out.append([name, lib, "error: " + row.get("error", "?")[:80]]
                           + [""] * (len(HEADER) - 3))
                continue
            op = per_op(row, spec)
            out.append([
                name, lib, f"{fmt_time(row['median'])} {row['clock']}",
                fmt_time(row["wall_median"]),
                f"{fmt_time(row['min'])}–{fmt_time(row['max'])} (n={row['n']})",
                "—" if op is None else f"{op * 1e6:.2f}",
                fmt_ratio(ratio(row["median"], np_med)), fmt_ratio(ratio(row["median"], bt)),
                fmt_bytes(row.get("peak")), check_text(row)])
    return out


HEADER = ["workload", "library", "median/iter", "wall median", "min–max", "µs/op", "× NumPy", "× PyTorch",
          "peak mem", "check vs NumPy"]


def console_table(results):
    rows = [HEADER] + table_rows(results)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def markdown_table(results):
    rows = table_rows(results)
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _med(results, name, lib):
    return results.get(name, {}).get(lib, {}).get("median")


def targets(results, growth):
    """[(target, verdict 'PASS'/'MISS'/'n/a', measured text)] for the issue's targets."""
    out = []
    for name in ("W2", "W3"):
        if name not in results:
            continue
        rows = results[name]
        g = _med(results, name, "glassgrad")
        peers = {lib: rows[lib]["median"] for lib in ("torch", "torch-1t") + PURE_PYTHON
                 if "median" in rows.get(lib, {})}
        n = rows.get("glassgrad", {}).get("n_ops", SPECS[name].n_ops)
        if g is None or not peers:
            out.append((f"{name} per-op below PyTorch and pure-Python peers", "n/a", ""))
            continue
        worst = min(peers, key=peers.get)
        ok = all(g < t for t in peers.values())
        text = f"glassgrad {g / n * 1e6:.2f} µs/op; " + ", ".join(
            f"{lib} {t / n * 1e6:.2f}" for lib, t in peers.items()) + f" (fastest peer: {worst})"
        out.append((f"{name} per-op overhead below PyTorch and every pure-Python peer",
                    "PASS" if ok else "MISS", text))
    if "W1" in results:
        g, m = _med(results, "W1", "glassgrad"), _med(results, "W1", "micrograd")
        out.append(("W1 at least as fast as micrograd", _verdict(ratio(g, m), 1.0),
                    f"glassgrad/micrograd = {fmt_ratio(ratio(g, m))}"))
    for name, limit in (("W4-f32", 1.15), ("W4-f64", 1.15), ("W5", 1.5), ("W6", 1.5)):
        if name in results:
            r = ratio(_med(results, name, "glassgrad"), _med(results, name, "numpy"))
            out.append((f"{name} ≤ {limit}× NumPy baseline", _verdict(r, limit),
                        f"{fmt_ratio(r)}"))
    if "W7" in results:
        g = _med(results, "W7", "glassgrad")
        r = ratio(g, torch_ref(results["W7"]))
        r_default = ratio(g, _med(results, "W7", "torch"))
        out.append(("W7 ≤ 2× PyTorch (1 thread)", _verdict(r, 2.0),
                    f"{fmt_ratio(r)} (vs PyTorch's default threads: {fmt_ratio(r_default)})"))
    for name in ("W4-f32", "W4-f64"):
        if name in results:
            rows = results[name]
            r = ratio(rows.get("glassgrad", {}).get("peak"), rows.get("numpy", {}).get("peak"))
            out.append((f"{name} peak memory ≤ 1.2× NumPy baseline", _verdict(r, 1.2),
                        f"{fmt_ratio(r)} ({fmt_bytes(rows.get('glassgrad', {}).get('peak'))}"
                        f" vs {fmt_bytes(rows.get('numpy', {}).get('peak'))})"))
    if growth:
        out.append(_growth_target(growth))
    return out


def _growth_target(samples):
    """No growth: RSS and live objects after warm-up equal those at the last step."""
    k0, rss0, obj0 = samples[min(2, len(samples) - 1)]
    k1, rss1, obj1 = samples[-1]
    d_rss, d_obj = rss1 - rss0, obj1 - obj0
    ok = d_rss <= 2**20 and d_obj <= 100
    return (f"no memory growth across {k1} W4 steps", "PASS" if ok else "MISS",
            f"RSS {fmt_bytes(rss0)} at step {k0} -> {fmt_bytes(rss1)} at step {k1} "
            f"({d_rss / 2**10:+.0f} KiB), live objects {obj0} -> {obj1} ({d_obj:+d})")


def _verdict(r, limit):
    if r is None:
        return "n/a"
    return "PASS" if r <= limit else "MISS"


def target_lines(ts):
    return [f"{v:4s}  {t}: {m}" for t, v, m in ts]


def render(results, growth, meta):
    """The text of RESULTS.md."""
    lines = ["# glassgrad benchmarks", "",
             f"Generated by `{meta['command'].strip()}` on {meta['date']} "
             f"in {meta['elapsed']:.0f} s{' (--quick)' if meta['quick'] else ''}.", "",
             f"- Machine: {meta['machine']}; Python {meta['python']}",
             "- Libraries: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())]
    if meta["skipped"]:
        lines.append("- Not run: " + ", ".join(f"{k} ({v})" for k, v in meta["skipped"].items()))
    lines += ["- Each library runs in its own process; peers in their own virtualenvs "
              "(`benchmarks/.envs/`). Timings are per iteration after one warm-up "
              "iteration, collected in interleaved rounds; `median/iter` (with its min–max) "
              "is on the process CPU clock (`cpu`) for single-threaded workers and on the "
              "wall clock (`wall`) for PyTorch's multi-threaded default, and all ratios and "
              "targets use it; `wall median` is the wall clock for everyone (it includes "
              "time other processes took on this shared machine). NumPy-based workers and "
              "`torch-1t` run with one BLAS/OpenMP thread. `× NumPy` is the ratio to the "
              "hand-written NumPy baseline (`benchmarks/numpy_baseline.py`), `× PyTorch` to "
              "PyTorch with one thread (`torch-1t`) in this run, the same resources every "
              "NumPy-based worker has. Peak "
              "memory is tracemalloc's peak above the start of an iteration (PyTorch "
              "allocations are not traced: n/a). `check` is the largest relative error of "
              "the first loss and gradients against the NumPy baseline.", "",
              "## Workloads", ""]
    lines += [f"- **{s.name}**: {s.title}" for s in SPECS.values() if s.name in results]
    lines += ["", "## Results", "", markdown_table(results), "", "## Targets", ""]
    lines += [f"- **{v}** {t}: {m}" for t, v, m in targets(results, growth)]
    if growth:
        lines += ["", "Memory along W4-f32 steps (glassgrad): " + ", ".join(
            f"step {k}: {rss / 2**20:.1f} MiB / {obj} objects" for k, rss, obj in growth)]
    notes = os.path.join(HERE, "ANALYSIS.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += ["", f.read().strip()]
    return "\n".join(lines) + "\n"
