"""The traces' signatures (compile/signature.py): two traces whose signatures are equal
are not compared call by call, so a signature must never be equal where the careful,
call-by-call comparison finds a difference."""
import math

import numpy as np

import autograd as ag
from autograd.compile import compare, function, state
from autograd.compile.recorder import Recorder

F8, F4 = np.dtype(np.float64), np.dtype(np.float32)
NUMBERS = [1, True, 1.0, 0.0, -0.0, math.nan, np.float64(1.0), np.float32(1.0), 2]
DTYPES = [F8, F4, np.dtype("float64"), np.float64, "float64", "f8", float]
OPTIONS = [{}, {"dtype": F8}, {"dtype": np.dtype("float64")}, {"dtype": F4},
           {"copy": True}, {"copy": 1}, {"dtype": F8, "copy": True},
           {"copy": True, "dtype": F8}, {"order": "C"}, {"dtype": np.float64}]
INDEXES = [0, 1, True, (0, 1), (True, 1), slice(0, 2), slice(True, 2), (slice(0, 2), None),
           (Ellipsis, 1), (0, slice(None, None, 2))]


def _trace(record, previous=None):
    rec = Recorder(previous=previous)
    state.ACTIVE[0] = rec
    try:
        x = rec.adopt(np.arange(6.0).reshape(2, 3))
        y = rec.ufunc(np.multiply, "__call__", (x, 2), {})
        record(rec, x, y)
    finally:
        state.ACTIVE[0] = None
    return rec


def _careful(prev, cur):
    """first_difference with the signatures made unequal: the call-by-call comparison."""
    sig, prev.sig = prev.sig, [object()]
    try:
        return compare.first_difference(prev, cur)
    finally:
        prev.sig = sig


def _check_pairs(recorders):
    agreeing = 0
    for make_a in recorders:
        a = _trace(make_a)
        for make_b in recorders:
            b = _trace(make_b, {})
            assert compare.first_difference(a, b) == _careful(a, b)
            agreeing += compare.first_difference(a, b) is None
    assert agreeing >= len(recorders)      # (each agrees with itself at least)


def test_a_signature_is_equal_only_where_the_careful_comparison_agrees():
    # Python constants of every kind the lean paths take, as ufunc, function and
    # method arguments, and np.array's keyword options: 0.0 and -0.0, 1 and True,
    # NaN, an index with a bool, dtypes that are equal objects or not
    def ufunc(c):
        return lambda rec, x, y: rec.ufunc(np.maximum, "__call__", (y, c), {})

    def where(c):
        return lambda rec, x, y: rec.function(np.where, (x, c, y), {})

    def astype(dtype):
        return lambda rec, x, y: rec.method(y, "astype", (dtype,), {})

    def index(i):
        return lambda rec, x, y: rec.method(y, "__getitem__", (i,), {})

    def options(kw):
        return lambda rec, x, y: rec.array(np.array, (y,), kw)

    _check_pairs([ufunc(c) for c in NUMBERS])
    _check_pairs([where(c) for c in NUMBERS])
    _check_pairs([astype(d) for d in DTYPES])
    _check_pairs([index(i) for i in INDEXES])
    _check_pairs([options(kw) for kw in OPTIONS])


def test_traces_of_other_shapes_or_arrays_have_other_signatures():
    def reads(shape, use_x):
        def record(rec, x, y):
            z = rec.method(y, "reshape", shape, {})
            rec.ufunc(np.add, "__call__", (x if use_x else y, z.reshape(2, 3)), {})
        return record
    _check_pairs([reads((3, 2), True), reads((6,), True), reads((3, 2), False)])
    a, b = _trace(reads((3, 2), True)), _trace(reads((3, 2), True), {})
    assert a.sig == b.sig and compare.first_difference(a, b) is None


def test_traces_with_equal_signatures_are_not_compared_call_by_call(monkeypatch):
    # W3's 250,000 calls took ~0.3 s compared one by one in Python; with equal
    # signatures only the calls the signature does not describe are (here: a sum's
    # keywords, the backward's in-place gradient sums)
    compared, args_compared, traces = [], [], []
    real_same_op, real_same_args = compare._same_op, compare._same_args
    real_difference = compare.first_difference

    def same_op(a, b):
        compared.append(b.index)
        return real_same_op(a, b)

    def same_args(a, b):
        args_compared.append(a)
        return real_same_args(a, b)

    def first_difference(prev, cur):
        traces.append(cur)
        return real_difference(prev, cur)
    monkeypatch.setattr(compare, "_same_op", same_op)
    monkeypatch.setattr(compare, "_same_args", same_args)
    monkeypatch.setattr(function, "first_difference", first_difference)
    w = ag.Tensor(np.linspace(0.5, 2.0, 4), requires_grad=True)

    def step(x):
        w.grad = None
        loss = (ag.relu(w * x) * 0.5 + 1.0).sum()
        loss.backward()
        return loss
    compiled = ag.compile(step)
    for k in range(4):
        compiled(ag.Tensor(np.arange(4.0) + k))
    assert compiled.counts["replays"] == 2 and compiled.counts["traces"] == 2
    (trace,) = traces
    assert compared == trace.careful and 0 < len(compared) < len(trace.ops) // 2
    assert len(args_compared) == len(compared)



