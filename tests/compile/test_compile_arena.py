"""The arena (autograd/compile/plan.py): large results placed by offset in one byte
array. Two results whose lifetimes meet never share a byte, and a step's memory is
about its peak of live results, not the sum of its temporaries."""
import tracemalloc
from types import SimpleNamespace

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd.compile import plan
from compile_kit import train_step


def fake_root(index, nbytes):
    layout = ((nbytes // 8,), np.dtype(np.float64), (8,), nbytes, True)
    return SimpleNamespace(index=index, layout=layout)


def place(lifetimes):
    """Place (nbytes, birth, end) results; (views, notes)."""
    large = [(fake_root(i, n), b, e) for i, (n, b, e) in enumerate(lifetimes)]
    notes = plan.Notes()
    return plan.place_in_arena(large, notes), notes


def byte_range(view, arena):
    start = view.ctypes.data - arena.ctypes.data
    return start, start + view.nbytes


@pytest.mark.parametrize("seed", range(20))
def test_results_alive_together_never_overlap(seed):
    rng = np.random.default_rng(seed)
    lifetimes = []
    for _ in range(int(rng.integers(1, 60))):
        birth = int(rng.integers(0, 100))
        lifetimes.append((8 * int(rng.integers(1, 5000)), birth,
                          birth + int(rng.integers(0, 30))))
    views, notes = place(lifetimes)
    arena = notes.arena
    for i, (_, b1, e1) in enumerate(lifetimes):
        lo1, hi1 = byte_range(views[i], arena)
        assert views[i].ctypes.data % plan.ALIGN == 0
        assert 0 <= lo1 and hi1 <= arena.nbytes
        for j, (_, b2, e2) in enumerate(lifetimes[:i]):
            if b1 <= e2 and b2 <= e1:           # alive at the same op
                lo2, hi2 = byte_range(views[j], arena)
                assert hi1 <= lo2 or hi2 <= lo1, (i, j)
    peak = max(sum(-(-n // plan.ALIGN) * plan.ALIGN for n, b, e in lifetimes if b <= t <= e)
               for t in range(140))
    assert arena.nbytes <= 2 * peak + plan.ALIGN     # greedy: near the live peak


def test_a_large_temporary_takes_the_place_of_several_dead_small_ones():
    """Four 0.25 MiB activations, then a 1 MiB update temporary once they are dead:
    1 MiB of arena, where whole-buffer reuse would need 2 MiB."""
    q = 1 << 18
    views, notes = place([(q, 0, 9), (q, 1, 9), (q, 2, 9), (q, 3, 9), (4 * q, 10, 11)])
    assert notes.arena.nbytes - plan.ALIGN == 4 * q
    assert notes.shared == 1


def test_same_place_same_layout_is_one_view():
    views, notes = place([(1 << 16, 0, 1), (1 << 16, 2, 3)])
    assert views[0] is views[1] and notes.shared == 1


def test_an_mlp_step_holds_about_its_eager_peak():
    """W4's model and batch (784-256-256-10, batch 128, float64, SGD): the compiled
    program owns at most 1.1x the bytes an eager step allocates at its peak (before the
    arena it owned 1.3x: the 1.5 MiB update temporary could not reuse the activations'
    buffers)."""
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256, dtype=np.float64), nn.ReLU(),
                          nn.Linear(256, 256, dtype=np.float64), nn.ReLU(),
                          nn.Linear(256, 10, dtype=np.float64))
    opt = optim.SGD(model.parameters(), lr=0.01)
    loss_step = train_step(model, opt)

    def step(x, y):           # as the benchmark's: the loss (and its graph) not returned
        loss_step(x, y)
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((128, 784)))
    y = rng.integers(0, 10, 128)
    step(x, y)                                  # .grad exists, as between steps
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    step(x, y)
    eager_peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    compiled = ag.compile(step)
    for _ in range(4):
        compiled(x, y)
    assert compiled.stats()["replays"] > 0
    owned = compiled.stats()["buffer_bytes"]
    assert owned <= 1.1 * eager_peak, (owned, eager_peak)
    assert "arena" in compiled.summary()


def test_returning_the_loss_keeps_no_activation():
    """The loss a tracing call returns is cut from its graph, as a replay's is, so the
    graph's activations are not held for Python between calls: a step returning its
    loss owns the same bytes as one returning nothing."""
    owned = {}
    for returns in (True, False):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
        loss_step = train_step(model, optim.SGD(model.parameters(), lr=0.1))

        def step(x, y, returns=returns):
            loss = loss_step(x, y)
            return loss if returns else None
        compiled = ag.compile(step)
        rng = np.random.default_rng(0)
        x, y = ag.tensor(rng.standard_normal((128, 64)).astype(np.float32)), \
            rng.integers(0, 10, 128)
        results = [compiled(x, y) for _ in range(4)]
        assert compiled.stats()["replays"] > 0
        if returns:
            assert all(r.grad_fn is None and not r.requires_grad for r in results)
            assert len({float(r.item()) for r in results}) == 4      # it trains
        owned[returns] = compiled.stats()["buffer_bytes"]
    assert owned[True] <= owned[False] + 64, owned
