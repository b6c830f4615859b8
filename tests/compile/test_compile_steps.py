"""The forms a program's steps take: cheaper calls that compute the same bits."""
import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd.compile import forms, program, scalars
from test_compile_guards import run_both, twins, data


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
def test_reductions_run_as_their_ufuncs_reduce_with_the_same_bits(dt):
    """np.sum / np.max / np.min / np.prod steps call ufunc.reduce directly (what NumPy's
    wrappers call on an ndarray), with every option the traced call passed (axis,
    dtype, out and keepdims positionally)."""
    def f(x):
        a = x.data
        return (np.sum(a, axis=1, keepdims=True), np.max(a, axis=0), np.amin(a),
                np.prod(a, axis=(0, 1)), np.sum(a, axis=0, dtype=np.float64),
                np.max(a, axis=1, initial=5, where=a > 0))

    rng = np.random.default_rng(0)
    xs = [ag.Tensor((rng.standard_normal((6, 5)) * 7).astype(dt)) for _ in range(4)]
    compiled = ag.compile(f)
    for x in xs:
        for got, want in zip(compiled(x), f(x)):
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    steps = compiled.program().steps
    assert compiled.stats()["replays"] > 0
    fns = [fn for fn, _args, _kw in steps]
    assert not {np.sum, np.max, np.amin, np.prod} & set(fns)
    assert sum(getattr(fn, "__name__", "") == "reduce" for fn in fns) == 6
    # options in their places, no keyword dict per call: all but initial= and where=
    assert sum(kw is None for fn, _a, kw in steps if fn.__name__ == "reduce") == 5


def test_a_number_read_anew_is_filled_into_its_step_when_it_changes():
    """SGD's ``g * -lr`` is a plain ``np.multiply(g, -lr, out)`` step: -lr changes only
    when a number read anew does (the head runs then), and then the steps get the new
    value; a learning rate changed between calls is the one used."""
    pair = twins(momentum=0)
    for i in range(4):
        compiled = run_both(pair, *data(8, i))
    prog = compiled.program()

    def lrs():
        return [args[1] for fn, args, _k in prog.steps if fn is np.multiply
                and type(args[1]) is float]

    assert lrs() == [-0.1] * 4                           # 2 W, 2 b
    assert not any(fn in (forms.dynamic_args, program._dynamic) for fn, _a, _k in prog.steps)
    for lr in (0.05, 0.3):
        pair[0][1].param_groups[0]["lr"] = pair[1][1].param_groups[0]["lr"] = lr
        run_both(pair, *data(8, 11))
        assert lrs() == [-lr] * 4


def _specials(dt, shape, seed):
    """Random values with NaNs of both signs and odd payloads, signed zeros and infs."""
    rng = np.random.default_rng(seed)
    ints = np.dtype(f"u{np.dtype(dt).itemsize}")
    odd = (np.array([0x7fc00001, 0xffc00002, 0x7f800001, 0xff800003], ints)
           if ints.itemsize == 4 else
           np.array([0x7ff8000000000001, 0xfff8000000000002, 0x7ff0000000000001,
                     0xfff0000000000003], ints)).view(dt)
    pool = np.concatenate([np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf], dt),
                           odd, rng.standard_normal(6).astype(dt)])
    return pool[rng.integers(0, len(pool), shape)]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_maximum_with_a_scalar_reads_a_constant_row_with_the_same_bits(dt):
    """np.maximum / np.minimum of a large array and a scalar (a ReLU) run on the array
    as rows and one constant row: NumPy's two-array loop, ~4x faster than its loop for a
    scalar, and the same bits for NaNs (either sign, any payload), signed zeros, infs."""
    def f(x):
        a = -x.data               # (a result: the caller's array is read in place)
        return (np.maximum(a, 0), np.minimum(-0.0, a), np.maximum(a, np.nan),
                np.minimum(a, dt(1.5)), np.maximum(a[:3], 0))

    compiled = ag.compile(f)
    for seed in range(4):
        x = ag.Tensor(_specials(dt, (128, 256), seed))
        for got, want in zip(compiled(x), f(x)):
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    assert compiled.stats()["replays"] == 2
    prog = compiled.program()
    rowed = [args for fn, args, _kw in prog.steps if fn in (np.maximum, np.minimum)
             and {np.ndim(a) for a in args} == {1, 2}]
    assert len(rowed) == 4                      # not the 3x256 slice: too small
    assert {row.size for args in rowed for row in args if row.ndim == 1} == {8192}
    assert len(prog.rows) == 4                  # 0, -0.0, NaN and 1.5: one row each


