"""backprop_steps / explain / play: the engine's walk one node per step."""
import sys

import numpy as np
import pytest

import autograd as ag
from autograd.viz import dot as dotmod


@pytest.fixture(autouse=True)
def float64():
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    yield
    ag.set_default_dtype(old)


def fan_out(rng):
    x = ag.Tensor(rng.normal(size=(3,)), requires_grad=True, name="x")
    y = ag.exp(x)
    loss = (y * x + ag.sin(y) * y - x).sum()
    return loss, [x]


def broadcasting(rng):
    a = ag.Tensor(rng.normal(size=(4, 3)), requires_grad=True, name="a")
    b = ag.Tensor(rng.normal(size=(3,)), requires_grad=True, name="b")
    c = ag.Tensor(rng.normal(size=(4, 1)), requires_grad=True, name="c")
    loss = ((a + b) * c / (1.5 + b * b)).sum()
    return loss, [a, b, c]


def matmul(rng):
    A = ag.Tensor(rng.normal(size=(2, 5, 3)), requires_grad=True, name="A")
    B = ag.Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="B")
    v = ag.Tensor(rng.normal(size=(4,)), requires_grad=True, name="v")
    loss = ((A @ B) @ v).sum()
    return loss, [A, B, v]


def mlp(rng):
    x = ag.Tensor(rng.normal(size=(8, 4)), name="x")
    t = ag.Tensor(rng.normal(size=(8, 2)), name="target")
    w1 = ag.Tensor(rng.normal(size=(4, 6)) * 0.5, requires_grad=True, name="w1")
    b1 = ag.Tensor(np.zeros(6), requires_grad=True, name="b1")
    w2 = ag.Tensor(rng.normal(size=(6, 2)) * 0.5, requires_grad=True, name="w2")
    b2 = ag.Tensor(np.full(2, 0.1), requires_grad=True, name="b2")
    h = ag.relu(x @ w1 + b1)
    out = h @ w2 + b2
    loss = ((out - t) ** 2).mean()
    return loss, [w1, b1, w2, b2]


BUILDERS = [fan_out, broadcasting, matmul, mlp]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_exhausting_the_steps_gives_exactly_backwards_gradients(build):
    loss, leaves = build(np.random.default_rng(1))
    loss.backward()
    expected = [t.grad.data.copy() for t in leaves]
    loss2, leaves2 = build(np.random.default_rng(1))
    steps = list(ag.backprop_steps(loss2))
    n_nodes = len(ag.viz.trace(loss2).tensors) - sum(
        t.grad_fn is None for t in ag.viz.trace(loss2).tensors.values())
    assert len(steps) == n_nodes                         # one step per non-leaf node
    for t, g in zip(leaves2, expected):
        np.testing.assert_array_equal(t.grad.data, g)
        total = sum(s.input_grads[i] for s in steps for i, x in enumerate(s.inputs)
                    if x is t and s.input_grads[i] is not None)
        np.testing.assert_allclose(total, g, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="second time"):
        loss2.backward()                                 # the walk freed the graph


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_steps_visit_consumers_before_producers(build):
    loss, _ = build(np.random.default_rng(2))
    steps = list(ag.backprop_steps(loss))
    assert steps[0].node is loss and [s.index for s in steps] == list(range(len(steps)))
    position = {id(s.grad_fn): s.index for s in steps}
    for s in steps:
        for x in s.inputs:
            if isinstance(x, ag.Tensor) and x.grad_fn is not None:
                assert position[id(x.grad_fn)] > s.index
        # each contribution has its input's shape (broadcasting undone)
        for x, g in zip(s.inputs, s.input_grads):
            if g is not None:
                assert np.shape(g) == x.shape


def test_step_fields_and_order_on_a_small_graph():
    a = ag.Tensor(2.0, requires_grad=True, name="a")
    b = ag.Tensor(3.0, requires_grad=True, name="b")
    c = a * b
    d = c + a
    loss = d * d
    steps = ag.backprop_steps(loss)
    s0 = next(steps)
    assert (s0.index, s0.op, s0.node) == (0, "mul", loss)
    assert float(s0.grad_output) == 1.0
    assert [float(g) for g in s0.input_grads] == [8.0, 8.0]   # d*d: both inputs are d = 8
    assert a.grad is None                          # lazy: nothing reached a yet
    s1 = next(steps)
    assert (s1.op, s1.node, float(s1.grad_output)) == ("add", d, 16.0)
    assert s1.rules == ("d(a+b)/da = 1", "d(a+b)/db = 1")
    assert float(a.grad) == 16.0 and b.grad is None
    s2 = next(steps)
    assert (s2.op, s2.node, s2.inputs) == ("mul", c, (a, b))
    assert s2.rule == "d(a*b)/da = b; d(a*b)/db = a"
    assert [float(g) for g in s2.input_grads] == [48.0, 32.0]
    assert next(steps, None) is None
    assert float(a.grad) == 64.0 and float(b.grad) == 32.0
    assert "mul" in repr(s2)


