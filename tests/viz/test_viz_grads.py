"""Every node's gradient in one call (issue 16, point 1, the drawing side), and the
circuit style: the lecture's f = (x + y)·z with x = 1, y = -3, z = 4."""
import re

import numpy as np
import pytest

import autograd as ag
from autograd.tensor import quiet_grad
from autograd.viz import GradMap, all_grads
from lecture import circuit


def node_line(text, t):
    return next(ln for ln in text.splitlines() if ln.strip().startswith(f'"t{t._index}" ['))


def test_grads_all_draws_every_gradient_and_changes_nothing():
    x, y, z, d, f = circuit()
    text = ag.to_dot(f, grads="all")
    expected = {x: "grad -4", y: "grad -4", z: "grad -2", d: "grad 4", f: "grad 1"}
    expected[x] = expected[y] = "grad 4"                 # df/dx = df/dd * dd/dx = z = 4
    for t, grad in expected.items():
        assert f'<font color="#d50000">{grad}</font>' in node_line(text, t), t.name
    # PyTorch's semantics stay: nothing accumulated, non-leaves keep no .grad
    assert all(quiet_grad(t) is None for t in (x, z, d, f))
    f.backward()                                         # the graph was kept
    assert (float(x.grad), float(y.grad), float(z.grad)) == (4.0, 4.0, -2.0)
    assert quiet_grad(d) is None
    # after backward the default drawing shows the leaves' .grad only
    plain = ag.to_dot(f)
    assert "grad 4" in node_line(plain, x) and "grad" not in node_line(plain, d).replace(
        "#d50000", "")


def test_grads_all_matches_torch_on_a_fan_out_graph():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a0, b0 = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    a = ag.Tensor(a0, requires_grad=True, name="a")
    b = ag.Tensor(b0, requires_grad=True, name="b")
    h = ag.tanh(a * b)
    s = h * h + ag.exp(h)
    loss = s.sum()
    grads = all_grads(loss)
    ta = torch.tensor(a0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    th = torch.tanh(ta * tb)
    ts = th * th + torch.exp(th)
    for t in (th, ts):
        t.retain_grad()
    ts.sum().backward()
    for mine, ref in ((a, ta), (b, tb), (h, th), (s, ts)):
        np.testing.assert_allclose(grads[mine], ref.grad.numpy(), rtol=1e-12)
    # the branches of h's fork: their parts sum to h's gradient
    parts = [grads.edge(h, t) for t in ag.viz.trace(loss).tensors.values()
             if t.grad_fn is not None and any(x is h for x in t.grad_fn.inputs)]
    assert len(parts) == 2
    np.testing.assert_allclose(parts[0] + parts[1], grads[h], rtol=1e-12)
    assert h in grads and len(grads) == len(ag.viz.trace(loss).tensors)
    assert a.grad is None and quiet_grad(h) is None


def test_a_mapping_feeds_the_same_drawing():
    """What a later ``with ag.retain_grads(): loss.backward()`` can hand over."""
    x, y, z, d, f = circuit()
    mine = ag.to_dot(f, grads={d: np.array(4.0), x: ag.Tensor(4.0), z: None})
    assert "grad 4" in node_line(mine, d) and "grad 4" in node_line(mine, x)
    assert "grad" not in node_line(mine, z).replace("#d50000", "")
    assert isinstance(all_grads(f), GradMap)
    assert ag.to_dot(f, grads=all_grads(f)) == ag.to_dot(f, grads="all")
    with pytest.raises(TypeError, match="Tensors"):
        ag.to_dot(f, grads={"d": 1.0})
    with pytest.raises(ValueError, match="grads must be"):
        ag.to_dot(f, grads="some")
    with pytest.raises(ValueError, match="one output"):
        ag.to_dot(f, d, grads="all")


def test_circuit_style_writes_value_above_and_gradient_below_each_wire():
    x, y, z, d, f = circuit()
    text = ag.to_dot(f, grads="all", style="circuit")
    assert "rankdir=LR" in text
    assert re.search(rf'"t{d._index}" \[label=<\+> shape=circle', text)
    assert re.search(rf'"t{f._index}" \[label=<×> shape=circle', text)

    def wire(src, dst):
        line = next(ln for ln in text.splitlines()
                    if ln.strip().startswith(f'"{src}" -> "{dst}"'))
        return re.findall(r"<td>(?:<i>)?(?:<font color=\"#d50000\">)?([^<]+)<", line)
    assert wire(f"t{x._index}", f"t{d._index}") == ["1", "4"]        # value, gradient
    assert wire(f"t{y._index}", f"t{d._index}") == ["-3", "4"]
    assert wire(f"t{z._index}", f"t{f._index}") == ["4", "-2"]
    assert wire(f"t{d._index}", f"t{f._index}") == ["d", "-2", "4"]
    assert wire(f"t{f._index}", f"out:t{f._index}") == ["-8", "1"]
    assert '"out:t' in text and "<b>f</b>" in text


def test_circuit_branches_carry_their_own_part_of_the_gradient():
    a = ag.Tensor(3.0, requires_grad=True, name="a")
    b = a * a                                  # a feeds mul twice: each branch gets 3
    c = a + b                                  # and add once: 1
    text = ag.to_dot(c, grads="all", style="circuit")
    labels = re.findall(rf'"t{a._index}" -> "t(\d+)" \[label=<(.*?)> fontsize', text)
    parts = sorted(re.findall(r'#d50000">([^<]+)<', lab)[0] for _, lab in labels)
    assert parts == ["1", "6"]                 # 3 + 3 through mul (one edge), 1 through add


def test_drawing_every_gradient_after_backward_says_what_to_do():
    x, y, z, d, f = circuit()
    f.backward()
    with pytest.raises(RuntimeError, match=r"grads='all'\) first, or pass retain_graph=True"):
        ag.draw_graph(f, grads="all")
    x, y, z, d, f = circuit()
    f.backward(retain_graph=True)
    assert "grad 4" in node_line(ag.to_dot(f, grads="all"), d)
    with pytest.raises(ValueError, match="no recorded operations"):
        all_grads(x)


def test_explain_after_an_exhausted_stepper_says_what_to_do():
    x, y, z, d, f = circuit()
    for _ in ag.backprop_steps(f):
        pass
    with pytest.raises(RuntimeError, match=r"explain\(loss\) first, or pass retain_graph"):
        ag.explain(f)
    x, y, z, d, f = circuit()
    list(ag.backprop_steps(f, retain_graph=True))
    assert len(ag.explain(f).steps) == 2                 # kept: explain watches again
