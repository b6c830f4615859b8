"""The tracing calls: a program is trusted only once a call traced the same program as
the call before it (the second trace is checked, never assumed), and it is built at
its first replay from what that agreeing call left, with the guards taken at the end
of that call (so what changes in between is seen)."""
import dis
import importlib
import pkgutil
import types
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from compile_kit import train_step


def setup():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.ReLU(),
                          nn.Linear(8, 3, dtype=np.float64))
    opt = optim.SGD(model.parameters(), lr=0.1)
    return model, opt, train_step(model, opt)


def data(seed):
    rng = np.random.default_rng(seed)
    return ag.Tensor(rng.standard_normal((8, 4))), rng.integers(0, 3, 8)


def run_both(pair, seed):
    (m1, _, eager), (m2, _, compiled) = pair
    a, b = eager(*data(seed)), compiled(*data(seed))
    assert a.data.tobytes() == b.data.tobytes()
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert p.data.tobytes() == q.data.tobytes()


def twins():
    a, b = setup(), setup()
    return a, (b[0], b[1], ag.compile(b[2]))


def entry(compiled):
    return compiled.entries[compiled._last_key]


def test_the_program_is_built_at_its_first_replay():
    pair = twins()
    compiled = pair[1][2]
    run_both(pair, 0)
    run_both(pair, 1)                   # agrees with the first trace: accepted
    pending = entry(compiled).program
    assert pending is not None and not pending._program.built
    assert compiled.counts["traces"] == 2 and compiled.counts["replays"] == 0
    run_both(pair, 2)                   # guards, build, replay
    assert pending._program.built and compiled.counts["replays"] == 1
    for seed in range(3, 6):
        run_both(pair, seed)
    assert compiled.counts["traces"] == 2 and compiled.counts["replays"] == 4


def test_a_parameter_replaced_before_the_first_replay_is_traced_again():
    pair = twins()
    compiled = pair[1][2]
    run_both(pair, 0)
    run_both(pair, 1)
    new = np.random.default_rng(7).standard_normal((8, 4))
    for model, _, _ in pair:
        model[0].weight.data = new.copy()       # between the agreeing call and a replay
    run_both(pair, 2)
    assert compiled.counts["traces"] == 3 and compiled.counts["replays"] == 0
    for seed in range(3, 7):
        run_both(pair, seed)
    assert compiled.counts["replays"] > 0


def test_a_build_failing_at_the_first_replay_is_traced_again(monkeypatch):
    pair = twins()
    compiled = pair[1][2]
    run_both(pair, 0)
    run_both(pair, 1)
    passes = importlib.import_module("autograd.compile.passes")
    real = passes.prune

    def failing(prog):
        raise MemoryError("no room for the program")
    monkeypatch.setattr(passes, "prune", failing)
    with pytest.raises(MemoryError):
        compiled(*data(2))                # the build runs before any step: nothing ran
    assert compiled.program() is None     # nothing half-built is shown either
    monkeypatch.setattr(passes, "prune", real)
    for seed in range(3, 7):
        run_both(pair, seed)              # traced anew, not a half-built program
    assert compiled.counts["traces"] == 4 and compiled.counts["replays"] == 2


class Config:
    twice = False


def scaled(cfg):
    def step(x):
        y = x * 2.0
        if cfg.twice:                   # Python state the trace cannot see
            y = y * 2.0
        return y.sum()
    return step


def test_a_second_call_tracing_differently_is_not_trusted():
    cfg = Config()
    compiled = ag.compile(scaled(cfg))
    x = ag.Tensor(np.arange(5.0))
    assert compiled(x).item() == 20.0
    cfg.twice = True                    # the second call traces another program
    for _ in range(5):
        assert compiled(x).item() == 40.0
    assert compiled.counts["traces"] == 3 and compiled.counts["replays"] == 3


