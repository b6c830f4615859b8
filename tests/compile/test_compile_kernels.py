"""ag.compile(fn, kernels="numba"): fused elementwise kernels keep every bit.

Runs of elementwise calls become generated numba loops (autograd/compile/fuse.py,
kernels.py). The replay must stay bit-identical to the eager step and to the default
(NumPy) replay, step after step, on the W2 chain, models with optimizers, both float
dtypes and NaN/inf/-0.0 values; calls that cannot be fused stay NumPy calls. Without
numba these tests skip (the option then raises an ImportError naming the extra).
"""
import sys

import numpy as np
import pytest

import autograd as ag
from autograd.compile import fuse, kernels
from test_compile_bits import train_side_by_side
from test_compile_guards import assign_from_outside, branch_the_other_way, setup

needs_numba = pytest.mark.skipif(not kernels.available(),
                                 reason="numba (the optional 'kernels' extra) is not "
                                        "installed")


def chain(n, dtype=np.float64, x0=None):
    """W2's op cycle (x*w, x+1e-4, x*0.9999, relu), forward and backward."""
    x0 = np.linspace(-1, 1, 16).astype(dtype) if x0 is None else x0
    w0 = np.linspace(0.5, 1.5, x0.size).astype(dtype)

    def fn():
        x = ag.Tensor(x0, requires_grad=True)
        w = ag.Tensor(w0, requires_grad=True)
        y = x
        for _ in range(n):
            y = ag.relu((y * w + 1e-4) * 0.9999)
        loss = y.sum()
        loss.backward()
        return loss, x.grad, w.grad
    return fn


def bits(results):
    return [r.data.tobytes() for r in results]


def test_an_unknown_kernel_compiler_is_refused():
    with pytest.raises(ValueError, match="numba"):
        ag.compile(lambda: None, kernels="cuda")


def test_without_numba_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)       # import numba fails
    with pytest.raises(ImportError, match=r"glassgrad\[kernels\]"):
        ag.compile(lambda: None, kernels="numba")
    assert ag.compile(lambda: None).kernels is None       # the default needs nothing


@needs_numba
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_the_w2_chain_is_fused_and_keeps_every_bit(dt):
    fn = chain(250, dt)
    fused, plain = ag.compile(fn, kernels="numba"), ag.compile(fn)
    for _ in range(6):
        with np.errstate(over="ignore"):          # (float32 overflows: inf, as eagerly)
            expect = bits(fn())
            assert bits(fused()) == expect
            assert bits(plain()) == expect
    assert fused.stats()["replays"] == 4
    report = fused.program().fused
    assert report.calls > 2000 and len(report.kernels) < 150
    assert fused.stats()["steps"] < plain.stats()["steps"] // 10


@needs_numba
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_nan_inf_and_signed_zeros_keep_every_bit(dt):
    special = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan, 1.5, -2.5, 1e-30,
                        3e38, -3e38, 5e-324 if dt == np.float64 else 1e-45, -1.0,
                        0.5, -0.5, 7.0, -0.0], dt)
    other = np.roll(special, 5)

    def fn(a, b):
        s = a * b + (a - b) / (b + 0.5)
        m = ag.maximum(s, a) - ag.minimum(-s, b)
        r = ag.relu(m) + ag.relu(-a) * 2.0
        q = ag.where(a > b, r, ag.sqrt(ag.relu(b)))
        return q + 0.0 * ag.where(a == b, a, -b)

    compiled = ag.compile(fn, kernels="numba")
    with np.errstate(all="ignore"):
        for k in range(5):
            a, b = ag.Tensor(np.roll(special, k)), ag.Tensor(np.roll(other, -k))
            assert compiled(a, b).data.tobytes() == fn(a, b).data.tobytes()
    assert compiled.program().fused.kernels


@needs_numba
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("model_name,opt_name", [("mlp", "adam"), ("cnn", "momentum"),
                                                 ("bn", "adam"), ("bn", "sgd+scheduler")])
def test_training_with_kernels_equals_eager_bit_for_bit(model_name, opt_name, dt):
    compiled = train_side_by_side(model_name, opt_name, dt, kernels="numba")[0]
    assert compiled.stats()["eager"] == 0 and compiled.stats()["replays"] >= 4
    assert compiled.program().fused.kernels          # something was fused


