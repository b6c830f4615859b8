"""ag.compile replays a training step bit for bit: the same losses, parameters and
optimizer state as the eager step, call after call.

Each case builds two identical models (same seed), trains one eagerly and the other
through ``ag.compile`` on the same batches, and compares everything byte for byte
after every step: the loss, every parameter, every gradient and optimizer buffer.
"""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from autograd.compile import plan
from compile_kit import train_step
from optim import lr_scheduler

STEPS = 8


def mlp(dt):
    return nn.Sequential(nn.Linear(12, 16, dtype=dt), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(16, 16, dtype=dt), nn.Tanh(), nn.Linear(16, 5, dtype=dt))


def cnn(dt):
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, dtype=dt), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, dtype=dt), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(6, 5, dtype=dt))


def bn(dt):
    return nn.Sequential(nn.Linear(12, 16, dtype=dt), nn.BatchNorm1d(16, dtype=dt),
                         nn.ReLU(), nn.Linear(16, 5, dtype=dt))


class LSTMNet(nn.Module):
    def __init__(self, dt):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, dtype=dt)
        self.fc = nn.Linear(8, 5, dtype=dt)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[-1])


class Transformer(nn.Module):
    def __init__(self, dt):
        super().__init__()
        self.embed = nn.Linear(6, 8, dtype=dt)
        self.block = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1,
                                                batch_first=True, dtype=dt)
        self.head = nn.Linear(8, 5, dtype=dt)

    def forward(self, x):
        return self.head(self.block(self.embed(x)).mean(axis=1))


INPUTS = {"mlp": (8, 12), "cnn": (4, 1, 8, 8), "bn": (8, 12), "lstm": (5, 4, 6),
          "transformer": (4, 5, 6)}
MODELS = {"mlp": mlp, "cnn": cnn, "bn": bn, "lstm": LSTMNet, "transformer": Transformer}


def make_optimizer(name, params):
    if name == "adam":
        return optim.Adam(params, lr=1e-2), None
    if name == "momentum":
        return optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3), None
    opt = optim.SGD(params, lr=0.1)
    return opt, lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)


def build(model_name, opt_name, dt):
    ag.manual_seed(0)
    model = MODELS[model_name](dt)
    opt, sched = make_optimizer(opt_name, model.parameters())
    return model, opt, sched, train_step(model, opt)


