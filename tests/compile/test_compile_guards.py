"""ag.compile never replays a stale program: what changes is re-traced (and cached),
what cannot be captured runs eagerly with a warning naming the line (or raises with
strict=True), a decision that goes the other way falls back to eager for that call."""
import operator
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from compile_kit import train_step


def setup(dt=np.float64, hidden=8, momentum=0.5):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, hidden, dtype=dt), nn.ReLU(), nn.Dropout(0.25),
                          nn.Linear(hidden, 3, dtype=dt))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    return model, opt, train_step(model, opt)


def data(n, seed=0, dt=np.float64):
    rng = np.random.default_rng(seed)
    return ag.Tensor(rng.standard_normal((n, 4)).astype(dt)), rng.integers(0, 3, n)


def twins(**kw):
    """(model, opt, eager step) and (model, opt, compiled step), identical."""
    a, b = setup(**kw), setup(**kw)
    return a, (b[0], b[1], ag.compile(b[2]))


def run_both(pair, *args):
    (m1, _, eager), (m2, _, compiled) = pair
    state = ag.get_rng().bit_generator.state
    a = eager(*args)
    ag.get_rng().bit_generator.state = state
    b = compiled(*args)
    assert a.data.tobytes() == b.data.tobytes()
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    return compiled


def test_a_last_smaller_batch_gets_its_own_program_and_both_stay_cached():
    pair = twins(momentum=0)
    for i in range(4):
        run_both(pair, *data(8, i))
    compiled = pair[1][2]
    before = compiled.stats()
    for i in range(3):
        run_both(pair, *data(5, 10 + i))             # the epoch's last, smaller batch
    run_both(pair, *data(8, 20))                     # full batches replay again at once
    stats = compiled.stats()
    assert stats["programs"] == 2 and stats["eager"] == 0
    assert stats["replays"] == before["replays"] + 2
    assert stats["traces"] == before["traces"] + 2


def test_dtype_and_grad_mode_select_other_programs():
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)

    @ag.compile
    def f(x):
        return (w * x).sum()
    for dt in (np.float64, np.float32, np.float64):
        for _ in range(3):
            assert f(ag.tensor(np.ones(3, dt))).item() == 6.0
    with ag.no_grad():
        for _ in range(3):
            assert f(ag.tensor(np.ones(3))).item() == 6.0
    assert f.stats()["programs"] == 3


def test_a_number_argument_of_the_other_sign_of_zero_gets_its_own_program():
    """A plain argument is a constant in the program; 0.0 == -0.0 would select the
    program traced with 0.0 for a call with -0.0 (1 / s: inf instead of -inf)."""
    w = ag.tensor(np.ones(3), requires_grad=True)

    def f(x, s):
        return (w * x / s).sum()
    compiled = ag.compile(f)
    x = ag.tensor(np.ones(3))
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in (0.0, 0.0, 0.0, -0.0, -0.0, -0.0, -0.0):
            got, want = compiled(x, s), f(x, s)
            assert np.asarray(got.data).tobytes() == np.asarray(want.data).tobytes()
    assert compiled.stats()["programs"] == 2 and compiled.counts["replays"] == 3


def test_train_and_eval_each_get_a_program():
    pair = twins(momentum=0)
    for i in range(3):
        run_both(pair, *data(8, i))
    for model in (pair[0][0], pair[1][0]):
        model.eval()
    for i in range(3):
        run_both(pair, *data(8, 5 + i))
    for model in (pair[0][0], pair[1][0]):
        model.train()
    run_both(pair, *data(8, 9))
    assert pair[1][2].stats()["programs"] == 2


def test_freezing_a_layer_and_replacing_a_parameter_are_seen():
    pair = twins()
    for i in range(3):
        run_both(pair, *data(8, i))
    for model in (pair[0][0], pair[1][0]):
        model[0].weight.requires_grad_(False)          # frozen: another program
    for i in range(3):
        run_both(pair, *data(8, 3 + i))
    for (model, opt, _) in pair:
        new = nn.Parameter(ag.zeros((3, 8), dtype=np.float64))
        model[3].weight = new
        opt.param_groups[0]["params"][2] = new
    traces = pair[1][2].stats()["traces"]
    for i in range(3):
        run_both(pair, *data(8, 6 + i))
    assert pair[1][2].stats()["traces"] > traces        # traced again, not stale


def assign_from_outside(pair, new):
    """Train, assign a new weight array and lr, train, write the weight in place, train:
    every call must equal the eager twin's."""
    for i in range(3):
        run_both(pair, *data(8, i))
    for model, opt, _ in pair:
        model[0].weight.data = new.copy()              # a new array object: re-traced
        opt.param_groups[0]["lr"] = 0.02               # the next replay reads it
    for i in range(4):
        run_both(pair, *data(8, 3 + i))
    for model, opt, _ in pair:
        model[0].weight.data[...] = 0.5                # in place: seen as it is
    for i in range(2):
        run_both(pair, *data(8, 9 + i))