def test_rule_lists_only_inputs_that_get_a_gradient():
    x = ag.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    (step,) = list(ag.backprop_steps((x * 2.0).sum()))[1:]
    assert step.rule == "d(a*b)/da = b"
    assert step.input_grads[1] is None


def test_draw_shows_the_moment_current_done_and_known_gradients():
    a = ag.Tensor(2.0, requires_grad=True, name="a")
    b = ag.Tensor(3.0, requires_grad=True, name="b")
    c = a * b
    d = c + a
    loss = d * d
    steps = list(ag.backprop_steps(loss))          # exhausted: a.grad is final now
    g = steps[1].draw()
    import graphviz
    assert isinstance(g, graphviz.Digraph)
    text = g.source
    line = {t: next(ln for ln in text.splitlines() if ln.strip().startswith(f'"t{t._index}" ['))
            for t in (a, b, c, d, loss)}
    assert dotmod.CURRENT_FILL in line[d] and "penwidth=3" in line[d]
    assert dotmod.DONE_COLOR in line[loss]
    assert dotmod.CURRENT_FILL not in line[c] and dotmod.DONE_COLOR not in line[c]
    assert "grad 16" in line[d]
    assert "grad (so far) 16" in line[a]           # 16 then, 64 at the end
    assert "grad 16<" in line[c]                   # final: its only consumer (d) is done
    assert "grad" not in line[b].replace("#d50000", "")   # nothing reached b yet
    assert f'"t{c._index}" -> "t{d._index}" [color="{dotmod.GRAD_COLOR}"' in text
    assert "∂ 16" in text                         # the contribution on the edge
    assert "backprop step 1: add" in text
    assert "current step" in steps[1].draw(legend=True).source
    last = steps[-1].draw(show_data=False).source.splitlines()
    line_a = next(ln for ln in last if ln.strip().startswith(f'"t{a._index}" ['))
    line_b = next(ln for ln in last if ln.strip().startswith(f'"t{b._index}" ['))
    assert "grad 64<" in line_a and "grad 32<" in line_b      # final: no "so far"


