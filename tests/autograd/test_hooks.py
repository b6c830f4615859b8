"""Tensor hooks against PyTorch (issue 16, point 6): ``register_hook`` (on leaves and
non-leaves, replacing the gradient, order, removal), ``register_post_accumulate_grad_hook``,
their interplay with ``retain_grad``, ``autograd.grad``, ``create_graph`` and
``no_grad``, PyTorch's errors, and the engine's end-of-backward callbacks.

Each scenario is one function written against a tiny adapter, run once with glassgrad
and once with torch (float64); the logs of hook calls and the gradients must agree.
"""
import gc

import numpy as np
import pytest

import autograd as ag
from autograd import hooks

torch = pytest.importorskip("torch")


class Lib:
    """The few calls a scenario needs, for glassgrad (``torch=False``) or torch."""

    def __init__(self, use_torch):
        self.torch = use_torch

    def leaf(self, values):
        a = np.asarray(values, dtype=np.float64)
        if self.torch:
            return torch.tensor(a, requires_grad=True)
        return ag.tensor(a, requires_grad=True)

    def arr(self, t):
        if t is None:
            return None
        return (t.detach().numpy() if self.torch else t.data).copy()

    def grad(self, *args, **kwargs):
        return (torch.autograd.grad if self.torch else ag.grad)(*args, **kwargs)

    def no_grad(self):
        return torch.no_grad() if self.torch else ag.no_grad()


def both(scenario):
    """Run ``scenario(lib, log)`` on both libraries; compare what each returned and logged."""
    results = []
    for use_torch in (False, True):
        log = []
        out = scenario(Lib(use_torch), log)
        results.append((log, out))
    (ours_log, ours), (theirs_log, theirs) = results
    _same(ours_log, theirs_log, "log")
    _same(ours, theirs, "result")
    return results[0]


def _same(a, b, where):
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (where, a, b)
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=where)
    else:
        assert a == b, (where, a, b)


# ------------------------------------------------------------------ register_hook
def test_leaf_hook_sees_the_whole_gradient_once_and_replaces_it():
    def scenario(lib, log):
        x = lib.leaf([1.0, 2.0])
        x.register_hook(lambda g: log.append(("x", lib.arr(g))) or g * 10)
        y = x * 3
        ((y * y).sum() + x.sum() + (x * x).sum()).backward()      # three uses of x
        return lib.arr(x.grad)
    log, _ = both(scenario)
    assert len(log) == 1


def test_non_leaf_hook_replaces_what_flows_back_and_what_retain_grad_keeps():
    def scenario(lib, log):
        a = lib.leaf([1.0, -2.0, 0.5])
        b = a * 2
        b.retain_grad()
        b.register_hook(lambda g: log.append(("b", lib.arr(g))) or g * 100)
        c = b.exp()
        c.register_hook(lambda g: log.append(("c", lib.arr(g))))      # returns None
        (c * b).sum().backward()
        return lib.arr(b.grad), lib.arr(a.grad)
    both(scenario)


def test_several_hooks_run_in_order_on_each_others_result_and_remove():
    def scenario(lib, log):
        a = lib.leaf([1.0, 2.0])
        h1 = a.register_hook(lambda g: log.append(1) or g + 1)
        h2 = a.register_hook(lambda g: log.append(2) or g * 2)
        (a * 3).sum().backward()
        first = lib.arr(a.grad)
        h1.remove()
        h1.remove()                                                 # twice: harmless
        a.grad = None
        (a * 3).sum().backward()
        second = lib.arr(a.grad)
        with h2:
            pass                                                    # leaving removes it
        a.grad = None
        (a * 3).sum().backward()
        return first, second, lib.arr(a.grad)
    log, _ = both(scenario)
    assert log == [1, 2, 2]


def test_hook_that_changes_the_gradient_in_place():
    def scenario(lib, log):
        q = lib.leaf([1.0, 2.0])
        def in_place(g):
            g.mul_(5)
        q.register_hook(in_place)
        (q * 3).sum().backward()
        return lib.arr(q.grad)
    both(scenario)


def test_hooks_run_in_autograd_grad_and_on_a_leaf_root():
    def scenario(lib, log):
        x = lib.leaf([1.0, 2.0])
        x.register_hook(lambda g: log.append(lib.arr(g)) or g * 10)
        z = (x * 3 * (x * 3)).sum() + x.sum()
        (gx,) = lib.grad(z, x)
        d = lib.leaf(2.0)
        d.register_hook(lambda g: g * 7)
        d.register_post_accumulate_grad_hook(lambda t: log.append(("post d", lib.arr(t.grad))))
        d.backward()
        return lib.arr(gx), lib.arr(d.grad)
    both(scenario)


def test_hooks_with_create_graph_get_differentiable_gradients():
    def scenario(lib, log):
        c = lib.leaf([1.5, -0.5])
        c.register_hook(lambda g: log.append(bool(g.requires_grad)) or g * c)
        h = c * c
        h.register_hook(lambda g: g * h)
        (gc,) = lib.grad((h * h).sum(), c, create_graph=True)
        (ggc,) = lib.grad(gc.sum(), c)
        return lib.arr(gc), lib.arr(ggc)
    both(scenario)


