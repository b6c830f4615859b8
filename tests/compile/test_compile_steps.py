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


def test_a_number_read_anew_is_put_straight_into_its_argument():
    """SGD's ``g * -lr`` reads -lr from a register without the generic resolution, and a
    learning rate changed between calls is the one used."""
    pair = twins(momentum=0)
    for i in range(4):
        compiled = run_both(pair, *data(8, i))
    steps = compiled.program().steps
    assert sum(fn is forms.dynamic_args for fn, _a, _k in steps) == 4   # 2 W, 2 b
    assert not any(fn is program._dynamic for fn, _a, _k in steps)
    for lr in (0.05, 0.3):
        pair[0][1].param_groups[0]["lr"] = pair[1][1].param_groups[0]["lr"] = lr
        run_both(pair, *data(8, 11))