def test_inline_roots_set_every_slot():
    # the recorder writes a result's Op, Root and Value out (no __init__ call, for
    # nearly every recorded call): a slot added to them must be set there as well
    from autograd.compile.ir import Op, Root, Value
    rec = _trace(lambda rec, x, y: rec.ufunc(np.add, "__call__", (y, y), {}))
    rec2 = _trace(lambda rec, x, y: rec.ufunc(np.add, "__call__", (y.sum(), 1.0), {}))
    assert any(root.scalar for root in rec2.roots)      # (the 0-d path too)
    for r in (rec, rec2):
        results = [root for root in r.roots if root.kind == "result"]
        assert results
        for root in results:
            assert all(hasattr(root, s) for s in Root.__slots__), root.index
        for op in r.ops:
            assert all(hasattr(op, s) for s in Op.__slots__), op.index
            for v in op.outs:
                assert all(hasattr(v, s) for s in Value.__slots__)


def test_a_plain_array_read_by_several_calls_has_one_value():
    # (W2's cached constants ``y + 1e-4``: a Value per use was made, measured and freed)
    const = np.full(3, 0.5)

    def record(rec, x, y):
        for _ in range(3):
            rec.ufunc(np.add, "__call__", (y, const), {})
        other = const.copy()             # an equal array of its own: another root
        rec.ufunc(np.add, "__call__", (y, other), {})
    rec = _trace(record)
    reads = [op.args[1] for op in rec.ops[1:]]
    assert reads[0] is reads[1] is reads[2] and reads[0].arr is const
    assert reads[3] is not reads[0] and reads[3].root is not reads[0].root


SHAPES = [(6,), (3, 2), (3, True), (6, None), (np.int64(6),), (), (2, 3), 6, [3, 2]]
BROADCASTS = [(2, 3), (1, 2, 3), (4, 2, 3), (np.int64(2), 3), [2, 3]]


def test_shapes_and_creation_options_sign_as_the_careful_comparison_agrees():
    # np.reshape(a, shape), np.broadcast_to(a, shape) and np.ones(shape, dtype=...)
    # take the lean function and creation paths (W7's tracing calls); a shape with a
    # bool or a NumPy int, or a list, still goes the general path
    def reshape(shape):
        return lambda rec, x, y: rec.function(np.reshape, (y, shape if shape else -1), {})

    def broadcast(shape):
        return lambda rec, x, y: rec.function(np.broadcast_to, (y, shape), {})

    def ones(kw):
        return lambda rec, x, y: rec.array(np.ones, ((2, 3),), kw)

    def full(value):
        return lambda rec, x, y: rec.array(np.full, ((2,), value), {})

    _check_pairs([reshape(s) for s in SHAPES if s != (3, True) and s != (6, None)])
    _check_pairs([broadcast(s) for s in BROADCASTS])
    _check_pairs([ones(kw) for kw in OPTIONS if "copy" not in kw])
    _check_pairs([full(c) for c in NUMBERS])


def _describe(rec):
    def arg(x):
        return ("value", x.root.index, x.spec()) if hasattr(x, "root") else x
    ops = [(op.kind, op.fn, op.phase, tuple(map(arg, op.args)), dict(op.kwargs),
            list(map(arg, op.values)), list(map(arg, op.outs)), op.syms, op.site)
           for op in rec.ops]
    return ops, [(r.kind, r.layout, r.const) for r in rec.roots]


def test_lean_shape_and_creation_calls_record_what_the_general_path_records(monkeypatch):
    from autograd.compile import recorder

    def record(rec, x, y):
        z = rec.function(np.reshape, (y, (3, 2)), {})
        rec.function(np.broadcast_to, (rec.function(np.reshape, (z, (6,)), {}), (2, 6)), {})
        rec.array(np.ones, ((2, 3),), {"dtype": np.float32})
        rec.array(np.full, ((4,), 0.5), {})
        rec.function(np.transpose, (y, (1, 0)), {})
    lean = _trace(record, {})
    monkeypatch.setattr(recorder.Recorder, "_flat", lambda self, inputs: None)
    monkeypatch.setattr(recorder, "_plain_options", lambda args: False)
    general = _trace(record, {})
    assert _describe(lean) == _describe(general)
    assert len(lean.careful) == 1 and len(general.careful) == 7    # (np.full's 0.5)
    assert compare.first_difference(general, lean) is None


def test_in_place_sums_sign_their_out_array_as_the_careful_comparison_agrees():
    # ufunc(a, b, out=acc) into an array of the trace (the backward's gradient sums)
    # is signed in full: the array written, its root and its view
    def into(target, general=False):
        def record(rec, x, y):
            z = rec.ufunc(np.multiply, "__call__", (y, 3), {})
            acc = {"y": y, "z": z, "row": rec.method(z, "__getitem__", (0,), {}),
                   "col": rec.method(z, "__getitem__", ((slice(None), 1),), {})}[target]
            ufunc = rec._ufunc if general else rec.ufunc
            ufunc(np.add, "__call__", (acc, acc), {"out": (acc,)})
        return record
    variants = [into(t) for t in ("y", "z", "row", "col")] + [into("z", general=True)]
    _check_pairs(variants)
    lean = _trace(into("row"))
    assert not lean.careful and lean.ops[-1].kwargs["out"][0].root.index == 2
