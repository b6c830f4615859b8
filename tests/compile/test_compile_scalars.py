"""Graphs of 0-d values (micrograd's style) replay as scalar math in registers
(``autograd/compile/scalars.py``), bit for bit as eager, and as one long run: ReLU's
select, reads of 0-d buffers and signed constants included."""
import numpy as np
import pytest

import autograd as ag
from autograd.compile import program, scalars


def scalar_net(dtype, seed=0):
    """A 2-4-4-1 ReLU net of 0-d values, a hinge loss over 6 points, SGD by hand
    (``step(lr)``, ``lr`` a 0-d tensor)."""
    rng = np.random.default_rng(seed)
    sizes = [2, 4, 4, 1]
    layers = [[([ag.tensor(dtype(w), requires_grad=True) for w in rng.uniform(-1, 1, i)],
                ag.tensor(dtype(0), requires_grad=True)) for _ in range(o)]
              for i, o in zip(sizes[:-1], sizes[1:])]
    params = [p for layer in layers for ws, b in layer for p in ws + [b]]
    X = rng.standard_normal((6, 2)).astype(dtype).tolist()
    Y = [1.0, -1.0, 1.0, 1.0, -1.0, -1.0]

    def step(lr):
        for p in params:
            p.grad = None
        losses = []
        for row, y in zip(X, Y):
            h = [ag.tensor(dtype(v)) for v in row]
            for k, layer in enumerate(layers):
                acts = [sum((w * x for w, x in zip(ws, h)), b) for ws, b in layer]
                h = [a.relu() for a in acts] if k < len(layers) - 1 else acts
            losses.append((1 + -y * h[0]).relu())
        loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= lr.data * p.grad.data
        return loss

    return step, params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_scalar_net_trains_bit_for_bit(dtype):
    eager, eager_params = scalar_net(dtype)
    step, params = scalar_net(dtype)
    compiled = ag.compile(step)
    for k in range(6):
        lr = ag.tensor(dtype(0.5 - 0.05 * k))       # an input: one program for all
        a, b = eager(lr), compiled(lr)
        assert a.data.tobytes() == b.data.tobytes(), k
        for p, q in zip(eager_params, params):
            assert p.data.tobytes() == q.data.tobytes(), k
            assert p.grad.data.tobytes() == q.grad.data.tobytes(), k
    assert compiled.stats()["replays"] >= 3


def test_relu_and_its_select_replay_in_registers():
    """ReLU's backward is ``where(out <= 0, 0, g)``: on 0-d values it is a register
    select, so the forward and backward of the net are a few scalar blocks, not a step
    per select (each a ufunc on 0-d arrays, ~10x the cost)."""
    step, _ = scalar_net(np.float64)
    compiled = ag.compile(step)
    for k in range(3):
        compiled(ag.tensor(0.1))
    prog = compiled.program()
    fns = [fn for fn, args, kw in prog.steps]
    assert program._where_into not in fns
    blocks = [args[1] for fn, args, kw in prog.steps if fn is scalars.run_block]
    assert len(blocks) <= len(fns) // 2 + 1
    assert sum(code[0] == 4 for block in blocks for code in block) > 0


def test_signed_zero_constants_stay_apart():
    """0.0 and -0.0 are equal as numbers but not as constants: x * -0.0 is -0."""
    x = ag.tensor(2.0, requires_grad=True)

    def f():
        d = x.data
        a, b, c = d * 0.0, d * -0.0, d * np.float64(-0.0)
        return ag.tensor(np.stack([a, b, c]))

    compiled = ag.compile(f)
    for _ in range(4):
        assert np.signbit(compiled().data).tolist() == [False, True, True]


def test_a_zero_d_buffer_written_in_a_block_is_read_again():
    """A gradient Python keeps is a 0-d buffer; written in place in the middle of a run
    of scalar math, the reads after the write see the new value."""
    def make():
        w = ag.tensor(1.5, requires_grad=True)

        def f(scale):
            w.grad = None
            (w * w * scale).relu().backward()
            with ag.no_grad():
                g = w.grad.data
                a = g * 3.0
                g += a
                b = g * g + a
            return ag.tensor(np.stack([a, b])), w.grad
        return f

    eager, compiled = make(), ag.compile(make())
    for k in range(5):
        scale = ag.tensor(1.0 + k)
        got, want = compiled(scale), eager(scale)
        assert [t.data.tobytes() for t in got] == [t.data.tobytes() for t in want], k


def test_a_zero_d_input_read_by_a_block_and_a_step_is_this_calls():
    """An input read in a scalar block and by a step is copied in: rebuilding the step
    on the caller's array would leave the block reading the first call's copy."""
    def make():
        w = ag.tensor(np.float64(-1.1), requires_grad=True)

        def f(x):
            w.grad = None
            loss = x.sum() + ag.where(x > w, x, w * 0.5).sum()
            loss.backward()
            return loss
        return f

    eager, compiled = make(), ag.compile(make())
    for v in [0.3, -0.6, 0.0, 1.2, -2.0, 0.7]:
        x = ag.tensor(np.float64(v))
        assert compiled(x).item() == eager(x).item(), v
