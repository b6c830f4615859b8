"""Memory: what a graph keeps alive, what backward releases, and long runs that must
not grow.

What is released (checked below with weakrefs):
* the upstream gradients of intermediate nodes: popped from the walk's local dict as
  soon as they are used; nothing is cached on non-leaf tensors (unless retain_grad);
* a custom Function's ``ctx.save_for_backward`` arrays, when its node is released by a
  backward without ``retain_graph``;
* the whole graph (nodes, intermediate tensors, their arrays) as soon as the user drops
  the last reference to its outputs, by reference counting alone: the graph has no
  reference cycles (nodes hold their output weakly).

What backward releases besides (``autograd/release.py``): in a graph bigger than
``SMALL_GRAPH_BYTES``, every intermediate tensor that nothing but the graph refers to
is replaced by a released stand-in (structure, shape, dtype and name kept, values
freed), so the usual loop holds one graph's activations at its peak, not two
(``benchmarks/memory_loop.py``). What is kept on purpose while the user holds
``loss``: leaves, tensors the user holds, and every value of a small graph (the graph
stays drawable after backward; ``draw_graph(loss)`` shows those values and gradients). ``backward(create_graph=True)`` makes the cycle PyTorch also makes,
leaf -> .grad -> its graph -> leaf; ``gc`` collects it (tested), and setting
``x.grad = None`` breaks it.
"""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd as ag


