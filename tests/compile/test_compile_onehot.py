"""log_softmax's gradient from cross-entropy's one-hot gradient, replayed in two calls
(``autograd/compile/onehot.py``): the same bits as eager, and only where it holds."""
import numpy as np
import pytest

import autograd as ag
import nn.functional as F
from autograd.compile import onehot


def _logits(rng, n, c, dt, spread):
    """Logits of rows far apart (``exp`` of the shifted logits underflows to zero in
    some places, which is where the signs of zero products could differ)."""
    x = rng.standard_normal((n, c)) * spread
    x[0, :] = [0.0] + [-1e4] * (c - 1)               # one row certain of its class
    return x.astype(dt)


def _compare(loss_fn, dt, n=6, c=5, spread=40.0, steps=5, retain=False):
    """Each call's loss and input gradient, eager and compiled, bit for bit; the
    compiled function."""
    def f(x, y):
        x = ag.Tensor(x.data, requires_grad=True)
        if retain:
            x = x * 1.0
            x.retain_grad()
        loss = loss_fn(x, y)
        loss.backward()
        return loss, x.grad

    compiled = ag.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = ag.Tensor(_logits(rng, n, c, dt, spread))
        y = rng.integers(0, c, n)
        with np.errstate(all="ignore"):
            want = [t.data.tobytes() for t in f(x, y)]
            got = [t.data.tobytes() for t in compiled(x, y)]
        assert got == want
    assert compiled.stats()["replays"] >= 2
    return compiled


def _zeros_fills(prog):
    return [args for fn, args, _kw in prog.steps if fn is np.copyto
            and type(args[1]) is np.ndarray and args[1].ndim == 0]


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n", [6, 8, 128])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_gradient_of_a_one_hot_is_a_scaled_exp_and_a_pick(dt, n, reduction):
    """No zeros array, no row sums: ``exp(logp) * (-c)`` and one ``add.at`` of ``c``
    (``c`` = -1/n, rounded in the dtype for n = 6; -1 for a sum)."""
    compiled = _compare(lambda x, y: F.cross_entropy(x, y, reduction=reduction), dt, n=n)
    prog = compiled.program()
    assert prog.notes.picked == 1
    assert not _zeros_fills(prog)
    names = [getattr(fn, "__name__", "") for fn, _a, _k in prog.steps]
    assert names.count("at") == 1
    assert names.count("reduce") == 3          # the max, the sum of exps, the loss's sum


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", ["weight", "ignored", "smoothing", "none", "negated"])
def test_other_losses_keep_their_calls(dt, case):
    """Per-row numbers (class weights, ignored targets, no reduction), a second
    gradient (label smoothing) or a positive ``c`` (a negated loss): the calls as
    traced, with the same bits."""
    w = ag.Tensor(np.array([0.5, 2.0, 1.0, 0.25, 3.0], dt))

    def ignored(x, y):
        y = y.copy()
        y[1] = 2
        return F.cross_entropy(x, y, ignore_index=2)

    loss_fn = {
        "weight": lambda x, y: F.cross_entropy(x, y, weight=w),
        "ignored": ignored,
        "smoothing": lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
        "none": lambda x, y: F.cross_entropy(x, y, reduction="none").sum(),
        "negated": lambda x, y: -F.cross_entropy(x, y),
    }[case]
    compiled = _compare(loss_fn, dt)
    assert compiled.program().notes.picked == 0


def test_a_retained_gradient_of_the_logits_has_the_same_bits():
    """The logits' gradient retained (a copy of the rewritten result, made after the
    pick), as eager gives it."""
    compiled = _compare(F.cross_entropy, np.float32, retain=True)
    assert compiled.program().notes.picked == 1


def test_an_ignore_index_no_target_equals_is_still_rewritten():
    """ignore_index in range but never a target: every row counts, the plain mean."""
    compiled = _compare(lambda x, y: F.cross_entropy(x, y % 4, ignore_index=4), np.float64)
    assert compiled.program().notes.picked == 1


def test_a_training_step_trains_the_same_weights():
    """An MLP trained by SGD for a few steps: parameters identical to eager's."""
    import nn
    import optim

    def setup():
        model = nn.Sequential(nn.Linear(12, 16, dtype=np.float32), nn.ReLU(),
                              nn.Linear(16, 7, dtype=np.float32))
        for k, p in enumerate(model.parameters()):
            p.data[...] = np.random.default_rng(k).standard_normal(p.shape) * 0.5
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return model, step

    (m1, eager), (m2, f) = setup(), setup()
    compiled = ag.compile(f)
    rng = np.random.default_rng(3)
    for _ in range(6):
        x = ag.Tensor(rng.standard_normal((10, 12)).astype(np.float32))
        y = rng.integers(0, 7, 10)
        assert eager(x, y).data.tobytes() == compiled(x, y).data.tobytes()
        for p, q in zip(m1.parameters(), m2.parameters()):
            assert p.data.tobytes() == q.data.tobytes()
    assert compiled.program().notes.picked == 1
    assert "1 log_softmax gradients of a one-hot" in compiled.summary()


def test_a_bad_target_still_raises_in_a_replay():
    """A target out of range: the label check's guard sends the call to eager, which
    raises its error; a negative one too."""
    compiled = _compare(F.cross_entropy, np.float64)
    rng = np.random.default_rng(1)
    x = ag.Tensor(rng.standard_normal((6, 5)))
    for bad in (5, -1):
        y = rng.integers(0, 5, 6)
        y[3] = bad
        with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
            compiled(x, y)


@pytest.mark.parametrize("rows, c, applies", [
    ("arange", -0.25, True), ("repeated", -0.25, False), ("arange", 0.25, False),
    ("arange", -0.0, False), ("arange", -np.inf, False), ("reversed", -0.25, False)])
def test_the_pattern_as_numpy_calls(rows, c, applies):
    """The VJP's calls written out: rewritten only for the row grid arange(n) (each row
    once: a repeated row sums two c's, another order is left alone too) and a finite
    c < 0 (-0.0 sums to +0.0; for c > 0 the product's zeros have the other sign)."""
    n, k = 6, 4
    def f(x, t):
        grid = {"arange": lambda: np.arange(n),       # (made by the call: a constant;
                "repeated": lambda: np.array([0, 0, 1, 2, 3, 4]),   # one found is read
                "reversed": lambda: np.arange(n)[::-1].copy()}[rows]()   # at each call)
        a = x.data
        shifted = a - np.max(a, axis=1, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        g = np.zeros((n, k))
        np.add.at(g, (grid, t), np.array(c))
        r = g - np.exp(logp) * np.add.reduce(g, axis=(1,), keepdims=True)
        return r * 1.0            # (r itself returned is held: its buffer is its own)

    compiled = ag.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = ag.Tensor(_logits(rng, n, k, np.float64, 300.0))
        t = rng.integers(0, k, n)
        with np.errstate(all="ignore"):
            assert compiled(x, t).tobytes() == f(x, t).tobytes()
    assert compiled.stats()["replays"] >= 2
    assert compiled.program().notes.picked == int(applies)
