"""Arguments a compiled function is called with, as eagerly: one array passed twice,
views of one array, a function writing into its argument or giving it another array.

Before these checks: a tensor passed twice while tracing made a program that read the
second argument for both (``f(x, y)`` then gave ``f(y, y)``'s result); a traced call
writing into an argument's array wrote into a copy, so the caller's array was left
unchanged in the tracing calls; and ``x.data = ...`` on an argument was undone after
every call, silently, replays included."""
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd.compile import CompileWarning


def _both(fn, make_args, calls=5):
    """(eager results, compiled results, warnings, counts): each result is the value
    returned and the arguments' arrays after the call."""
    def run(step):
        out = []
        for k in range(calls):
            args = make_args(k)
            value = float(step(*args))
            out.append((value, [np.array(a.data if isinstance(a, ag.Tensor) else a)
                                .tolist() for a in args]))
        return out
    want = run(fn)
    step = ag.compile(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run(step)
    return want, got, [str(w.message) for w in caught if w.category is CompileWarning], \
        step.counts


def test_a_tensor_passed_twice_then_two_tensors():
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(a, b):
        w.grad = None
        loss = (w * a + b * 2).sum()
        loss.backward()
        return loss

    x = ag.tensor(np.arange(3.0))

    def args(k):
        return (x, x) if k < 3 else (x, ag.tensor(np.full(3, 10.0 + k)))
    want, got, caught, counts = _both(f, args, calls=6)
    assert got == want and caught == []
    assert counts["replays"] == 2             # one program for (x, x), one for (x, y)


def test_an_array_passed_twice_and_two_tensors_of_one_array():
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(a, b):
        return (w * ag.tensor(a) - ag.tensor(b) * 3).sum()

    x = np.arange(3.0)
    want, got, caught, _ = _both(f, lambda k: (x, x) if k % 2 else (x, x + k))
    assert got == want and caught == []

    def g(a, b):
        return (w * a - b * 3).sum()

    t = ag.tensor(np.arange(3.0))
    want, got, caught, _ = _both(g, lambda k: (t, t.detach()) if k < 3 else
                                 (t, ag.tensor(np.full(3, 1.0 * k))))
    assert got == want and caught == []


def test_one_input_as_input_and_target_keeps_replaying():
    w = ag.tensor(np.eye(3) * 0.5, requires_grad=True)

    def f(x, target):
        w.grad = None
        loss = ((x @ w - target) ** 2).mean()
        loss.backward()
        return loss

    def args(k):
        x = ag.tensor(np.ones((4, 3)) * k)
        return x, x                             # an autoencoder's input and target
    want, got, caught, counts = _both(f, args)
    assert got == want and caught == [] and counts["replays"] == 3


def test_views_of_one_array_as_two_arguments_run_eagerly():
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(a, b):
        a *= 2                                # b sees it, eagerly
        return (w * ag.tensor(b)).sum()

    def args(k):
        base = np.arange(4.0) + k
        return base[:3], base[1:]
    want, got, caught, counts = _both(f, args)
    assert got == want
    assert counts["replays"] == 0 and "share memory" in caught[0]


def test_a_function_writing_into_its_argument_writes_the_callers_array():
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(a):
        a.data *= 2
        return (w * a).sum()

    def g(a):
        np.multiply(a, 2, out=a)
        return (w * ag.tensor(a)).sum()

    for fn, make in ((f, ag.tensor), (g, np.asarray)):
        want, got, caught, counts = _both(fn, lambda k: (make(np.arange(3.0) + k),))
        assert got == want, fn.__name__          # the tracing calls too
        assert counts["replays"] == 0 and "writes into its input array" in caught[0]


def test_a_function_giving_its_argument_another_array_keeps_it():
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(a):
        a.data = a.data * 2
        return (w * a).sum()

    want, got, caught, counts = _both(f, lambda k: (ag.tensor(np.arange(3.0) + k),))
    assert got == want
    assert counts["replays"] == 0 and "another array (x.data = ...)" in caught[0]


def test_backward_on_a_compiled_functions_result_says_where_to_call_it():
    """A compiled function returns values without their graph (PyTorch users may expect
    torch.compile's behaviour): the error says to call backward() inside."""
    w = ag.tensor(np.ones(3), requires_grad=True)
    forward = ag.compile(lambda x: (w * x).sum())
    for k in range(3):
        out = forward(ag.tensor(np.full(3, float(k))))
        with pytest.raises(RuntimeError, match=r"ag.compile returns values without their "
                                               r"graph: call backward\(\) inside it"):
            out.backward()