def test_hooks_registered_under_no_grad_still_run():
    def scenario(lib, log):
        e = lib.leaf([1.0, 2.0])
        with lib.no_grad():
            e.register_hook(lambda g: g * 4)
        (e * e).sum().backward()
        return lib.arr(e.grad)
    both(scenario)


def test_hook_errors_are_pytorchs():
    w = ag.ones(2, requires_grad=True, dtype=np.float64)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.zeros(2).register_hook(lambda g: g)
    with ag.no_grad():
        q = w * 2
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        q.register_hook(lambda g: g)
    with pytest.raises(TypeError, match="callable"):
        w.register_hook(3)

    def wrong_size(g):
        return ag.ones(3, dtype=np.float64)
    h = w.register_hook(wrong_size)
    with pytest.raises(RuntimeError, match="hook 'wrong_size' has changed the size of value"):
        (w * 2).sum().backward()
    h.remove()
    h = w.register_hook(lambda g: g.astype(np.float32))
    with pytest.raises(RuntimeError, match="changed the type of value"):
        (w * 2).sum().backward()
    h.remove()
    h = w.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="returned a int"):
        (w * 2).sum().backward()
    h.remove()


# ------------------------------------------------------- post-accumulate-grad hooks
def test_post_accumulate_hook_runs_after_grad_is_updated_once_per_backward():
    def scenario(lib, log):
        p = lib.leaf([1.0, 2.0])
        p.register_post_accumulate_grad_hook(lambda t: log.append(lib.arr(t.grad)))
        (p * 3 + p * p).sum().backward()
        (p * 3).sum().backward()
        lib.grad((p * 2).sum(), p)                   # accumulates nothing: no call
        (p * 2).sum().backward(inputs=[p])           # accumulates: a call
        return lib.arr(p.grad)
    log, _ = both(scenario)
    assert len(log) == 3


def test_post_accumulate_hook_sees_the_tensor_hooks_result_and_can_edit_grad():
    def scenario(lib, log):
        p = lib.leaf([1.0, 2.0])
        p.register_hook(lambda g: g * 2)

        def clip(t):
            log.append(lib.arr(t.grad))
            t.grad.clamp_(max=7.0)
        p.register_post_accumulate_grad_hook(clip)
        (p * p * 3).sum().backward()
        return lib.arr(p.grad)
    both(scenario)


def test_post_accumulate_hook_errors():
    p = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (p * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ag.zeros(2).register_post_accumulate_grad_hook(lambda t: None)
    p.register_post_accumulate_grad_hook(lambda t: t * 2)
    with pytest.raises(RuntimeError, match="post accumulate grad hooks should return None"):
        (p * 2).sum().backward()


def test_no_hooks_left_means_no_hook_work():
    gc.collect()                          # earlier tests' hooked tensors stop counting
    before = hooks.ACTIVE.tensor_hooks
    t = ag.ones(2, requires_grad=True)
    handles = [t.register_hook(lambda g: g), t.register_post_accumulate_grad_hook(print)]
    assert hooks.ACTIVE.tensor_hooks == before + 2
    for h in handles:
        h.remove()
        h.remove()
    assert hooks.ACTIVE.tensor_hooks == before

    # hooks of a tensor that is gone stop counting, even one that refers to its tensor
    t = ag.ones(2, requires_grad=True)
    h = t * 2
    h.register_hook(lambda g: g * h)
    t.register_post_accumulate_grad_hook(lambda p: None)
    assert hooks.ACTIVE.tensor_hooks == before + 2
    del t, h
    gc.collect()
    assert hooks.ACTIVE.tensor_hooks == before


# -------------------------------------------------------------- queue_callback
def test_queue_callback_runs_when_the_backward_ends():
    order = []
    x = ag.ones(2, requires_grad=True)

    def at_end():
        order.append(("end", x.grad is not None))

    def hook(g):
        order.append("hook")
        hooks.queue_callback(at_end)
    y = x * 2
    y.register_hook(hook)
    (y * y).sum().backward()
    assert order == ["hook", ("end", True)]
    with pytest.raises(RuntimeError, match="only be installed during the backward"):
        hooks.queue_callback(at_end)


def test_the_stepper_records_where_a_hook_changed_a_gradient():
    a = ag.Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = a * 3
    b.name = "b"
    b.register_hook(lambda g: g * 10)
    a.register_hook(lambda g: g + 1)
    steps = list(ag.backprop_steps((b * b).sum()))
    changed = [(t.name, before.tolist(), after.tolist())
               for s in steps for t, before, after in s.hook_changes]
    assert changed == [("b", [6.0, 12.0], [60.0, 120.0]), ("a", [180.0, 360.0],
                                                             [181.0, 361.0])]
    assert a.grad.tolist() == [181.0, 361.0]


def test_docstring_example():
    import doctest
    result = doctest.testmod(hooks, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