def test_traces_that_never_agree_run_eagerly_with_a_warning():
    cfg = Config()
    compiled = ag.compile(scaled(cfg))
    x = ag.Tensor(np.arange(5.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(9):
            cfg.twice = bool(i % 2)
            assert compiled(x).item() == (40.0 if cfg.twice else 20.0)
    messages = [str(w.message) for w in caught if issubclass(w.category, ag.CompileWarning)]
    assert len(messages) == 1 and "calls traced differently" in messages[0]
    assert compiled.counts["traces"] == 6 and compiled.counts["eager"] == 3
    assert compiled.counts["replays"] == 0


def test_a_trace_no_longer_needed_is_freed_without_waiting_for_a_collection():
    """The first trace is dropped once the second agrees with it: its calls are freed by
    reference counting then, not by a full collection (the traces' objects are moved to
    the oldest generation, which only full collections walk)."""
    import gc
    from autograd.compile.ir import Op
    step = ag.compile(setup()[2])
    step(*data(0))
    gc.collect()
    ops_before = sum(type(o) is Op for o in gc.get_objects())
    step(*data(1))                        # the second trace: the first is dropped
    step(*data(2))                        # the first replay: the program is built
    prog = step.program()
    ops = sum(type(o) is Op for o in gc.get_objects())
    assert ops <= len(prog.trace.ops) < ops_before + len(prog.trace.ops)


def test_objects_frozen_by_the_process_stay_frozen():
    import gc
    step = ag.compile(setup()[2])
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        for seed in range(3):
            step(*data(seed))
        assert 0 < gc.get_freeze_count() <= frozen     # (frozen objects may be freed)
    finally:
        gc.unfreeze()


def _code_objects(obj, seen, out):
    """Every code object reachable from a module's functions, classes and nested code."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, types.CodeType):
        out.append(obj)
        for c in obj.co_consts:
            _code_objects(c, seen, out)
    elif isinstance(obj, types.FunctionType):
        _code_objects(obj.__code__, seen, out)
    elif isinstance(obj, (staticmethod, classmethod)):
        _code_objects(obj.__func__, seen, out)
    elif isinstance(obj, property):
        for f in (obj.fget, obj.fset, obj.fdel):
            if f is not None:
                _code_objects(f, seen, out)
    elif isinstance(obj, type):
        for v in vars(obj).values():
            _code_objects(v, seen, out)


def test_discovery_reads_the_global_names_dis_gives():
    # discovery reads the names a function loads as globals from its bytes; dis is the
    # reference, on every function of the packages, module code (LOAD_NAME) and a
    # function with more than 256 names (EXTENDED_ARG)
    from autograd.compile import world
    many = "\n".join(f"g{i} = {i}" for i in range(300))
    body = " + ".join(f"g{i}" for i in range(300))
    namespace = {}
    exec(f"{many}\ndef wide():\n    return {body}\n", namespace)
    codes, seen = [namespace["wide"].__code__, compile(many, "<module>", "exec")], set()
    for package in (ag, nn, optim):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for v in vars(module).values():
                _code_objects(v, seen, codes)
    assert len(codes) > 1000
    for code in codes:
        expected = {ins.argval for ins in dis.get_instructions(code)
                    if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        assert world._global_loads(code) == expected, code


def test_new_arrays_share_layout_tuples_but_keep_their_own_dtype_object():
    # the recorder keeps one layout and spec tuple per layout for new arrays; an equal
    # dtype that is another object (with metadata) keeps its own
    from autograd.compile.ir import Op
    from autograd.compile.recorder import Recorder
    rec = Recorder()
    op = Op(0, "func", np.empty, (3,), {})
    tagged = np.dtype(np.float64, metadata={"unit": "m"})
    arrays = [np.empty(3), np.empty(3), np.empty(3, dtype=tagged)]
    a, b, c = (rec._result(op, x)._v for x in arrays)
    assert a.root.layout is b.root.layout and a.spec() is b.spec()
    assert a.root.layout == ((3,), np.dtype(np.float64), (8,), 24, True)
    assert a.spec() == (0, (3,), (8,), np.dtype(np.float64))
    assert c.root.layout[1] is arrays[2].dtype and c.spec()[3] is arrays[2].dtype
    assert c.root.layout[1].metadata == {"unit": "m"}




def test_the_comparison_s_shortcuts_agree_with_the_careful_comparison():
    # index tuples and plain keyword options are compared in one call (==) when their
    # types allow it; they must say "the same" only where _same_arg does
    from autograd.compile.compare import _same_arg, _same_args, _same_options
    indexes = [(1, 2), (1, True), (True, 2), (slice(0, 2),), (slice(0, 3),),
               (slice(0, 2), None, Ellipsis), (slice(0, 2), None, 1), (1.0, 2),
               (0.0,), (-0.0,), (slice(0.0, 2),), (slice(-0.0, 2),), ()]
    for x in indexes:
        for y in indexes:
            assert _same_args((x,), (y,)) == _same_arg(x, y), (x, y)
    f8, f4 = np.dtype(np.float64), np.dtype(np.float32)
    options = [{}, {"dtype": f8}, {"dtype": np.dtype("float64")}, {"dtype": f4},
               {"copy": True}, {"copy": 1}, {"a": 1, "b": True}, {"b": 1, "a": True},
               {"b": True, "a": 1}, {"order": "C"}, {"order": "F"}, {"x": 0.0},
               {"x": -0.0}, {"x": None}, {"x": (1, 2)}]
    for x in options:
        for y in options:
            if _same_options(x, y):
                assert _same_arg(x, y), (x, y)
    assert _same_options({"dtype": f8}, {"dtype": np.dtype("float64")})
    assert not _same_options({"copy": True}, {"copy": 1})
    assert not _same_options({"a": 1, "b": True}, {"b": 1, "a": True})


def test_the_lifetimes_prune_returns_are_the_last_reads_of_the_ops_kept(monkeypatch):
    # the buffer plan takes each root's last use from prune's backward walk instead of
    # walking the ops again: it must be the last op kept reading or writing any view
    # of the root (an op's ``into`` too), whatever the passes dropped
    passes = importlib.import_module("autograd.compile.passes")
    real, seen = passes.prune, []

    def recording(prog):
        seen.append((prog, real(prog)))
        return seen[-1][1]
    monkeypatch.setattr(passes, "prune", recording)
    pair = twins()
    for seed in range(3):
        run_both(pair, seed)
    w = ag.Tensor(np.linspace(0.5, 2.0, 4), requires_grad=True)

    def update(x):
        loss = (w * x).sum()
        loss.backward()
        w.data[...] = w.data - 0.1 * w.grad.data     # made in w's place: ``into``
        w.grad = None
        return loss
    compiled = ag.compile(update)
    for seed in range(3):
        compiled(ag.Tensor(np.arange(4.0) + seed))
    assert len(seen) == 2
    assert seen[0][0].notes.dead > 0
    assert any(op.into is not None and not op.skip for op in seen[1][0].trace.ops)
    for prog, reads in seen:
        expected = {}
        for op in prog.trace.ops:
            if op.skip:
                continue
            for v in op.values:
                expected[v.root.index] = op.index
            if op.into is not None:
                expected[op.into.root.index] = op.index
        assert reads == expected


def test_the_last_reads_fold_returns_are_those_of_the_ops_forward_stores_sees(monkeypatch):
    # fold's walk notes every root's last use (any op, dropped or not) for
    # forward_stores; sum_slices, between them, rewrites ops (other values read): the
    # build must then walk again
    passes = importlib.import_module("autograd.compile.passes")
    plan = importlib.import_module("autograd.compile.plan")
    real, seen = passes.forward_stores, []

    def checking(prog, reads):
        seen.append((prog.notes.slices, reads == plan.last_reads(prog.trace)))
        return real(prog, reads)
    monkeypatch.setattr(passes, "forward_stores", checking)
    pair = twins()
    for seed in range(3):
        run_both(pair, seed)
    x = ag.tensor(np.zeros((4, 3)), requires_grad=True)

    def slices(weight):                 # gradients of x[0], x[2]: a chain rewritten
        x.grad = None
        ((x[0] * weight).sum() + (x[2] * 2.0).sum()).backward()
        return x.grad
    compiled = ag.compile(slices)
    for k in range(3):
        compiled(ag.tensor(np.float64(k + 1.0)))
    assert seen == [(0, True), (1, True)]     # (one slice written in place)


def _record_in_place(rec, ufunc):
    """In-place ufunc calls into a result, a found array and a view of this trace (the
    backward's gradient sums), recorded through ``ufunc`` (given rec.ufunc or
    rec._ufunc); the trace described by plain values, to compare two recordings."""
    from autograd.compile import state
    state.ACTIVE[0] = rec
    try:
        found = rec.adopt(np.arange(4.0))
        acc = rec.ufunc(np.multiply, "__call__", (found, 3.0), {})
        plain = np.full(4, 0.5)
        outs = [ufunc(np.add, "__call__", (acc, plain), {"out": (acc,)}),
                ufunc(np.multiply, "__call__", (found, 2.0), {"out": (found,)})]
        view = rec.method(acc, "__getitem__", (slice(1, None),), {})
        outs.append(ufunc(np.subtract, "__call__", (view, 1), {"out": (view,)}))
    finally:
        state.ACTIVE[0] = None
    assert outs[0] is acc and outs[1] is found and outs[2] is view

    def arg(x):
        return ("value", x.root.index, x.spec()) if hasattr(x, "root") else x

    ops = [(op.kind, op.fn, op.phase, tuple(map(arg, op.args)),
            {k: tuple(map(arg, v)) for k, v in op.kwargs.items()},
            list(map(arg, op.values)), list(map(arg, op.writes)), op.syms, op.site)
           for op in rec.ops]
    roots = [(r.kind, list(r.writes), r.const, None if r.initial is None else
              r.initial.tolist()) for r in rec.roots]
    return ops, roots, np.asarray(acc).tolist(), np.asarray(found).tolist()


def test_an_in_place_ufunc_into_an_array_of_the_trace_is_recorded_as_the_general_path():
    # ufunc(..., out=x) into an array of the trace takes a lean path (no ``encode``
    # walk: W2's backward makes ~250 such sums a trace); it records what the general
    # path records: the same op fields, writes, Values, and a found array's values
    from autograd.compile.recorder import Recorder
    lean = Recorder(previous={})
    lean.encode = None                     # (the lean path never walks the arguments)
    general = Recorder(previous={})
    assert _record_in_place(lean, lean.ufunc) == _record_in_place(general, general._ufunc)
    again = Recorder(previous={})
    ops, roots, acc, found = _record_in_place(again, again._ufunc)
    f8 = np.dtype(np.float64)
    assert [op[6] for op in ops] == [[], [("value", 1, (0, (4,), (8,), f8))],
                                     [("value", 0, (0, (4,), (8,), f8))], [],
                                     [("value", 1, (8, (3,), (8,), f8))]]
    assert roots[:2] == [("foreign", [2], False, [0.0, 1.0, 2.0, 3.0]),
                         ("result", [1, 4], False, None)]
    assert acc == [0.5, 2.5, 5.5, 8.5] and found == [0.0, 2.0, 4.0, 6.0]