def test_assigning_data_or_lr_from_outside_is_never_stale():
    assign_from_outside(twins(), np.random.default_rng(5).standard_normal((8, 4)))


def _warned(fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    return out, [w for w in caught if issubclass(w.category, ag.CompileWarning)]


def test_item_in_the_step_runs_eagerly_with_a_warning_naming_the_line():
    model, opt, step = setup()
    log = []

    def fn(x, y):
        loss = step(x, y)
        log.append(loss.item())              # a number read from the data
        return loss
    compiled = ag.compile(fn)
    _, caught = _warned(compiled, *data(8))
    assert caught and "item()" in str(caught[0].message)
    assert "log.append(loss.item())" in str(caught[0].message)
    assert "test_compile_guards.py" in str(caught[0].message)
    for i in range(3):
        compiled(*data(8, i))
    assert len(log) == 4 and compiled.stats()["eager"] == 3
    with pytest.raises(ag.CompileError, match="item"):
        ag.compile(fn, strict=True)(*data(8))


def test_data_dependent_control_flow_is_detected():
    w = ag.tensor([1.0, -1.0], requires_grad=True)

    def fn(x):
        y = (w * x).sum()
        if y > 0:                            # a branch on a traced value
            return y * 2
        return y

    compiled = ag.compile(fn)
    _, caught = _warned(compiled, ag.tensor([2.0, 1.0]))
    assert caught and "if y > 0" in str(caught[0].message)
    assert compiled(ag.tensor([1.0, 2.0])).item() == -1.0       # eager: the other way


def test_hooks_and_python_state_changes_are_not_replayed():
    model, opt, step = setup()
    seen = []
    handle = model[0].register_forward_hook(lambda m, a, out: seen.append(out.shape))
    _, caught = _warned(ag.compile(step), *data(8))
    assert caught and "hook" in str(caught[0].message)
    handle.remove()
    handle = model[0].weight.register_post_accumulate_grad_hook(
        lambda p: seen.append("post"))
    seen.clear()
    compiled = ag.compile(step)
    _, caught = _warned(compiled, *data(8))
    assert caught and "gradient hooks" in str(caught[0].message)
    compiled(*data(8, 1))
    assert seen == ["post", "post"]                 # run eagerly: the hook ran each time
    handle.remove()

    def hooked_step(x, y):
        opt.zero_grad()
        logits = model(x)
        logits.register_hook(lambda g: seen.append("inner"))
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss
    seen.clear()
    _, caught = _warned(ag.compile(hooked_step), *data(8))
    assert caught and "register_hook inside a compiled function" in str(caught[0].message)
    assert seen == ["inner"]

    class Trainer:
        def __init__(self):
            self.steps = 0

        def step(self, x, y):
            self.steps += 1
            return step(x, y)
    trainer = Trainer()
    compiled = ag.compile(trainer.step)
    _, caught = _warned(compiled, *data(8))
    assert caught and "Trainer.steps" in str(caught[0].message)
    for i in range(3):
        compiled(*data(8, i))
    assert trainer.steps == 4


def branch_the_other_way(pair):
    """Train, then one batch whose logits are not finite (log_softmax's fast path is
    not taken), then train again; every call equal to the eager twin's. The compiled
    step."""
    for i in range(5):
        run_both(pair, *data(8, i))
    compiled = pair[1][2]
    replays = compiled.stats()["replays"]
    assert replays >= 2
    x, y = data(8, 7)
    x.data[0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run_both(pair, x, y)
    assert compiled.stats()["guard_failures"] == 1
    assert compiled.stats()["replays"] == replays
    for i in range(5):
        run_both(pair, *data(8, 8 + i))
    assert compiled.stats()["replays"] > replays
    return compiled


def test_a_branch_going_the_other_way_falls_back_for_that_call():
    """log_softmax takes a fast path when the logits are finite: a replay whose logits
    are not runs that call eagerly, restoring what the program had written."""
    branch_the_other_way(twins())


def test_inputs_that_require_grad_are_refused_with_a_clear_message():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    compiled = ag.compile(lambda x: (w * x).sum())
    _, caught = _warned(compiled, ag.tensor([1.0, 1.0], requires_grad=True))
    assert caught and "requires grad" in str(caught[0].message)


def test_decorator_forms_and_methods():
    class Model:
        def __init__(self):
            self.w = ag.tensor([2.0], requires_grad=True)

        @ag.compile
        def f(self, x):
            return self.w * x

    a, b = Model(), Model()
    b.w = ag.tensor([3.0])
    for _ in range(3):
        assert a.f(ag.tensor([1.0])).item() == 2.0
        assert b.f(ag.tensor([1.0])).item() == 3.0

    @ag.compile(strict=True)
    def g(x):
        return x * 2
    assert g(ag.tensor([1.0])).item() == 2.0


def test_errors_pass_through_and_nested_compiled_functions_join_the_outer_program():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def fn(x):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return (w * x).sum()
    compiled = ag.compile(fn)
    with pytest.raises(ValueError, match="first call fails"):
        compiled(ag.tensor([1.0, 1.0]))
    assert w.data.tolist() == [1.0, 2.0]
    inner = ag.compile(lambda x: x * 3)
    outer = ag.compile(lambda x: inner(x) + compiled(x))
    for _ in range(3):
        assert outer(ag.tensor([1.0, 1.0])).data.tolist() == [6.0, 6.0]
    assert outer.stats()["replays"] == 1 and inner.stats()["traces"] == 0
    with ag.detect_anomaly():
        assert outer(ag.tensor([1.0, 1.0])).data.tolist() == [6.0, 6.0]
    assert outer.stats()["eager"] == 1


def test_a_decision_on_copies_of_one_number_is_checked_once_before_any_write():
    """Plain SGD checks ``-lr != 1`` for every parameter, each on its own ``-lr``: the
    copies are one value, so the check is made once; as it reads only numbers read
    anew (``lr``), it runs first (the head), and a replay needs no backup of the
    parameters to roll a failure back."""
    pair = twins(momentum=0)
    for i in range(4):
        compiled = run_both(pair, *data(8, i))
    prog = compiled.program()
    from autograd.compile.program import _guard
    head = [step for step, _op in prog.head]
    checks = [s for s in head if s[0] is _guard and s[1][1] is operator.ne]
    assert len(checks) == 3 and prog.backups == []   # momentum, weight decay, -lr
    assert not any(s[0] is _guard and s[1][1] is operator.ne for s in prog.steps)
    pair[0][1].param_groups[0]["lr"] = pair[1][1].param_groups[0]["lr"] = 0.05
    run_both(pair, *data(8, 7))                      # a new lr is read, not a stale one


def test_the_head_runs_again_when_a_number_read_is_another_object():
    """The head is skipped while every number read is the object it last ran on; a new
    object (even an equal one) runs it, and a decision there that goes the other way
    falls back to eager for that call, bit for bit."""
    pair = twins(momentum=0)
    for i in range(4):
        compiled = run_both(pair, *data(8, i))
    prog = compiled.program()
    read = prog._head_read
    run_both(pair, *data(8, 4))
    assert prog._head_read is read                  # same objects: the head was skipped
    for opt in (pair[0][1], pair[1][1]):
        opt.param_groups[0]["lr"] = float("0.1")    # equal, another object
    run_both(pair, *data(8, 5))
    assert prog._head_read is not read
    failures = compiled.stats()["guard_failures"]
    for opt in (pair[0][1], pair[1][1]):
        opt.param_groups[0]["momentum"] = 0.5      # momentum != 0 goes the other way
    run_both(pair, *data(8, 6))
    assert compiled.stats()["guard_failures"] == failures + 1


def test_an_error_in_the_head_is_raised_where_the_function_raises_it():
    """Head steps run ahead of the calls they followed; one that raises (a division by
    1 - dampening, after the update) makes the call run eagerly: the update is made and
    the error raised after it, as the function does."""
    def make(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss * (1.0 / (1 - opt.param_groups[0]["dampening"]))
        return step

    (m1, o1, _), (m2, o2, _) = twins(momentum=0.5)
    m1.eval(), m2.eval()                            # (no dropout: no masks to align)
    eager, compiled = make(m1, o1), ag.compile(make(m2, o2))
    for i in range(5):      # (the first call makes the momentum buffers: 3 traces)
        assert eager(*data(8, i)).item() == compiled(*data(8, i)).item()
    assert compiled.stats()["replays"] == 2 and compiled.program().head
    for opt, step in ((o1, eager), (o2, compiled)):
        opt.param_groups[0]["dampening"] = 1.0
        with pytest.raises(ZeroDivisionError):
            step(*data(8, 5))
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert p.data.tobytes() == q.data.tobytes()    # both updated before raising


def test_hooks_added_after_the_program_exists_stop_its_replays():
    """The replay guard looks only at the hook tables found when tracing and at
    parameters only while some tensor has a hook: a table added later, a module hook
    and a gradient hook registered later are each seen at the next call (which then
    runs eagerly, as a traced call with hooks does)."""
    seen = []

    def compiled_twice_replayed():
        model, opt, step = setup(momentum=0)
        compiled = ag.compile(step)
        for i in range(4):
            compiled(*data(8, i))
        assert compiled.stats()["replays"] == 2
        return model, compiled

    def replays_then(compiled):
        before = compiled.stats()["replays"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled(*data(8, 5))
        return compiled.stats()["replays"] - before

    model, compiled = compiled_twice_replayed()
    object.__setattr__(model[3], "_custom_hooks", {0: print})   # a table set directly
    assert any("_custom_hooks" in h for h in compiled.world.hooks())
    assert replays_then(compiled) == 0
    model, compiled = compiled_twice_replayed()
    model[0].register_forward_hook(lambda m, a, out: seen.append("forward"))
    assert replays_then(compiled) == 0 and seen == ["forward"]
    model, compiled = compiled_twice_replayed()
    model[3].bias.register_post_accumulate_grad_hook(lambda p: seen.append("post"))
    assert replays_then(compiled) == 0 and seen[-1] == "post"