@pytest.fixture
def no_gc():
    """Run with the cyclic collector off: what dies must die by reference counting."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def leaf(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def build(x):
    """A small graph; returns the loss and weakrefs to its intermediate parts."""
    h = ag.tanh(x @ x.T)
    z = ag.exp(h) * h
    loss = z.sum()
    refs = [weakref.ref(t) for t in (h, z)] + [weakref.ref(h.data), weakref.ref(z.data)]
    refs += [weakref.ref(h.grad_fn), weakref.ref(z.grad_fn), weakref.ref(loss.grad_fn)]
    return loss, refs


def test_dropping_the_loss_after_backward_frees_the_whole_graph(no_gc):
    x = leaf(np.ones((3, 2)))
    loss, refs = build(x)
    loss.backward()
    assert all(r() is not None for r in refs)       # held while the user holds loss
    del loss
    assert [r() for r in refs] == [None] * len(refs)
    assert x.grad is not None and x.grad.grad_fn is None


def test_dropping_an_unused_graph_frees_it_too(no_gc):
    x = leaf(np.ones((3, 2)))
    loss, refs = build(x)
    del loss
    assert [r() for r in refs] == [None] * len(refs)


class Probe(ag.Function):
    """Identity that keeps weakrefs to what passes through it."""
    seen = []

    @staticmethod
    def forward(ctx, x):
        mask = (x > 0).astype(x.dtype)          # a fresh array only backward needs
        ctx.save_for_backward(mask)
        Probe.seen.append(weakref.ref(mask))
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        Probe.seen.append(weakref.ref(g))
        return g * mask


def test_saved_arrays_and_upstream_gradients_are_released_by_backward(no_gc):
    Probe.seen = []
    x = leaf([1.0, -2.0, 3.0])
    y = (Probe.apply(x * 2.0) * 3.0).sum()
    y.backward()
    mask_ref, g_ref = Probe.seen
    assert mask_ref() is None, "ctx.saved_tensors kept after backward without retain_graph"
    assert g_ref() is None, "an intermediate upstream gradient outlived the walk"
    np.testing.assert_allclose(x.grad.data, [6.0, 0.0, 6.0])
    assert y.grad_fn is not None               # the structure stays (drawable)


def test_retain_graph_keeps_saved_arrays_until_the_last_backward(no_gc):
    Probe.seen = []
    x = leaf([1.0, -2.0])
    y = Probe.apply(x).sum()
    y.backward(retain_graph=True)
    assert Probe.seen[0]() is not None
    y.backward()
    assert Probe.seen[0]() is None
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def _big_graph():
    """A graph with 2 MB of intermediates (over SMALL_GRAPH_BYTES)."""
    from autograd.release import SMALL_GRAPH_BYTES
    x = leaf(np.linspace(-1, 1, 256 * 512).reshape(256, 512))
    w = leaf(np.eye(512) * 0.5)
    held = x @ w                        # the user keeps this one
    hidden = ag.tanh(held) * 2.0        # ... and not the tanh output
    loss = (hidden * hidden).mean()
    assert 2 * held.data.nbytes > SMALL_GRAPH_BYTES
    return x, w, held, loss


def test_backward_frees_the_intermediates_only_the_graph_holds(no_gc):
    x, w, held, loss = _big_graph()
    tanh_out = loss.grad_fn.inputs[0].grad_fn.inputs[0]
    nodes_before = len(ag.viz.trace(loss).tensors)
    data_ref = weakref.ref(tanh_out.data)
    tensor_ref = weakref.ref(tanh_out)
    del tanh_out
    loss.backward()
    assert data_ref() is None and tensor_ref() is None       # freed at once
    # the structure stays, with stand-ins of the right shape, dtype and index
    trace = ag.viz.trace(loss)
    assert len(trace.tensors) == nodes_before
    stand_in = loss.grad_fn.inputs[0].grad_fn.inputs[0]
    assert ag.release.is_released(stand_in) and stand_in.shape == (256, 512)
    assert stand_in.dtype == np.float64 and stand_in.grad_fn.name == "mul"
    assert "freed by backward()" in repr(stand_in)
    assert stand_in.data.strides == (0, 0)
    # what the user holds keeps its values; leaves keep values and gradients
    assert not ag.release.is_released(held) and held.data.strides != (0, 0)
    assert any(t is held for t in trace.tensors.values())
    dot = ag.to_dot(loss)
    assert "freed by backward()" in dot
    assert x.grad is not None and w.grad is not None
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_small_graphs_and_retained_graphs_keep_every_value(no_gc):
    x = leaf(np.ones((3, 2)))
    loss, refs = build(x)
    loss.backward()
    assert all(r() is not None for r in refs)
    assert "freed" not in ag.to_dot(loss)
    x, w, held, loss = _big_graph()
    loss.backward(retain_graph=True)          # kept for a second backward
    assert not any(ag.release.is_released(t) for t in ag.viz.trace(loss).tensors.values())
    first = w.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad.data, 2 * first)


def test_the_training_loop_holds_one_graph_at_its_peak():
    from benchmarks.memory_loop import measure
    for kind in ("mlp", "cnn"):
        r = measure(kind, steps=3)
        assert r["ratio"] <= 1.1, (kind, r)


def test_intermediate_tensors_keep_no_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h2 = h * h
    kept = h2 * 1.0
    kept.retain_grad()
    kept.sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert h.grad is None and h2.grad is None
    assert kept.grad is not None


def _grad_graph_refs(x):
    y = (ag.sin(x) * x).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x)
    return [weakref.ref(t) for t in (y, g)] + [weakref.ref(g.grad_fn)], gg


def test_grad_with_create_graph_makes_no_reference_cycle(no_gc):
    x = leaf([0.5, 1.5])
    refs, gg = _grad_graph_refs(x)
    assert [r() for r in refs] == [None] * len(refs)
    np.testing.assert_allclose(gg.data, 2 * np.cos(x.data) - x.data * np.sin(x.data))


def _backward_create_graph(x):
    y = (x * x * x).sum()
    y.backward(create_graph=True)
    return [weakref.ref(y), weakref.ref(x.grad), weakref.ref(x.grad.grad_fn)]


def test_backward_with_create_graph_cycle_is_collected():
    gc.collect()
    x = leaf([1.0, 2.0])
    refs = _backward_create_graph(x)
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    del x
    gc.collect()
    assert [r() for r in refs] == [None] * len(refs)


def test_backward_with_create_graph_cycle_breaks_when_grad_is_reset(no_gc):
    x = leaf([1.0, 2.0])
    refs = _backward_create_graph(x)
    x.grad = None
    assert [r() for r in refs] == [None] * len(refs)


# ------------------------------------------------------------------ long runs
def _traced_training(step, steps=2000, probes=(200, 2000)):
    """Run ``step()`` ``steps`` times; traced memory (bytes) at the probe steps."""
    gc.collect()
    tracemalloc.start()
    seen = {}
    try:
        for i in range(1, steps + 1):
            step()
            if i in probes:
                gc.collect()
                seen[i] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return seen


GROWTH_LIMIT = 64 * 1024   # a leak of one 40-byte object per step would pass 70 KB


def raw_mlp(leak=None):
    rng = np.random.default_rng(0)
    X = ag.tensor(rng.standard_normal((32, 8)), dtype=np.float64)
    Y = ag.tensor(rng.standard_normal((32, 1)), dtype=np.float64)
    params = [leaf(rng.standard_normal((8, 16)) * 0.3), leaf(np.zeros(16)),
              leaf(rng.standard_normal((16, 1)) * 0.3), leaf(np.zeros(1))]
    w1, b1, w2, b2 = params
    losses = [None, None]   # first and latest loss only (a growing list would "leak")

    def step():
        h = ag.relu(X @ w1 + b1)
        loss = ((h @ w2 + b2 - Y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.sub_(0.05 * p.grad.data)
        losses[1] = loss.item()
        if losses[0] is None:
            losses[0] = losses[1]
        if leak is not None:
            leak.append(loss)
    return step, losses


def test_raw_mlp_training_loop_memory_does_not_grow():
    step, losses = raw_mlp()
    mem = _traced_training(step)
    assert losses[-1] < 0.5 * losses[0]
    print("traced memory by step:", mem)
    assert mem[2000] - mem[200] < GROWTH_LIMIT, mem


def test_the_growth_check_catches_a_loop_that_keeps_its_graphs():
    step, _ = raw_mlp(leak=[])
    mem = _traced_training(step, steps=400, probes=(100, 400))
    assert mem[400] - mem[100] > GROWTH_LIMIT, mem


def nn_mlp(leak=None):
    import nn
    import optim
    ag.manual_seed(0)
    rng = np.random.default_rng(1)
    X = ag.tensor(rng.standard_normal((32, 8)))
    Y = ag.tensor(rng.standard_normal((32, 1)))
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    losses = [None, None]

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        losses[1] = loss.item()
        if losses[0] is None:
            losses[0] = losses[1]
        if leak is not None:
            leak.append(loss)
    return step, losses


def test_nn_optim_training_loop_memory_does_not_grow():
    step, losses = nn_mlp()
    mem = _traced_training(step)
    print("traced memory by step:", mem)
    assert losses[-1] < 0.5 * losses[0]
    assert mem[2000] - mem[200] < GROWTH_LIMIT, mem
