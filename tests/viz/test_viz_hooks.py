"""Pictures and hooks (issue 16, points 1 and 6): ``ag.retain_grads()`` records every
gradient of a real backward for drawing, and the stepper, its pictures and the HTML
walk-through show where a tensor hook changed a gradient."""
import numpy as np
import pytest

import autograd as ag
from lecture import circuit


def test_retain_grads_records_every_gradient_and_restores_non_leaf_grads():
    x, y, z, d, f = circuit()
    with ag.retain_grads() as grads:
        f.backward(retain_graph=True)
        assert float(d.grad) == 4.0 and float(f.grad) == 1.0     # inside: kept
    assert d.grad is None and f.grad is None                      # outside: PyTorch's
    assert (float(x.grad), float(y.grad), float(z.grad)) == (4.0, 4.0, -2.0)
    assert {float(grads[t]) for t in (x, y, d)} == {4.0} and float(grads[z]) == -2.0
    x.grad = y.grad = z.grad = None
    assert ag.to_dot(f, grads=grads) == ag.to_dot(f, grads="all")
    assert ag.to_dot(f, grads=grads, style="circuit") == ag.to_dot(f, grads="all",
                                                                    style="circuit")


def test_retain_grads_adds_up_backwards_and_keeps_a_retained_grad():
    a = ag.Tensor([1.0, 2.0], requires_grad=True, name="a")
    h = a * a
    h.retain_grad()
    with ag.retain_grads() as grads:
        (h * 3).sum().backward(retain_graph=True)
        (h * 3).sum().backward()
    np.testing.assert_array_equal(grads[h], [6.0, 6.0])
    np.testing.assert_array_equal(h.grad.data, [6.0, 6.0])     # its own retain_grad stays
    np.testing.assert_array_equal(grads[a], a.grad.data)
    with pytest.raises(KeyError):
        grads[ag.ones(1)]


def test_retain_grads_records_what_a_hook_returned():
    x, y, z, d, f = circuit()
    d.register_hook(lambda g: g * 0.5)
    with ag.retain_grads() as grads:
        f.backward()
    assert float(grads[d]) == 2.0 and float(x.grad) == 2.0


def test_the_step_picture_and_the_player_show_a_hook_change():
    x, y, z, d, f = circuit()
    d.register_hook(lambda g: g * 10)
    steps = list(ag.backprop_steps(f, retain_graph=True))
    (step,) = [s for s in steps if s.hook_changes]
    assert step.op == "add" and "a hook changed the gradient of d" in step.caption()
    t, before, after = step.hook_changes[0]
    assert t is d and float(before) == 4.0 and float(after) == 40.0
    dot = step.draw().source
    line = next(ln for ln in dot.splitlines() if ln.strip().startswith(f'"t{d._index}" ['))
    assert "grad (after hook) 40" in line and "before hook 4" in line
    assert float(x.grad) == 40.0                                  # what the hook sent back
    page = ag.viz.play(f).html()
    assert "hook on d" in page and "a hook changed its gradient from" in page


def test_watching_runs_tensor_hooks_but_not_post_accumulate_hooks():
    x, y, z, d, f = circuit()
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(float(t.grad)))
    d.register_hook(lambda g: g * 2)
    grads = ag.viz.all_grads(f)
    assert float(grads[x]) == 8.0 and calls == [] and x.grad is None
    f.backward()
    assert calls == [8.0]


def test_a_module_backward_hook_change_is_marked_at_its_tap():
    import nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    x = ag.ones((2, 3), requires_grad=True)
    x.name = "x"
    loss = model(x).sum()
    steps = list(ag.backprop_steps(loss, retain_graph=True))
    (step,) = [s for s in steps if s.hook_changes]
    assert step.op == "BackwardHookFunctionBackward"
    (t, before, after), = step.hook_changes
    np.testing.assert_allclose(after, 2 * before)
    assert t is step.grad_fn.inputs[0]                 # the Linear's output, into Tanh
    line = next(ln for ln in step.draw().source.splitlines()
                if ln.strip().startswith(f'"t{t._index}" ['))
    assert "before hook" in line
    plain = [s.op for s in steps if not s.hook_changes]
    assert plain.count("BackwardHookFunctionBackward") == 1      # the output tap: as is
