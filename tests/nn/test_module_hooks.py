"""Module hooks against PyTorch (issue 16, point 6): full backward hooks and backward
pre-hooks (what they see, replacing grad_output / grad_input, order, prepend, removal,
several outputs, non-tensor arguments, inputs without gradients, a module called
twice, create_graph), forward hooks with prepend / with_kwargs / always_call, and the
errors. Every scenario runs on both libraries in float64 and must log the same."""
import warnings

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("float64")

RNG = np.random.default_rng(0)
W, B, X = RNG.normal(size=(3, 4)), RNG.normal(size=3), RNG.normal(size=(2, 4))


class Lib:
    def __init__(self, use_torch):
        self.torch = use_torch
        self.nn = torch.nn if use_torch else nn

    def linear(self):
        m = self.nn.Linear(4, 3)
        if self.torch:
            m = m.double()
            with torch.no_grad():
                m.weight.copy_(torch.tensor(W))
                m.bias.copy_(torch.tensor(B))
        else:
            m.weight.data[...] = W
            m.bias.data[...] = B
        return m

    def tensor(self, a, requires_grad=True):
        a = np.array(a, dtype=np.float64)
        if self.torch:
            return torch.tensor(a, requires_grad=requires_grad)
        return ag.tensor(a, requires_grad=requires_grad)

    def arr(self, t):
        if t is None:
            return None
        return (t.detach().numpy() if self.torch else t.data).copy()

    def arrs(self, ts):
        return tuple(self.arr(t) for t in ts)


def both(scenario):
    logs = []
    for use_torch in (False, True):
        log = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = scenario(Lib(use_torch), log)
        logs.append((log, out))
    _same(logs[0], logs[1], "run")
    return logs[0]


def _same(a, b, where):
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (where, a, b)
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert a is not None and b is not None, (where, a, b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=where)
    else:
        assert a == b, (where, a, b)


def test_full_backward_hook_and_pre_hook_see_and_replace_gradients():
    def scenario(lib, log):
        m = lib.linear()
        x = lib.tensor(X)

        def pre(mod, grad_output):
            log.append(("pre", lib.arrs(grad_output)))
            return (grad_output[0] * 2,)

        def full(mod, grad_input, grad_output):
            log.append(("full", lib.arrs(grad_input), lib.arrs(grad_output)))
            return (grad_input[0] * 3,)
        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(full)
        y = m(x)
        (y * y).sum().backward()
        return lib.arr(x.grad), lib.arr(m.weight.grad), lib.arr(m.bias.grad)
    log, _ = both(scenario)
    assert [e[0] for e in log] == ["pre", "full"]


def test_order_prepend_and_removal():
    def scenario(lib, log):
        m = lib.linear()
        handles = [m.register_full_backward_hook(lambda mod, gi, go: log.append("a")),
                   m.register_full_backward_hook(lambda mod, gi, go: log.append("b")),
                   m.register_full_backward_hook(lambda mod, gi, go: log.append("first"),
                                                 prepend=True),
                   m.register_full_backward_pre_hook(lambda mod, go: log.append("pre"))]
        m(lib.tensor(X)).sum().backward()
        handles[0].remove()
        handles[3].remove()
        m(lib.tensor(X)).sum().backward()
        return None
    log, _ = both(scenario)
    assert log == ["pre", "first", "a", "b", "first", "b"]


class TwoInTwoOut:
    """forward(x, scale, y) -> (x * y * scale, y.sum(), "tag"): non-tensor argument
    and output, a y that may not need a gradient, an output that may get none."""

    @staticmethod
    def build(lib):
        base = lib.nn.Module

        class Mod(base):
            def forward(self, x, scale, y):
                return x * y * scale, y.sum(), "tag"
        return Mod()


@pytest.mark.parametrize("y_needs_grad", [True, False])
def test_several_inputs_and_outputs_with_nones(y_needs_grad):
    def scenario(lib, log):
        m = TwoInTwoOut.build(lib)
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", lib.arrs(go))))
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("full", lib.arrs(gi), lib.arrs(go))))
        x, y = lib.tensor(X), lib.tensor(X[::-1].copy(), requires_grad=y_needs_grad)
        a, b, tag = m(x, 2.0, y)
        (a * a).sum().backward()                                # b gets no gradient
        return tag, lib.arr(x.grad), lib.arr(y.grad)
    both(scenario)


