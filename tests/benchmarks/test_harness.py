"""The benchmark harness: what it times (the user's path), where a run writes, and how
the compiled column and the allocator columns are made. Times are never asserted."""
import importlib
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks")


@pytest.fixture(autouse=True)
def keep_default_dtype():
    """The workload cases set float64 as glassgrad's default dtype (as the suite's
    workers do): put back what the rest of the test session expects."""
    import autograd as ag
    before = ag.get_default_dtype()
    yield
    ag.set_default_dtype(before)


@pytest.fixture
def bench_path(monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    yield
    for name in ("case", "workloads", "impl_glassgrad", "numpy_baseline"):
        sys.modules.pop(name, None)


def test_a_quick_run_never_replaces_the_committed_results():
    from benchmarks import run
    quick = run.parse_args(["--quick"])
    assert run.output_path(quick) == run.QUICK_OUTPUT
    assert run.measurements_path(run.output_path(quick)) != run.MEASUREMENTS
    full = run.parse_args([])
    assert run.output_path(full) == os.path.join(BENCH, "RESULTS.md")
    assert run.measurements_path(run.output_path(full)) == run.MEASUREMENTS
    chosen = run.parse_args(["--quick", "--output", "x/RESULTS.md"])
    assert run.output_path(chosen).endswith(os.path.join("x", "RESULTS.md"))


def test_workers_get_the_default_allocator_and_tuned_variants_get_fixed_thresholds(
        monkeypatch):
    from benchmarks import envs
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1")        # never leaks into a worker
    _, env = envs.launch_spec("numpy")
    assert not any(k.startswith("MALLOC_") for k in env)
    _, env = envs.launch_spec("compiled+tuned")
    assert env["MALLOC_MMAP_THRESHOLD_"] == envs.TUNED_MALLOC["MALLOC_MMAP_THRESHOLD_"]
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert envs.launch_spec("numpy+other") is None
    assert envs.launch_spec("micrograd", install=False) in (None, envs.launch_spec(
        "micrograd", install=False))                     # quick: no virtualenv made


def test_every_workload_has_both_dtypes_and_the_lstm_both_ways():
    from benchmarks.workloads import SPECS
    for family in ("W4", "W5", "W6", "W6m"):
        assert {SPECS[f"{family}-f32"].dtype, SPECS[f"{family}-f64"].dtype} == \
            {"float32", "float64"}
    assert SPECS["W6m-f32"].family == "W6m" and SPECS["W6-f32"].family == "W6"


@pytest.mark.parametrize("name", ["W4-f64", "W6m-f32"])
def test_glassgrad_cases_train_through_nn_and_optim_and_compile_equal(bench_path, name):
    import case
    import impl_glassgrad as G
    import optim
    import workloads
    spec = workloads.SPECS[name]
    runs = []
    for compiled in (False, True):
        G.COMPILE = compiled
        try:
            c = case.build(G.CASES, name, workloads.make_data(name, quick=True), spec)
        finally:
            G.COMPILE = False
        assert isinstance(c.opt, optim.SGD)                 # the library's optimizer
        for _ in range(4):
            c.step()
        runs.append([p.data.copy() for p in c.model.parameters()])
    for a, b in zip(*runs):
        assert a.tobytes() == b.tobytes()


def test_report_evaluates_issue_18_targets():
    from benchmarks import report
    rows = {"numpy": {"median": 1.0}, "glassgrad": {"median": 1.2},
            "compiled": {"median": 0.9, "warmup": [2.0, 2.5, 0.9], "peak": 10},
            "torch-1t": {"median": 1.1}}
    results = {"W4-f64": dict(rows), "W2": {"compiled": {"median": 1e-3, "n_ops": 1000},
                                            "torch-1t": {"median": 4e-3}}}
    results["W4-f64"]["numpy"] = {"median": 1.0, "peak": 10}
    verdicts = {t: v for t, v, _ in report.targets(results, None)}
    assert verdicts["W4-f64 eager ≤ 1.1× numpy"] == "MISS"
    assert verdicts["W4-f64 compiled ≤ 1.0× numpy"] == "PASS"
    assert verdicts["W2 compiled ≤ 1.5 µs/op and ≥ 3× faster than PyTorch eager"] == "PASS"
    assert verdicts["first (tracing) calls ≤ 3× an eager step"] == "PASS"
    text = report.render(results, None, {"command": "python -m benchmarks", "date": "d",
                                         "elapsed": 1, "quick": True, "machine": "m",
                                         "python": "3", "versions": {}, "skipped": {}})
    assert "tuned malloc" in text and "compiled" in text


def test_worker_warmup_reports_the_tracing_calls(bench_path):
    import worker
    w = worker.Worker("compiled")
    try:
        w.setup("W2", quick=True)
        times = w.warmup()["times"]
        assert len(times) == 3                              # two traces, then a replay
        assert w.case.run.stats()["replays"] == 1
        assert w.memory(1)["held"] > 0
    finally:
        importlib.import_module("impl_glassgrad").COMPILE = False
