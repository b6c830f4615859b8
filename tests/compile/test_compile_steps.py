"""The forms a program's steps take: cheaper calls that compute the same bits."""
import numpy as np
import pytest

import autograd as ag
from autograd.compile import forms, program
from test_compile_guards import run_both, twins, data


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
def test_reductions_run_as_their_ufuncs_reduce_with_the_same_bits(dt):
    """np.sum / np.max / np.min / np.prod steps call ufunc.reduce directly (what NumPy's
    wrappers call on an ndarray), with every keyword the traced call passed."""
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