def test_multi_output_function_steps():
    class Split2(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    def build():
        x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        y1, y2 = Split2.apply(x)
        return (y1 * y2).sum(), x
    loss, x = build()
    loss.backward()
    loss2, x2 = build()
    steps = list(ag.backprop_steps(loss2))
    np.testing.assert_array_equal(x2.grad.data, x.grad.data)
    assert steps[-1].op == "Split2" and isinstance(steps[-1].grad_output, list)
    assert "Split2" in steps[-1].draw().source
    loss3, x3 = build()
    table = ag.explain(loss3)
    (row,) = [r for r in table.rows if r["op"] == "Split2"]
    assert row["upstream grad"].count(";") == 1 and row["rule"] == "Split2.backward (user-defined)"
    assert x3.grad is None


def test_retain_graph_and_gradient_argument():
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    steps = list(ag.backprop_steps(y, gradient=np.array([1.0, 10.0]), retain_graph=True))
    np.testing.assert_array_equal(x.grad.data, [2.0, 40.0])
    y.backward(np.array([1.0, 1.0]))                 # graph kept
    np.testing.assert_array_equal(x.grad.data, [4.0, 44.0])
    assert len(steps) == 1
    with pytest.raises(RuntimeError, match="scalar"):
        ag.backprop_steps(x * x)


def test_explain_table_text_and_html_without_side_effects():
    loss, leaves = mlp(np.random.default_rng(3))
    leaves[0].grad = ag.Tensor(np.ones((4, 6)))      # pre-existing gradient is kept
    table = ag.explain(loss)
    assert leaves[0].grad.data.sum() == 24 and leaves[1].grad is None
    text = str(table)
    header = text.splitlines()[0]
    for col in ("step", "node", "op", "value", "upstream grad", "input", "rule",
                "contribution", "grad so far"):
        assert col in header
    assert "d(A@B)/dB: Aᵀ @ G" in text and "w2" in text and "<" not in text
    assert len(table.steps) == len(list(ag.backprop_steps(
        mlp(np.random.default_rng(3))[0])))
    html = table._repr_html_()
    assert html.startswith("<table") and "<th>rule</th>" in html and "w1" in html
    # the graph was kept: a real backward still works and matches a fresh one
    leaves[0].grad = None
    loss.backward()
    fresh, fresh_leaves = mlp(np.random.default_rng(3))
    fresh.backward()
    for t, f in zip(leaves, fresh_leaves):
        np.testing.assert_array_equal(t.grad.data, f.grad.data)
    # the last row for w1 carries its full gradient
    w1_rows = [r for r in table.rows if r["input"] == "w1"]
    assert w1_rows[-1]["grad so far"] == ag.viz.summarize(fresh_leaves[0].grad.data)


def test_explain_accumulate_is_the_backward():
    loss, leaves = fan_out(np.random.default_rng(4))
    table = ag.explain(loss, accumulate=True)
    ref, ref_leaves = fan_out(np.random.default_rng(4))
    ref.backward()
    np.testing.assert_array_equal(leaves[0].grad.data, ref_leaves[0].grad.data)
    assert len(table) >= len(table.steps)


def test_play_with_widgets():
    pytest.importorskip("ipywidgets")
    loss, leaves = mlp(np.random.default_rng(5))
    box = ag.viz.play(loss, widgets=True, show_data=False)
    slider = box.children[0].children[1]
    prev_button, next_button = box.children[0].children[0], box.children[0].children[2]
    caption, picture = box.children[1], box.children[2]
    assert slider.max == len(box.steps) - 1 and "step 0" in caption.value
    first = picture.value
    next_button.click()
    assert slider.value == 1 and "step 1" in caption.value and picture.value != first
    prev_button.click()
    prev_button.click()
    assert slider.value == 0 and picture.value == first
    assert all(t.grad is None for t in leaves)     # play only watches


def test_play_without_widgets_gives_a_strip(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)   # import ipywidgets fails
    a = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (ag.tanh(a) * a).sum()
    strip = ag.viz.play(loss, widgets=True)
    assert isinstance(strip, list) and len(strip) == 3
    import graphviz
    assert all(isinstance(g, graphviz.Digraph) for g in strip)
    html = strip._repr_html_()
    assert html.count("<div>") == 3
    assert "step 0: sum" in html and "step 1: mul" in html and "step 2: tanh" in html
    with pytest.raises(ValueError, match="leaf"):
        ag.viz.play(a.sum().detach().requires_grad_(), widgets=True)


def test_grad_mode_between_steps_is_the_callers():
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (ag.exp(x) * x).sum()
    steps = ag.backprop_steps(loss)
    next(steps)
    assert ag.is_grad_enabled()                 # the walk is suspended, not holding no_grad
    y = x * 2                                   # so user code between steps records
    assert y.requires_grad
    with ag.no_grad():
        next(steps)
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    del steps                                   # an abandoned walk changes nothing either
    assert ag.is_grad_enabled()


def test_engine_walk_events_carry_applied_contributions():
    from autograd import engine
    b = ag.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    a = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    loss = (a * b).sum()
    events = list(engine.walk([loss], [np.ones(())], observe=True))
    assert [e.node.name for e in events] == ["sum", "mul"]
    ga, gb = events[1].input_grads
    assert ga.shape == (2, 3) and gb.shape == (3,)        # unbroadcast as applied
    np.testing.assert_array_equal(gb, b.grad.data * 0 + 2)
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])


def test_step_drawing_with_collapsed_modules_marks_the_box():
    x = ag.Tensor(np.array([0.5, -1.0]), requires_grad=True, name="x")
    with ag.scope("block"):
        with ag.scope("inner"):
            h = ag.tanh(x * 2.0)
    with ag.scope("head"):
        loss = (h * h * 3.0).sum()                # has a constant inside the box
    steps = list(ag.backprop_steps(loss))
    assert [s.op for s in steps] == ["sum", "mul", "mul", "tanh", "mul"]

    def box(step, path, collapse):
        text = steps[step].draw(collapse=collapse).source
        return next(ln for ln in text.splitlines() if f'"module:{path}" [' in ln)
    current = box(3, "block.inner", 1)             # tanh runs inside block.inner
    assert dotmod.CURRENT_FILL in current and "2 ops" in current
    assert 'subgraph "cluster_block" {' in steps[3].draw(collapse=1).source
    waiting = box(1, "block.inner", 1)
    assert dotmod.CURRENT_FILL not in waiting and dotmod.DONE_COLOR not in waiting
    assert dotmod.DONE_COLOR in box(3, "head", 0)   # all its ops pushed back
    assert dotmod.CURRENT_FILL in box(4, "block", 0)