@needs_numba
def test_inputs_read_in_place_are_rebound_in_the_kernels():
    """A kernel reading the caller's input array (inputs.py) reads each call's array:
    new arrays, one refilled in place, a read-only one, one that must be copied."""
    w = ag.tensor(np.linspace(-1, 1, 12), requires_grad=True)

    def fn(x):
        return ag.relu(x * w - 0.25) * x + 1.0

    fused = ag.compile(fn, kernels="numba")
    rng = np.random.default_rng(1)
    refilled = rng.standard_normal(12)
    for k in range(8):
        if k % 4 == 1:
            refilled[...] = rng.standard_normal(12)
            a = refilled
        elif k % 4 == 2:
            a = rng.standard_normal(12)
            a.flags.writeable = False
        elif k % 4 == 3:
            a = rng.standard_normal(24)[::2]             # strided: copied in
        else:
            a = rng.standard_normal(12)
        x = ag.Tensor(a)
        assert fused(x).data.tobytes() == fn(x).data.tobytes()
    prog = fused.program()
    assert prog.fused.kernels and prog.inputs.direct
    assert any(not isinstance(prog.steps[i][0], np.ufunc)      # a kernel's arguments
               for i, *_ in prog.inputs.templates)


@needs_numba
def test_calls_that_cannot_be_fused_stay_numpy_calls():
    """exp/log/tanh are not fused (NumPy's are not libm's); neither are integer ops."""
    x0 = np.linspace(-1, 1, 8)

    def fn():
        x = ag.Tensor(x0)
        return ag.log(ag.tanh(ag.exp(x)))
    fused, plain = ag.compile(fn, kernels="numba"), ag.compile(fn)
    for _ in range(4):
        with np.errstate(all="ignore"):
            assert fused().data.tobytes() == plain().data.tobytes() == fn().data.tobytes()
    assert fused.program().fused.kernels == []
    assert len(fused.program().steps) == len(plain.program().steps)
    assert "nothing fused" in fused.summary()


@needs_numba
def test_a_kernel_numba_refuses_leaves_its_calls_as_numpy_calls(monkeypatch):
    def refuse(src, args):
        raise RuntimeError("no kernel today")
    monkeypatch.setattr(kernels, "kernel", refuse)
    fn = chain(3)
    fused, plain = ag.compile(fn, kernels="numba"), ag.compile(fn)
    for _ in range(4):
        assert bits(fused()) == bits(plain()) == bits(fn())
    assert len(fused.program().steps) == len(plain.program().steps)
    assert "refused them (RuntimeError: no kernel today)" in fused.summary()


def test_a_run_stops_at_an_unfusable_call():
    """Fusable steps around a non-fusable one form two runs, the call stays between."""
    a, b, out = np.ones(4), np.ones(4), np.empty(4)
    run = fuse._start((np.add, (a, b, out), None), None, set())
    assert run is not None
    assert fuse._try(run, (np.multiply, (out, 2.0, out), None), None)
    assert not fuse._try(run, (np.exp, (out, out), None), None)
    assert not fuse._try(run, (np.add, (a[:2], b[:2], out[:2]), None), None)   # shape
    assert not fuse._try(run, (np.add, (a.astype(np.float32), b, out), None), None)
    assert len(run.instrs) == 2


def test_partially_overlapping_arrays_end_a_run():
    buf = np.zeros(8)
    x, y, out = buf[:4], buf[2:6], np.empty(4)
    run = fuse._start((np.add, (x, x, out), None), None, set())
    assert not fuse._try(run, (np.add, (y, out, out), None), None)
    assert len(run.instrs) == 1


def run_fused(steps):
    """The steps (fn, args, None) as one kernel, run once; (kernel, its arguments)."""
    run = fuse._start(steps[0], None, set())
    assert run is not None
    for step in steps[1:]:
        assert fuse._try(run, step, None), step
    src = kernels.source(run.instrs, run.group, len(run.zero_d), run.const_dtypes)
    args = tuple(run.arrays) + tuple(run.zero_d) + (np.array(run.consts),)
    fn, _seconds = kernels.kernel(src, args)
    fn(*args)
    return fn, args


@needs_numba
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_the_same_memory_seen_as_floats_and_ints_within_a_run(dt):
    """A float buffer written, then its bits masked through an integer view, then read
    as floats again (how ``where`` selects bits on large arrays): stored at once."""
    ints = np.dtype(f"i{np.dtype(dt).itemsize}")
    special = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan, 1.5, -2.5, 3.0], dt)
    mask0 = np.array([0, -1, -1, 0, -1, -1, 0, -1], ints)

    def steps(f, out, mask):
        bits = f.view(ints)
        return [(np.multiply, (f, dt(2.0), f), None),
                (np.bitwise_and, (bits, mask, bits), None),
                (np.add, (f, 1.0, out), None),
                (np.invert, (bits, bits), None),
                (np.subtract, (out, f, out), None)]
    f1, o1 = special.copy(), np.empty_like(special)
    with np.errstate(all="ignore"):
        for fn, args, _ in steps(f1, o1, mask0):
            fn(*args)
    f2, o2 = special.copy(), np.empty_like(special)
    with np.errstate(all="ignore"):
        run_fused(steps(f2, o2, mask0))
    assert f1.tobytes() == f2.tobytes() and o1.tobytes() == o2.tobytes()