def batches(model_name, dt, n=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    shape = INPUTS[model_name]
    batch = shape[1] if model_name in ("lstm", "cells") else shape[0]
    return [(ag.Tensor(rng.standard_normal(shape).astype(dt)), rng.integers(0, 5, batch))
            for _ in range(n)]


def state_arrays(model, opt):
    out = [p.data for p in model.parameters()]
    out += [p.grad.data for p in model.parameters() if p.grad is not None]
    out += [b.data for b in model.buffers() if b is not None]
    for st in opt.state.values():
        out += [v.data for v in st.values() if isinstance(v, ag.Tensor)]
    return out


def assert_same_bits(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


@pytest.fixture(params=["buffers", "arena"])
def memory(request, monkeypatch):
    """These models' results are small; "arena" places every one of them by offset in
    the arena (plan.LARGE = 0), which only large results use otherwise."""
    if request.param == "arena":
        monkeypatch.setattr(plan, "LARGE", 0)
    return request.param


def train_side_by_side(model_name, opt_name, dt, **compile_options):
    """Train twins eagerly and compiled on the same batches, comparing every bit after
    every step; (the compiled step, the eager optimizer, the compiled one)."""
    m1, o1, s1, eager = build(model_name, opt_name, dt)
    m2, o2, s2, step = build(model_name, opt_name, dt)
    compiled = ag.compile(step, **compile_options)
    ag.manual_seed(7)
    for x, y in batches(model_name, dt):
        rng_state = ag.get_rng().bit_generator.state
        a = eager(x, y)
        ag.get_rng().bit_generator.state = rng_state        # dropout draws the same masks
        b = compiled(x, y)
        assert a.data.tobytes() == b.data.tobytes()
        assert_same_bits(state_arrays(m1, o1), state_arrays(m2, o2))
        if s1 is not None:
            s1.step()
            s2.step()
    return compiled, o1, o2


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("opt_name", ["adam", "momentum", "sgd+scheduler"])
@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_compiled_training_equals_eager_bit_for_bit(model_name, opt_name, dt, memory):
    compiled, o1, o2 = train_side_by_side(model_name, opt_name, dt)
    stats = compiled.stats()
    assert stats["replays"] >= STEPS - 4 and stats["eager"] == 0, stats
    assert o1.state_dict()["param_groups"] == o2.state_dict()["param_groups"]
    assert (compiled.program().notes.arena is not None) == (memory == "arena")


def test_dropout_masks_advance_as_in_eager_mode():
    """The generator is drawn from at every replay: masks change from call to call and
    equal the eager ones; manual_seed between calls restarts them."""
    x = ag.ones((4, 6))

    def fn(x):
        return F.dropout(x, 0.5, training=True)
    compiled = ag.compile(fn)
    ag.manual_seed(3)
    eager = [fn(x).data for _ in range(6)]
    ag.manual_seed(3)
    replayed = [compiled(x).data for _ in range(6)]
    assert compiled.stats()["replays"] == 4
    for a, b in zip(eager, replayed):
        assert a.tobytes() == b.tobytes()
    assert not np.array_equal(replayed[-1], replayed[-2])


def test_results_of_earlier_calls_stay_unchanged():
    w = ag.tensor([1.0, 2.0], requires_grad=True)

    @ag.compile
    def f(x):
        return (w * x).sum() * 2

    outs = [f(ag.tensor([float(i), 1.0])) for i in range(5)]
    assert [o.item() for o in outs] == [2 * (i + 2.0) for i in range(5)]



@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_result_copied_from_raw_math_is_made_at_every_replay(shape):
    """``ag.tensor(raw)`` copies a result nothing else reads: the copy is dropped and
    the result made in its place, which must then count as used (it was pruned, and the
    replays returned the second trace's numbers)."""
    @ag.compile
    def f(x):
        return ag.tensor(np.stack([x.data * 2.0, x.data + 1.0]))

    for i in range(5):
        x = ag.tensor(np.full(shape, float(i)))
        assert f(x).data.tolist() == np.stack([x.data * 2.0, x.data + 1.0]).tolist(), i


def test_a_returned_gradient_is_the_one_the_tensor_keeps():
    """``return p.grad``: after a replay the result is ``p.grad``, holding this call's
    gradient (the result's array was replaced by a copy, cutting ``p.grad`` off from the
    program: it kept the second trace's numbers)."""
    def make():
        p = ag.tensor(np.array([-0.3, 0.2, 0.5]), requires_grad=True)

        def step():
            p.grad = None
            (ag.sqrt(ag.abs(p)).sum() + p.sum() * 0.5).backward()
            with ag.no_grad():
                p.data -= 0.1 * p.grad.data
            return p.grad
        return step, p

    (eager, p_eager), (step, p) = make(), make()
    compiled = ag.compile(step)
    for k in range(5):
        want, got = eager(), compiled()
        assert got is p.grad, k
        assert got.data.tobytes() == want.data.tobytes() == p_eager.grad.data.tobytes(), k

class CellLoop(nn.Module):
    """An LSTM written from ops: ``xp[t]`` slices, gate slices, a loop."""

    def __init__(self, dt, d=6, h=8):
        super().__init__()
        self.w_ih = nn.Parameter(ag.randn(4 * h, d, dtype=dt) * 0.3)
        self.w_hh = nn.Parameter(ag.randn(4 * h, h, dtype=dt) * 0.3)
        self.b = nn.Parameter(ag.zeros(4 * h, dtype=dt))
        self.fc = nn.Linear(h, 5, dtype=dt)
        self.h = h

    def forward(self, x):
        h_dim, (steps, batch, _) = self.h, x.shape
        xp = x @ self.w_ih.T + self.b                           # (T, B, 4H)
        h = c = ag.zeros((batch, h_dim), dtype=x.dtype)
        for t in range(steps):
            a = xp[t] + h @ self.w_hh.T
            i, f = ag.sigmoid(a[:, :h_dim]), ag.sigmoid(a[:, h_dim:2 * h_dim])
            g, o = ag.tanh(a[:, 2 * h_dim:3 * h_dim]), ag.sigmoid(a[:, 3 * h_dim:])
            c = f * c + i * g
            h = o * ag.relu(ag.tanh(c))                         # relu: gradients of -0.0
        return self.fc(h)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
def test_a_cell_loop_written_from_ops_equals_eager(dt, memory):
    """Slice gradients are written in place of summed zeros arrays (accumulate.py)."""
    MODELS["cells"], INPUTS["cells"] = CellLoop, (7, 4, 6)
    try:
        test_compiled_training_equals_eager_bit_for_bit("cells", "adam", dt, memory)
    finally:
        del MODELS["cells"], INPUTS["cells"]


@pytest.mark.parametrize("slices", [
    [0], [0, 1], [0, 2, 1, 3],                  # one, two, several disjoint slices
    [0, 1, 0],                                  # a slice twice: added, not rewritten
])
def test_summed_slice_gradients_keep_every_bit(slices):
    """Signed zeros, infinities and NaN in the slices' gradients, as eagerly."""
    special = np.array([-0.0, 0.0, -1.5, np.inf, -np.inf, np.nan, 2.0, -0.0])
    x = ag.tensor(np.zeros((4, 8)), requires_grad=True)
    gs = [ag.tensor(np.roll(special, k)) for k in range(len(slices))]

    def fn(weights):
        x.grad = None
        total = sum(((x[t] * 1.0) * g).sum() for t, g in zip(slices, gs)) * weights
        total.backward()
        return x.grad
    compiled = ag.compile(fn)
    for k in range(4):
        w = ag.tensor(np.float64(k - 1.5))
        with np.errstate(invalid="ignore"):
            a, b = fn(w), compiled(w)
        assert a.data.tobytes() == b.data.tobytes(), (k, a.data, b.data)
    assert compiled.stats()["replays"] == 2


def test_a_trace_adds_gradients_in_place_where_an_eager_step_does():
    """The walk's in-place paths take traced gradients too (slice gradients into one
    zeros array; a sum it made, at a producer and at a leaf, added into), so the program
    is the eager step's: one zeros array, not one per slice, and no sum left out of place."""
    x = ag.tensor(np.arange(12.0).reshape(4, 3) - 5.5, requires_grad=True)

    def fn(w):
        x.grad = None
        y = x * w                                       # y's gradient: slices, then sums
        z = y * 1.0
        total = y[0].sum() + (y[2] * 2.0).sum() + (y[1] * 3.0).sum() + \
            (z * 2.0).sum() + (z * 3.0).sum() + (z * 4.0).sum() + \
            (x * 2.0).sum() + (x * 3.0).sum() + (x * 4.0).sum()
        total.backward()
        return x.grad
    compiled = ag.compile(fn)
    for k in range(4):
        w = ag.tensor(np.float64(k - 1.5))
        a, b = fn(w), compiled(w)
        assert a.data.tobytes() == b.data.tobytes(), k
    ops = [op for op in compiled.program().trace.ops if op.phase == "backward"]
    made = [getattr(op.fn, "__name__", op.fn) for op in ops]
    assert made.count("zeros") == 1
    in_place = [op for op in ops if op.fn is np.add and "out" in op.kwargs]
    # x's and z's three gradients: a sum, then one add in place each (2); y's three
    # slices: the first written into the zeros, two added there, then z's gradient and
    # the deferred + 0.0 (4); x * w's gradient into x's sum (1), which x adopts: no copy
    assert len(in_place) == 7 and "array" not in made, made


def test_a_trace_adds_0d_gradients_out_of_place_as_eager_does():
    """Eager's sum of two 0-d gradients is a NumPy scalar, which it adds out of place;
    a 0-d traced sum may stand for one, so the trace adds it out of place too (W1's
    scalar program: its 0-d sums added in place took twice as long to replay)."""
    w = ag.tensor(np.float64(1.5), requires_grad=True)

    def fn(x):
        w.grad = None
        ((w * x) * 2.0 + (w * x) * 3.0 + (w * x) * 4.0).backward()
        return w.grad
    compiled = ag.compile(fn)
    for k in range(4):
        x = ag.tensor(np.float64(k - 1.5))
        assert fn(x).data.tobytes() == compiled(x).data.tobytes(), k
    ops = [op for op in compiled.program().trace.ops if op.phase == "backward"]
    assert not [op for op in ops if op.fn is np.add and "out" in op.kwargs]