def test_maximum_with_a_scalar_of_another_dtype_keeps_the_scalar():
    """A 0-d float64 array against float32 values computes in float64: no row then."""
    def f(x):
        return np.maximum(-x.data, np.array(0.25)).astype(np.float32)

    compiled = ag.compile(f)
    for seed in range(3):
        x = ag.Tensor(np.random.default_rng(seed).standard_normal((64, 256), np.float32))
        assert compiled(x).tobytes() == f(x).tobytes()
    assert compiled.program().rows == {}


def _decisions_in_blocks(prog):
    return [c for fn, args, _kw in prog.steps if fn is scalars.run_block
            for c in args[1] if c[0] == 6]


def test_a_label_check_is_made_in_a_block_and_a_bad_label_still_raises():
    """cross_entropy's label check (one maximum, a comparison, a decision) replays as a
    reduction into a register and one block deciding on it, no guard step; a label out
    of range still raises the eager error, and training goes on replaying after it."""
    pair = twins(momentum=0)
    for i in range(4):
        compiled = run_both(pair, *data(8, i))
    prog = compiled.program()
    assert len(_decisions_in_blocks(prog)) == 2      # the labels, the finite logits
    assert not any(fn is program._guard for fn, _a, _k in prog.steps)
    assert any(fn is scalars.to_register for fn, _a, _k in prog.steps)
    for bad in (3, -1):
        x, y = data(8, 5)
        y[2] = bad
        for _model, _opt, step in pair:
            with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
                step(x, y)
    replays = compiled.stats()["replays"]
    for i in range(4):
        run_both(pair, *data(8, 6 + i))
    assert compiled.stats()["replays"] > replays


def test_a_decision_made_in_a_block_after_a_write_leaves_no_trace_when_it_fails():
    """A label check made in a block after the function wrote an array that outlives
    the call: the array is backed up, and a replay whose check fails is undone before
    the call runs eagerly (which writes once, then raises)."""
    def make():
        p = ag.Tensor(np.zeros(3))

        def f(x, y):
            p.data += 1.0                             # a write that outlives the call
            return F.cross_entropy(x, y)              # its label check comes after it
        return p, f

    (p1, eager), (p2, f) = make(), make()
    compiled = ag.compile(f)
    rng = np.random.default_rng(0)
    for bad in (None, None, None, None, 3, None, -2, None):
        x, y = ag.Tensor(rng.standard_normal((6, 3))), rng.integers(0, 3, 6)
        if bad is None:
            assert compiled(x, y).data.tobytes() == eager(x, y).data.tobytes()
        else:
            y[4] = bad
            for step in (eager, compiled):
                with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
                    step(x, y)
        assert p1.data.tobytes() == p2.data.tobytes()
    prog = compiled.program()
    assert len(_decisions_in_blocks(prog)) == 2 and len(prog.backups) == 1
    assert compiled.stats()["guard_failures"] == 2


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_relus_gradient_replays_as_the_eager_bit_multiply(dt):
    """relu's VJP on a large batch multiplies the gradient's bits by ``out != 0`` in a
    trace as eagerly: two steps, not where's four (a mask, its int copy, minus one,
    and), the same bits for NaNs, signed zeros and infs on either side."""
    w = ag.tensor(np.ones(1, dt), requires_grad=True)

    def f(x, g):
        w.grad = None
        y = ag.relu(x * w)
        (y * g).sum().backward()
        return y, w.grad

    compiled = ag.compile(f)
    with np.errstate(all="ignore"):
        for seed in range(4):
            x = ag.Tensor(_specials(dt, (64, 80), seed))
            g = ag.Tensor(_specials(dt, (64, 80), 9 + seed))
            want = [t.data.tobytes() for t in f(x, g)]
            assert [t.data.tobytes() for t in compiled(x, g)] == want
    names = [getattr(fn, "__name__", "") for fn, _a, _k in compiled.program().steps]
    assert "not_equal" in names and not {"less_equal", "bitwise_and"} & set(names)
