"""Tables, target verdicts and RESULTS.md from the measurements of one run.

Ratios: ``× NumPy`` is median / median of the hand-written NumPy baseline;
``× PyTorch`` is median / PyTorch's with one thread (``torch-1t``), the same resources
every NumPy-based worker gets (one BLAS thread); PyTorch's default configuration is
its own row. Every row is the library with the default allocator; the ``tuned``
columns are the same library's ``+tuned`` worker (fixed glibc malloc thresholds),
its ratio taken to ``numpy+tuned``.
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


def fmt_spread(row):
    """The interquartile range of the repeats as ± half of it, relative to the median."""
    if "q1" not in row or not row["median"]:
        return "—"
    return f"±{50 * (row['q3'] - row['q1']) / row['median']:.0f}%"


def short(row, spec):
    if "error" in row and "median" not in row:
        return "error: " + row["error"][:150]
    if "median" not in row:
        return "no timings"
    s = (f"median {fmt_time(row['median'])} {row['clock']} {fmt_spread(row)} "
         f"({fmt_time(row['min'])}–{fmt_time(row['max'])})")
    if per_op(row, spec):
        s += f", {per_op(row, spec) * 1e6:.2f} µs/op"
    if "peak" in row:
        s += f", peak {fmt_bytes(row['peak'])}"
    if row.get("warmup") and len(row["warmup"]) > 1:
        s += ", first calls " + " ".join(fmt_time(t) for t in row["warmup"])
    return s


def check_text(row):
    if "check" not in row:
        return "ref" if "median" in row else "—"
    err, bad = row["check"]
    return f"ok {err:.0e}" if not bad else "MISMATCH: " + "; ".join(bad)


def _med(results, name, lib):
    return results.get(name, {}).get(lib, {}).get("median")


def table_rows(results):
    """One list of cells per (workload, library); ``+tuned`` workers fill columns."""
    out = []
    for name, rows in results.items():
        spec = SPECS[name]
        np_med = _med(results, name, "numpy")
        np_tuned = _med(results, name, "numpy+tuned")
        bt = torch_ref(rows)
        for lib, row in rows.items():
            if "+" in lib:
                continue
            if "median" not in row:
                out.append([name, lib, "error: " + row.get("error", "?")[:80]]
                           + [""] * (len(HEADER) - 3))
                continue
            op = per_op(row, spec)
            tuned = rows.get(lib + "+tuned", {}).get("median")
            clock = row.get("clock", "wall")
            other = "cpu_median" if clock == "wall" else "wall_median"
            out.append([
                name, lib, f"{fmt_time(row['median'])} {clock}", fmt_spread(row),
                f"{fmt_time(row.get('min'))}–{fmt_time(row.get('max'))} (n={row.get('n', 0)})",
                fmt_time(row.get(other)),
                "—" if op is None else f"{op * 1e6:.2f}",
                fmt_ratio(ratio(row["median"], np_med)), fmt_ratio(ratio(row["median"], bt)),
                fmt_time(tuned), fmt_ratio(ratio(tuned, np_tuned)),
                fmt_bytes(row.get("peak")), check_text(row)])
    return out


HEADER = ["workload", "library", "median/iter", "spread", "min–max", "other clock", "µs/op",
          "× NumPy", "× PyTorch", "tuned malloc", "tuned × NumPy", "peak mem",
          "check vs NumPy"]


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


def _verdict(r, limit):
    if r is None:
        return "n/a"
    return "PASS" if r <= limit else "MISS"


def _ratio_target(results, name, lib, ref, limit, label):
    r = ratio(_med(results, name, lib), _med(results, name, ref))
    return (f"{name} {label} ≤ {limit}× {ref}", _verdict(r, limit), fmt_ratio(r))


def eager_targets(results):
    """Issue 18's eager targets: glassgrad's step against hand-written NumPy."""
    out = []
    for name, limit in (("W4-f64", 1.1), ("W5-f64", 1.3), ("W6m-f32", 1.5),
                        ("W6m-f64", 1.5)):
        if name in results:
            out.append(_ratio_target(results, name, "glassgrad", "numpy", limit, "eager"))
    return out


def compiled_targets(results):
    """Issue 18's targets for ``ag.compile`` (the ``compiled`` worker)."""
    out = []
    if "W2" in results:
        c, t = _med(results, "W2", "compiled"), torch_ref(results["W2"])
        n = results["W2"].get("compiled", {}).get("n_ops", SPECS["W2"].n_ops)
        speedup = ratio(t, c)
        ok = c is not None and c / n <= 1.5e-6 and speedup is not None and speedup >= 3
        out.append(("W2 compiled ≤ 1.5 µs/op and ≥ 3× faster than PyTorch eager",
                    "n/a" if c is None or t is None else ("PASS" if ok else "MISS"),
                    ("—" if c is None else f"{c / n * 1e6:.2f} µs/op, "
                     f"{'—' if speedup is None else f'{speedup:.1f}'}× faster")
                    + _fused_w2(results, t)))
    if "W1" in results:
        c, t = _med(results, "W1", "compiled"), torch_ref(results["W1"])
        speedup = ratio(t, c)
        out.append(("W1 compiled ≥ 5× faster than PyTorch eager",
                    "n/a" if speedup is None else ("PASS" if speedup >= 5 else "MISS"),
                    "—" if speedup is None else f"{speedup:.1f}× faster"))
    for name in ("W6m-f32", "W6m-f64"):
        if name in results:
            out.append(_ratio_target(results, name, "compiled", "numpy", 1.2, "compiled"))
    for name in ("W4-f32", "W4-f64", "W5-f32", "W5-f64"):
        if name in results:
            out.append(_ratio_target(results, name, "compiled", "numpy", 1.0, "compiled"))
    worst = None
    for name, rows in results.items():
        warm, eager = rows.get("compiled", {}).get("warmup"), _med(results, name, "glassgrad")
        if warm and eager:
            r = max(warm[:-1] or warm) / eager        # the tracing calls (the last replays)
            if worst is None or r > worst[0]:
                worst = (r, name)
    if worst:
        out.append(("first (tracing) calls ≤ 3× an eager step", _verdict(worst[0], 3.0),
                    f"worst {worst[0]:.2f}× ({worst[1]})"))
    for name in ("W4-f32", "W4-f64"):
        if name in results:
            rows = results[name]
            c, b = rows.get("compiled", {}).get("peak"), rows.get("numpy", {}).get("peak")
            out.append((f"{name} compiled memory ≤ 1.2× NumPy baseline",
                        _verdict(ratio(c, b), 1.2),
                        f"{fmt_ratio(ratio(c, b))} ({fmt_bytes(c)} vs {fmt_bytes(b)})"))
    return out


