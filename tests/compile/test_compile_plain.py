"""Plain Python values a traced call reads (numbers, strings, None, tuples of them) are
baked into the program as constants. A call that changes one runs eagerly from then on
(with a CompileWarning naming it); one changed between calls sends the next call back to
tracing. Before this guard every case below replayed the first value silently."""
import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.compile import CompileWarning

W0 = np.arange(6.0)
K = 2
COUNTS = {"n": 0}
N = 0
SIGN = 0.0
SHAPE = (2,)


def _sum_first(w, x, k):
    w.grad = None
    loss = (w[:k] * x[:k]).sum()
    loss.backward()
    return loss


def _run(fn, calls=5, between=None):
    """Each call's loss, the warnings, the counts."""
    step = ag.compile(fn)
    x = ag.tensor(np.ones(6))
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(calls):
            if between is not None:
                between(i)
            out.append(float(step(x)))
    return out, [str(w.message) for w in caught if w.category is CompileWarning], \
        step.counts


def test_a_global_the_function_increments_makes_it_run_eagerly():
    global N
    N = 0
    w = ag.tensor(W0, requires_grad=True)

    def f(x):
        global N
        N += 1
        return _sum_first(w, x, 2 if N < 3 else 4)
    out, caught, counts = _run(f)
    assert out == [1.0, 1.0, 6.0, 6.0, 6.0]
    assert counts["replays"] == 0 and counts["eager"] == 4
    assert "N: 0 -> 1" in caught[0] and "changed Python state" in caught[0]


@pytest.mark.parametrize("kind", ["dict item", "closure list", "nonlocal"])
def test_state_changed_in_containers_and_closures_makes_it_run_eagerly(kind):
    w = ag.tensor(W0, requires_grad=True)
    COUNTS["n"] = 0
    box, n = [0], 0

    def f(x):
        nonlocal n
        if kind == "dict item":
            COUNTS["n"] += 1
            c = COUNTS["n"]
        elif kind == "closure list":
            box[0] += 1
            c = box[0]
        else:
            n += 1
            c = n
        return _sum_first(w, x, 2 if c < 3 else 4)
    out, caught, counts = _run(f)
    assert out == [1.0, 1.0, 6.0, 6.0, 6.0]
    assert counts["replays"] == 0
    assert caught and "changed Python state" in caught[0]
    named = {"dict item": "COUNTS['n']: 0 -> 1", "closure list": "box[0]: 0 -> 1",
             "nonlocal": "n: 0 -> 1"}[kind]
    assert named in caught[0], caught[0]


def test_a_global_changed_between_calls_is_traced_again():
    global K
    K = 2
    w = ag.tensor(W0, requires_grad=True)

    def between(i):
        global K
        K = 2 if i < 3 else 3
    out, caught, counts = _run(lambda x: _sum_first(w, x, K), calls=6, between=between)
    assert out == [1.0, 1.0, 1.0, 3.0, 3.0, 3.0]
    assert counts["replays"] >= 2 and not caught