def test_when_no_input_needs_a_gradient_the_hook_fires_at_the_outputs():
    def scenario(lib, log):
        m = lib.linear()
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(("full", lib.arrs(gi), lib.arrs(go))))
        m(lib.tensor(X, requires_grad=False)).sum().backward()
        return lib.arr(m.weight.grad)
    both(scenario)
    m = nn.Linear(4, 3)
    m.register_full_backward_hook(lambda mod, gi, go: (ag.ones(2),))
    with pytest.warns(UserWarning, match="no inputs require gradients"), \
            pytest.raises(RuntimeError, match="should always return None"):
        m(ag.ones((2, 4))).sum().backward()


def test_a_module_called_twice_fires_once_per_call_with_its_own_gradients():
    def scenario(lib, log):
        m = lib.nn.Tanh()
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append((lib.arrs(gi), lib.arrs(go))))
        x = lib.tensor(X)
        (m(x) * 2 + m(x * 3) ** 2).sum().backward()
        return lib.arr(x.grad)
    log, _ = both(scenario)
    assert len(log) == 2


def test_hooks_inside_a_model_and_second_order_gradients():
    def scenario(lib, log):
        model = lib.nn.Sequential(lib.linear(), lib.nn.Tanh())
        model[0].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,))
        model[1].register_full_backward_pre_hook(lambda mod, go: (go[0] + 1.0,))
        x = lib.tensor(X)
        loss = (model(x) ** 2).sum()
        grad_fn = torch.autograd.grad if lib.torch else ag.grad
        (gx,) = grad_fn(loss, x, create_graph=True)
        (ggx,) = grad_fn((gx * gx).sum(), x)
        return lib.arr(gx), lib.arr(ggx)
    both(scenario)


def test_wrong_number_of_gradients_is_an_error():
    m = nn.Linear(4, 3)
    h = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                           "expected 1"):
        m(ag.ones((2, 4), requires_grad=True)).sum().backward()
    h.remove()
    m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but "
                                           "expected 1"):
        m(ag.ones((2, 4), requires_grad=True)).sum().backward()
    with pytest.raises(TypeError, match="callable"):
        m.register_full_backward_hook("not a function")


def test_no_hooks_under_no_grad_and_the_graph_names_the_tap():
    m = nn.Linear(4, 3)
    calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(1))
    with ag.no_grad():
        y = m(ag.ones((2, 4), requires_grad=True))
    assert y.grad_fn is None and calls == []
    y = m(ag.ones((2, 4), requires_grad=True))
    assert y.grad_fn.name == "BackwardHookFunctionBackward"
    y.sum().backward()
    assert calls == [1]


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    def scenario(lib, log):
        m = lib.linear()
        m.register_forward_pre_hook(lambda mod, args: log.append("pre"))
        m.register_forward_pre_hook(lambda mod, args: log.append("pre-first"), prepend=True)

        def pre_kwargs(mod, args, kwargs):
            log.append(("pre-kw", sorted(kwargs)))
            return (args[0] * 2,), kwargs
        m.register_forward_pre_hook(pre_kwargs, with_kwargs=True)

        def post_kwargs(mod, args, kwargs, out):
            log.append(("post-kw", sorted(kwargs)))
            return out + 1
        m.register_forward_hook(post_kwargs, with_kwargs=True)
        y = m(lib.tensor(X))
        return lib.arr(y)
    log, _ = both(scenario)
    assert log[:2] == ["pre-first", "pre"]

    def failing(lib, log):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        b = Boom()
        b.register_forward_hook(lambda mod, args, out: log.append(("always", out)),
                                always_call=True)
        b.register_forward_hook(lambda mod, args, out: log.append("normal"))
        with pytest.raises(ValueError, match="boom"):
            b(lib.tensor(X))
        return None
    log, _ = both(failing)
    assert log == [("always", None)]


def test_a_module_from_before_the_hook_tables_gets_them():
    m = nn.Linear(4, 3)
    for name in ("_backward_hooks", "_backward_pre_hooks", "_hook_flags"):
        del m.__dict__[name]
    object.__setattr__(m, "_forward_hooks", {})            # the old plain dict
    calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("bw"))
    m.register_forward_hook(lambda mod, args, out: calls.append("fw"))
    m(ag.ones((2, 4), requires_grad=True)).sum().backward()
    assert calls == ["fw", "bw"]