def _fused_w2(results, torch_median):
    """W2's figure with ``kernels="numba"`` (the ``compiled-numba`` worker), if it ran."""
    f = _med(results, "W2", "compiled-numba")
    if f is None:
        return ""
    n = results["W2"]["compiled-numba"].get("n_ops", SPECS["W2"].n_ops)
    speedup = ratio(torch_median, f)
    ok = f / n <= 1.5e-6 and speedup is not None and speedup >= 3
    return (f"; with kernels=\"numba\" (opt-in extra, `compiled-numba`): "
            f"{f / n * 1e6:.2f} µs/op, {'—' if speedup is None else f'{speedup:.1f}'}× "
            f"faster, {'n/a' if speedup is None else 'PASS' if ok else 'MISS'}")


def earlier_targets(results, growth):
    """Issue 6's targets that still stand: W3 per-op, W7, no memory growth."""
    out = []
    if "W3" in results:
        rows = results["W3"]
        g = _med(results, "W3", "glassgrad")
        peers = {lib: rows[lib]["median"] for lib in ("torch-1t",) + PURE_PYTHON
                 if "median" in rows.get(lib, {})}
        if g is not None and peers:
            n = rows["glassgrad"].get("n_ops", SPECS["W3"].n_ops)
            text = f"glassgrad {g / n * 1e6:.2f} µs/op; " + ", ".join(
                f"{lib} {t / n * 1e6:.2f}" for lib, t in peers.items())
            out.append(("W3 per-op overhead below PyTorch and every pure-Python peer",
                        "PASS" if all(g < t for t in peers.values()) else "MISS", text))
    if "W7" in results:
        r = ratio(_med(results, "W7", "glassgrad"), torch_ref(results["W7"]))
        out.append(("W7 ≤ 2× PyTorch (1 thread)", _verdict(r, 2.0), fmt_ratio(r)))
    if growth:
        out.append(_growth_target(growth))
    return out


def targets(results, growth):
    """[(target, verdict 'PASS'/'MISS'/'n/a', measured text)]."""
    return eager_targets(results) + compiled_targets(results) + earlier_targets(results,
                                                                                growth)