@needs_numba
def test_zero_d_and_broadcast_single_values_are_read_at_each_call():
    """A 0-d array, or one value broadcast to the run's shape, is read by the kernel
    when it runs (it may be a buffer an earlier call writes), not when it is built."""
    a, out, scale = np.arange(6.0).reshape(2, 3), np.empty((2, 3)), np.array(2.0)
    seed = np.array([0.5])
    steps = [(np.multiply, (a, scale, out), None),
             (np.add, (out, np.broadcast_to(seed.reshape(1, 1), (2, 3)), out), None)]
    fn, args = run_fused(steps)
    assert out.tobytes() == (a * 2.0 + 0.5).tobytes()
    scale[()], seed[0] = -1.0, 4.0
    fn(*args)                                   # the same kernel call, new values
    assert out.tobytes() == (a * -1.0 + 4.0).tobytes()


@needs_numba
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_relu_and_its_bit_multiply_gradient_are_fused_on_large_arrays(dt):
    """From 4,096 elements relu's gradient is the gradient's bits as integers times a
    bool mask (elementwise._relu_vjp: ``out != 0``), the mask cast in the kernel."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((64, 80)).astype(dt)
    x0.flat[:6] = [-0.0, 0.0, np.inf, -np.inf, np.nan, -np.nan]
    g0 = rng.standard_normal((64, 80)).astype(dt)
    g0.flat[6:12] = [np.inf, -np.inf, np.nan, -0.0, 0.0, 1.0]
    w = ag.tensor(np.ones(1, dt), requires_grad=True)

    def fn(x, g):
        w.grad = None
        y = ag.relu(ag.relu(x * w) - 0.5)
        (y * g).sum().backward()
        return y, w.grad

    fused = ag.compile(fn, kernels="numba")
    with np.errstate(all="ignore"):
        for k in range(5):
            x, g = ag.Tensor(np.roll(x0, k)), ag.Tensor(np.roll(g0, -k))
            expect = [t.data.tobytes() for t in fn(x, g)]
            assert [t.data.tobytes() for t in fused(x, g)] == expect
    names = fused.program().fused.kernels
    assert any({"multiply", "not_equal"} <= set(k[1]) and "int" in str(k[3])
               for k in names), names


@needs_numba
def test_no_fma_contraction_in_the_kernels():
    """a*b + c rounded twice, as NumPy does: a fused multiply-add would round once."""
    a = np.array([1 + 2.0 ** -30] * 4)
    c = np.array([-(1 + 2.0 ** -29)] * 4)
    t, out = np.empty(4), np.empty(4)
    run = fuse._start((np.multiply, (a, a, t), None), None, set())
    assert fuse._try(run, (np.add, (t, c, out), None), None)
    src = kernels.source(run.instrs, run.group, len(run.zero_d), run.const_dtypes)
    args = tuple(run.arrays) + tuple(run.zero_d) + (np.array(run.consts),)
    fn, _seconds = kernels.kernel(src, args)
    fn(*args)
    assert out.tobytes() == (a * a + c).tobytes()
    assert (a * a + c)[0] == 0.0                              # (an FMA gives 2**-60)
    asm = "\n".join(fn.inspect_asm().values()).lower()
    assert "fma" not in asm


@needs_numba
def test_kernels_are_reused_by_source():
    before = dict(kernels.STATS)
    for _ in range(2):
        compiled = ag.compile(chain(12), kernels="numba")
        for _ in range(3):
            compiled()
    assert kernels.STATS["cache_hits"] > before["cache_hits"]


def fused_twins():
    a, b = setup(), setup()
    return a, (b[0], b[1], ag.compile(b[2], kernels="numba"))


@needs_numba
def test_a_branch_going_the_other_way_falls_back_with_kernels():
    """As test_compile_guards' test: the guard fails mid-replay, after fused steps
    wrote; the call runs eagerly with every bit as the eager twin's."""
    compiled = branch_the_other_way(fused_twins())
    assert compiled.program().fused.kernels


@needs_numba
def test_data_and_lr_assigned_from_outside_are_seen_with_kernels():
    pair = fused_twins()
    assign_from_outside(pair, np.full((8, 4), 0.25))
    assert pair[1][2].program().fused.kernels


@needs_numba
def test_summary_and_draw_say_what_was_fused():
    compiled = ag.compile(chain(3), kernels="numba")
    for _ in range(3):
        compiled()
    text = compiled.summary()
    assert "kernels (numba): 2 fused kernels replace" in text
    assert "maximum" in text.splitlines()[-1]
    dot = compiled.to_dot()
    assert "subgraph cluster_k0" in dot and "fused kernel 0" in dot
    plain = ag.compile(chain(3))
    for _ in range(3):
        plain()
    assert "kernels (" not in plain.summary() and "cluster" not in plain.to_dot()