def test_a_module_attribute_changed_between_calls_is_traced_again():
    class Crop(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 2

        def forward(self, x):
            return x[:self.k]
    crop = Crop()
    w = ag.tensor(W0, requires_grad=True)

    def f(x):
        w.grad = None
        loss = (crop(w) * crop(x)).sum()
        loss.backward()
        return loss

    def between(i):
        crop.k = 2 if i < 3 else 4
    out, _, counts = _run(f, calls=6, between=between)
    assert out == [1.0, 1.0, 1.0, 6.0, 6.0, 6.0]
    assert counts["replays"] >= 2


@pytest.mark.parametrize("owner", ["object", "module"])
def test_an_attribute_dict_assigned_anew_between_calls_is_traced_again(owner):
    """``obj.__dict__ = {...}``: the guards read the plain values from the dict they
    found; a new one (here with another k) must be seen, not the old one read on."""
    class Holder:
        def __init__(self):
            self.k = 2

    class Crop(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 2
    holder = Holder() if owner == "object" else Crop()
    w = ag.tensor(W0, requires_grad=True)

    def f(x):
        return _sum_first(w, x, holder.k)

    def between(i):
        if i == 4:
            holder.__dict__ = {**vars(holder), "k": 4}
    out, _, counts = _run(f, calls=6, between=between)
    assert out == [1.0, 1.0, 1.0, 1.0, 6.0, 6.0]
    assert counts["replays"] >= 2


def test_a_sign_of_zero_and_a_tuple_are_constants_too():
    global SIGN, SHAPE
    SIGN, SHAPE = 0.0, (2,)
    w = ag.tensor(W0, requires_grad=True)

    def f(x):
        w.grad = None
        loss = (w[:SHAPE[0]] * x[:SHAPE[0]] + SIGN).sum()
        loss.backward()
        return (loss * 0 + 1) * SIGN     # -0.0 and 0.0 differ in what the step returns

    def between(i):
        global SIGN, SHAPE
        SIGN = 0.0 if i < 3 else -0.0
        SHAPE = (2,) if i < 4 else (3,)
    step = ag.compile(f)
    x = ag.tensor(np.ones(6))
    signs, sizes = [], []
    for i in range(7):
        between(i)
        loss = step(x)
        signs.append(math.copysign(1.0, float(loss)))
        sizes.append(float(w.grad.data.sum()))
    assert signs == [1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0]
    assert sizes == [2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0]


def test_unchanged_values_replay_including_nan():
    global K
    K = 2
    w = ag.tensor(W0, requires_grad=True)
    nan = [math.nan]

    def f(x):
        w.grad = None
        loss = (w[:K] * x[:K]).sum()
        loss.backward()
        return loss if nan[0] == nan[0] else loss * 1.0
    out, caught, counts = _run(f, calls=6)
    assert out == [1.0] * 6 and not caught
    assert counts["traces"] == 2 and counts["replays"] == 4


def _reads_k_in_a_test(w):
    def f(x):
        w.grad = None
        loss = (w[:2] * x[:2]).sum() * (1.0 if K >= 0 else 2.0)   # K read, same program
        loss.backward()
        return loss
    return f


def test_a_value_changing_at_every_call_ends_in_eager_with_a_warning():
    w = ag.tensor(W0, requires_grad=True)

    def between(i):
        global K
        K = i
    out, caught, counts = _run(_reads_k_in_a_test(w), calls=12, between=between)
    assert out == [1.0] * 12
    assert counts["traces"] == 6 and counts["eager"] == 6 and counts["replays"] == 0
    assert len(caught) == 1 and caught[0].startswith("ag.compile(") and "K: 5 -> 6" in \
        caught[0] and "tensor argument" in caught[0]


def test_a_value_changing_now_and_then_keeps_replaying():
    w = ag.tensor(W0, requires_grad=True)

    def between(i):          # an epoch counter: changes every 5 calls
        global K
        K = i // 5
    out, caught, counts = _run(_reads_k_in_a_test(w), calls=30, between=between)
    assert out == [1.0] * 30 and not caught and counts["eager"] == 0
    assert counts["replays"] == 30 - counts["traces"] >= 15


MASK = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
LEAF = None


def test_an_array_or_tensor_rebound_between_calls_is_traced_again():
    # a trace reads an array it found where it is (writes into it are seen); rebinding
    # the name to another array used to replay the first one
    global MASK, LEAF
    MASK = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    LEAF = ag.tensor(W0, requires_grad=True)

    def f(x):
        LEAF.grad = None
        loss = (LEAF * x * MASK).sum()
        loss.backward()
        return loss

    def between(i):
        global MASK, LEAF
        if i == 2:
            MASK = np.ones(6)
        if i == 4:
            LEAF = ag.tensor(W0 * 10, requires_grad=True)
    out, caught, counts = _run(f, calls=7, between=between)
    assert out == [6.0, 6.0, 15.0, 15.0, 150.0, 150.0, 150.0]
    assert not caught


def test_a_global_batch_rebound_at_every_call_runs_eagerly_with_a_warning():
    global MASK
    w = ag.tensor(W0, requires_grad=True)

    def f(x):
        w.grad = None
        loss = (w * MASK).sum()         # the batch read from a global, not an argument
        loss.backward()
        return loss

    def between(i):
        global MASK
        MASK = np.full(6, float(i))
    out, caught, counts = _run(f, calls=10, between=between)
    assert out == [15.0 * i for i in range(10)]
    # (here the traces already differ, since the array found is another one: the
    # warning says so; had they agreed, the plain-value guard's would name MASK)
    assert counts["replays"] == 0 and len(caught) == 1 and "eagerly" in caught[0]


HISTORY = []


def test_a_step_that_appends_to_a_list_or_adds_a_key_runs_eagerly():
    """A replay would not append: the list stopped growing after the tracing calls."""
    w = ag.tensor(W0, requires_grad=True)
    HISTORY.clear()
    seen = {}

    def f(x):
        loss = _sum_first(w, x, 2)
        HISTORY.append(loss)
        seen[len(seen)] = loss
        return loss
    out, caught, counts = _run(f)
    assert len(HISTORY) == 5 and len(seen) == 5 and counts["replays"] == 0
    assert "seen: 0 items -> 1 items" in caught[0]              # (the first found)


@pytest.mark.parametrize("start", ["none", "tensor"])
def test_a_step_that_stores_a_tensor_in_an_attribute_runs_eagerly(start):
    """``self.last = y.detach()`` on an object: a replay would leave the traced one."""
    w = ag.tensor(W0, requires_grad=True)

    class Cache:
        pass
    cache = Cache()
    cache.last = None if start == "none" else ag.tensor(np.zeros(()))

    def f(x):
        loss = _sum_first(w, x, 2)
        cache.last = loss.detach()
        return loss
    step = ag.compile(f)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(5):
            loss = step(ag.tensor(np.full(6, float(k))))
            assert float(cache.last) == float(loss) == k * 1.0
    assert step.counts["replays"] == 0
    assert "Cache.last: " in str(caught[0].message)
    assert "-> a Tensor of shape ()" in str(caught[0].message)