def _growth_target(samples):
    """No growth: RSS and live objects after warm-up equal those at the last step."""
    k0, rss0, obj0 = samples[min(2, len(samples) - 1)]
    k1, rss1, obj1 = samples[-1]
    d_rss, d_obj = rss1 - rss0, obj1 - obj0
    ok = d_rss <= 2**20 and d_obj <= 100
    return (f"no memory growth across {k1} W4 steps", "PASS" if ok else "MISS",
            f"RSS {fmt_bytes(rss0)} at step {k0} -> {fmt_bytes(rss1)} at step {k1} "
            f"({d_rss / 2**10:+.0f} KiB), live objects {obj0} -> {obj1} ({d_obj:+d})")


def target_lines(ts):
    return [f"{v:4s}  {t}: {m}" for t, v, m in ts]


def _warmups(results):
    """The compiled worker's first calls per workload, against the eager median."""
    lines = []
    for name, rows in results.items():
        warm, eager = rows.get("compiled", {}).get("warmup"), _med(results, name, "glassgrad")
        fused = rows.get("compiled-numba", {}).get("warmup")
        if warm:
            lines.append(f"{name}: " + ", ".join(fmt_time(t) for t in warm)
                         + (f" (eager step {fmt_time(eager)})" if eager else "")
                         + (" (kernels=\"numba\", its kernels compiled in the last tracing call: "
                            + ", ".join(fmt_time(t) for t in fused) + ")" if fused else ""))
    return lines


def render(results, growth, meta):
    """The text of RESULTS.md."""
    clock = meta.get("clock", "cpu")
    lines = ["# glassgrad benchmarks", "",
             f"Generated by `{meta['command'].strip()}` on {meta['date']} "
             f"in {meta['elapsed']:.0f} s{' (--quick)' if meta['quick'] else ''}.", "",
             f"- Machine: {meta['machine']}; Python {meta['python']}",
             "- Libraries: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())]
    if meta["skipped"]:
        lines.append("- Not run: " + ", ".join(f"{k} ({v})" for k, v in meta["skipped"].items()))
    lines += ["- Each library runs in its own process (peers in their own virtualenvs, "
              "`benchmarks/.envs/`), through its own layers and optimizer where it has them "
              "(glassgrad: `nn` and `optim.SGD`; PyTorch: `torch.nn` and `torch.optim.SGD`); "
              "`compiled` is glassgrad with the same step wrapped in `ag.compile`. Timings "
              "are per iteration after the warm-up (for `compiled`: the tracing calls), "
              f"collected in interleaved rounds; `median/iter` is on the {clock} clock and "
              "all ratios and targets use it; `spread` is half the interquartile range of "
              "the repeats; `other clock` is the median on the other clock. NumPy-based "
              "workers and `torch-1t` run with one BLAS/OpenMP thread and the default "
              "allocator; `tuned malloc` is the same library with fixed glibc thresholds "
              "(`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`; `benchmarks/envs.py`), "
              "whose ratio is to NumPy tuned alike. `× NumPy` is the ratio to the "
              "hand-written NumPy baseline (`benchmarks/numpy_baseline.py`), `× PyTorch` "
              "to PyTorch with one thread (`torch-1t`) in this run. Peak memory is "
              "tracemalloc's peak above the start of an iteration, plus the buffers a "
              "compiled program holds between steps (PyTorch allocations are not traced: "
              "n/a). `check` is the largest relative error of the first loss and gradients "
              "against the NumPy baseline.", "", "## Workloads", ""]
    lines += [f"- **{s.name}**: {s.title}" for s in SPECS.values() if s.name in results]
    lines += ["", "## Results", "", markdown_table(results), "", "## Targets", ""]
    lines += [f"- **{v}** {t}: {m}" for t, v, m in targets(results, growth)]
    warm = _warmups(results)
    if warm:
        lines += ["", "First calls of the compiled step (tracing until two traces agree, "
                  "then the first replay): " + "; ".join(warm) + "."]
    if growth:
        lines += ["", "Memory along W4-f32 steps (glassgrad): " + ", ".join(
            f"step {k}: {rss / 2**20:.1f} MiB / {obj} objects" for k, rss, obj in growth)]
    notes = os.path.join(HERE, "ANALYSIS.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += ["", f.read().strip()]
    return "\n".join(lines) + "\n"
