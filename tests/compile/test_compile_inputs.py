"""A program reads a caller's input array in place when it fits, and copies it when it
does not; either way every call sees the caller's current values, as an eager call
does, and the results are the eager ones bit for bit."""
import numpy as np

import autograd as ag
import nn
import optim
from compile_kit import train_step


def pair(dt=np.float64):
    """Two identical models and optimizers: one stepped eagerly, one compiled."""
    out = []
    for _ in range(2):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8, dtype=dt), nn.ReLU(), nn.Linear(8, 3, dtype=dt))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        out.append((model, opt, train_step(model, opt)))
    return out


def state(model):
    return [p.data.tobytes() for p in model.parameters()] + \
        [p.grad.data.tobytes() for p in model.parameters()]


def run_both(calls, dt=np.float64):
    """``calls`` yields (x array, y array) just before each call (it may mutate them)."""
    (m1, _, eager), (m2, _, step) = pair(dt)
    compiled = ag.compile(step)
    for x, y in calls(m2):
        a = eager(ag.from_numpy(x), y)
        b = compiled(ag.from_numpy(x), y)
        assert a.data.tobytes() == b.data.tobytes()
        assert state(m1) == state(m2)
    assert compiled.stats()["replays"] >= 3
    return compiled


def test_an_input_mutated_in_place_between_calls_is_read_again():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 6)), rng.integers(0, 3, 5)

    def calls(_model):
        for _ in range(7):
            yield x, y
            x[...] = rng.standard_normal(x.shape)       # the same arrays, new values
            y[...] = rng.integers(0, 3, y.shape)
    compiled = run_both(calls)
    direct = compiled.program().inputs.direct
    assert [d.caller for d in direct] == [True, True]   # read in place, not copied


def test_new_arrays_every_call_and_the_program_keeps_no_copy_of_them():
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((5, 6)), rng.integers(0, 3, 5)) for _ in range(7)]
    held = []

    def calls(_model):
        for i, (x, y) in enumerate(batches):
            yield x, y
            if i == 2:      # the program is built, not yet replayed: it holds the copies
                held.append(compiled_ref[0].stats()["buffer_bytes"])
    compiled_ref = []
    (m1, _, eager), (m2, _, step) = pair()
    compiled = ag.compile(step)
    compiled_ref.append(compiled)
    for x, y in calls(m2):
        assert eager(ag.from_numpy(x), y).data.tobytes() == \
            compiled(ag.from_numpy(x), y).data.tobytes()
        assert state(m1) == state(m2)
    x, y = batches[0]
    assert held[0] - compiled.stats()["buffer_bytes"] == x.nbytes + y.nbytes


def test_inputs_that_do_not_fit_are_copied_and_alternate_with_ones_that_do():
    rng = np.random.default_rng(2)

    def calls(_model):
        for i in range(9):
            x = rng.standard_normal((5, 6))
            y = rng.integers(0, 3, 5)
            if i % 3 == 1:
                x = np.asfortranarray(x)              # same shape and dtype, other strides
            if i % 3 == 2:
                x = np.repeat(x, 2, axis=0)[::2]      # a strided view
            yield x, y
    compiled = run_both(calls)
    direct = compiled.program().inputs.direct
    assert direct[0].own is not None and direct[0].caller is False   # the last one copied


def test_an_input_sharing_memory_with_a_parameter_is_copied():
    """The program writes the parameters: a view of one is not read in place."""
    rng = np.random.default_rng(3)

    def calls(model):
        weight = model[0].weight.data                 # (8, 6): rows of it as a batch
        for _ in range(6):
            yield weight[:5], rng.integers(0, 3, 5)
    (m1, _, eager), (m2, _, step) = pair()
    compiled = ag.compile(step)
    for (x2, y), x1 in zip(calls(m2), (m1[0].weight.data[:5] for _ in range(6))):
        a = eager(ag.from_numpy(x1), y)
        b = compiled(ag.from_numpy(x2), y)
        assert a.data.tobytes() == b.data.tobytes()
        assert state(m1) == state(m2)
    assert compiled.stats()["replays"] >= 3
    assert compiled.program().inputs.direct[0].caller is False


def test_a_returned_input_is_copied_into_the_program():
    """An input Python sees after the call (returned) keeps the program's own buffer."""
    def fn(x):
        return x * 2, x.reshape(-1)

    compiled = ag.compile(fn)
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = rng.standard_normal((3, 4))
        got = compiled(ag.from_numpy(x))
        want = fn(ag.from_numpy(x))
        for g, w in zip(got, want):
            assert g.data.tobytes() == w.data.tobytes()
            assert not np.shares_memory(g.data, x)
    assert compiled.stats()["replays"] >= 2
