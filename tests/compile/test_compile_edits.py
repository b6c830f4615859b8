"""A replay skips reading the modules' and optimizers' tables while
``autograd.edits.COUNT`` stands still and every attribute of theirs is the same object
(``guards.Guards._tables_hold``); each edit a user can make to a module, an optimizer or an
object the step reads must still be seen at the next call. Each case first checks that
the skipping is in use (so that the edit is what has to be noticed), edits the compiled
twin only, calls it, then makes the same edit to the eager twin: the compiled call must
have traced again (or run eagerly) and must equal the eager one bit for bit."""
import collections
import copy
import pickle
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd import edits
from autograd.compile.world import World
from compile_kit import train_step


class Shifted(nn.Module):
    """x @ W + b (when it has a ``bias``) + its buffer ``shift``."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(1)
        self.weight = nn.Parameter(ag.Tensor(rng.standard_normal((4, 6))))
        self.bias = nn.Parameter(ag.Tensor(rng.standard_normal(6)))
        self.register_buffer("shift", ag.Tensor(rng.standard_normal(6)))

    def forward(self, x):
        out = x @ self.weight + self.shift
        bias = getattr(self, "bias", None)
        return out if bias is None else out + bias


class Holder:
    """A plain object whose Tensor the step reads."""

    def __init__(self):
        self.scale = ag.Tensor(np.full(3, 0.5))


def build():
    ag.manual_seed(0)
    model = nn.Sequential(Shifted(), nn.ReLU(), nn.Linear(6, 3, dtype=np.float64))
    opt = optim.SGD(list(model[0].parameters()), lr=0.1, momentum=0.5)
    holder = Holder()

    def loss_fn(logits, y):
        return nn.functional.cross_entropy(logits * holder.scale, y)
    return model, opt, holder, train_step(model, opt, loss_fn)


def data(i):
    rng = np.random.default_rng(10 + i)
    return ag.Tensor(rng.standard_normal((5, 4))), rng.integers(0, 3, 5)


def new_parameter(shape, seed=7):
    return nn.Parameter(ag.Tensor(np.random.default_rng(seed).standard_normal(shape)))


def skipping(compiled, monkeypatch):
    """Two more replays: the second must not read the tables."""
    calls = []
    real = World.tables
    monkeypatch.setattr(World, "tables",
                        lambda self: calls.append(1) or real(self))
    replays = compiled.counts["replays"]
    compiled(*data(20))
    calls.clear()
    compiled(*data(21))
    assert compiled.counts["replays"] == replays + 2
    assert calls == []                          # the skipping is in use
    monkeypatch.undo()


def check_edit(edit, monkeypatch, retraced=True):
    eager_side, compiled_side = build(), build()
    compiled = ag.compile(compiled_side[3])
    for i in range(4):
        eager_side[3](*data(i))
        compiled(*data(i))
    for i in (20, 21):
        eager_side[3](*data(i))
    skipping(compiled, monkeypatch)
    before = dict(compiled.counts)
    edit(*compiled_side[:3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ag.CompileWarning)
        got = [compiled(*data(30 + i)) for i in range(3)]
    edit(*eager_side[:3])
    want = [eager_side[3](*data(30 + i)) for i in range(3)]
    for a, b in zip(got, want):
        assert a.data.tobytes() == b.data.tobytes()
    for p, q in zip(compiled_side[0].parameters(), eager_side[0].parameters()):
        assert p.data.tobytes() == q.data.tobytes()
    seen = compiled.counts["traces"] + compiled.counts["eager"] - before["traces"] - \
        before["eager"]
    assert (seen > 0) == retraced
    return compiled


def set_parameter_in_table(model, opt, holder):
    model[0]._parameters["weight"] = new_parameter((4, 6))


def assign_parameter(model, opt, holder):
    model[2].weight = new_parameter((3, 6))


def delete_bias(model, opt, holder):
    del model[0].bias


def bias_to_none(model, opt, holder):
    model[2].bias = None


def evaluate(model, opt, holder):
    model.eval()


def register_buffer(model, opt, holder):
    model[0].register_buffer("shift", ag.Tensor(np.ones(6)))


def set_buffer_in_table(model, opt, holder):
    model[0]._buffers["shift"] = ag.Tensor(np.ones(6))


def assign_buffer(model, opt, holder):
    model[0].shift = ag.Tensor(np.ones(6))


def replace_child(model, opt, holder):
    model[1] = nn.Tanh()


def set_child_in_table(model, opt, holder):
    model._modules["1"] = nn.Tanh()


def replace_table_around_setattr(model, opt, holder):
    object.__setattr__(model[2], "_parameters", {"weight": new_parameter((3, 6)),
                                                 "bias": model[2].bias})


def append_to_group(model, opt, holder):
    opt.param_groups[0]["params"].append(model[2].weight)


def add_param_group(model, opt, holder):
    opt.add_param_group({"params": [model[2].bias], "lr": 0.5})


def load_state_dict(model, opt, holder):
    other = optim.SGD(list(model[0].parameters()), lr=0.1, momentum=0.5)
    state = other.state_dict()
    state["state"] = {0: {"momentum_buffer": np.full((4, 6), 0.25)}}
    opt.load_state_dict(state)


def set_nesterov(model, opt, holder):
    opt.param_groups[0]["nesterov"] = True


def replace_groups(model, opt, holder):
    group = opt.param_groups[0]
    opt.param_groups = [{**group, "params": group["params"] + [model[2].weight]}]


def reset_state(model, opt, holder):
    opt.state = collections.defaultdict(dict)


def set_momentum_buffer(model, opt, holder):
    opt.state[model[0].weight]["momentum_buffer"] = ag.Tensor(np.full((4, 6), -0.5))


def replace_object_tensor(model, opt, holder):
    holder.scale = ag.Tensor(np.full(3, 2.0))


def forward_hook(model, opt, holder):
    model[2].register_forward_hook(lambda m, a, out: out * 2)


def hook_in_table(model, opt, holder):
    model[2]._forward_hooks[10 ** 6] = lambda m, a, out: out * 2


@pytest.mark.parametrize("edit", [
    set_parameter_in_table, assign_parameter, delete_bias, bias_to_none, evaluate,
    register_buffer, set_buffer_in_table, assign_buffer, replace_child, set_child_in_table,
    replace_table_around_setattr, append_to_group, add_param_group, load_state_dict,
    set_nesterov, replace_groups, reset_state, set_momentum_buffer, replace_object_tensor,
    forward_hook, hook_in_table])
def test_each_edit_is_seen_at_the_next_call(edit, monkeypatch):
    check_edit(edit, monkeypatch)


def test_a_new_lr_is_read_by_the_replay_itself(monkeypatch):
    def new_lr(model, opt, holder):
        opt.param_groups[0]["lr"] = 0.03
    check_edit(new_lr, monkeypatch, retraced=False)


def test_a_step_counter_written_back_keeps_the_check_skipped(monkeypatch):
    """Adam's ``state["step"]`` is written at every replay: a number, which the guards
    do not compare, so it is not counted as an edit."""
    model = build()[0]
    opt = optim.Adam(model.parameters(), lr=0.01)
    compiled = ag.compile(train_step(model, opt))
    for i in range(4):
        compiled(*data(i))
    skipping(compiled, monkeypatch)
    assert opt.state[model[0].weight]["step"] == 6


def test_an_edit_elsewhere_costs_a_full_check_not_a_trace():
    model, opt, _, step = build()
    compiled = ag.compile(step)
    for i in range(4):
        compiled(*data(i))
    traces = compiled.counts["traces"]
    nn.Linear(2, 2).register_buffer("unrelated", ag.Tensor(np.zeros(1)))
    count = edits.COUNT[0]
    compiled(*data(5))
    assert compiled.counts["traces"] == traces and edits.COUNT[0] == count


def test_counted_tables_are_dicts_that_copy_pickle_and_save_as_before():
    model = build()[0]
    model[0].register_forward_hook(print)
    for m in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        for a, b in zip(model.modules(), m.modules()):
            for name in ("_parameters", "_buffers", "_modules", "_forward_hooks"):
                table, copied = getattr(a, name), getattr(b, name)
                assert isinstance(copied, dict) and type(copied) is type(table)
                assert edits.counts_edits(copied) and list(copied) == list(table)
        assert list(m.state_dict()) == list(model.state_dict())
    assert all(type(v) is not edits.CountedDict for v in model.state_dict().values())
    count = edits.COUNT[0]
    model[0]._buffers.update(extra=ag.Tensor(np.zeros(1)))
    model[0]._forward_hooks.move_to_end(next(iter(model[0]._forward_hooks)))
    assert edits.COUNT[0] == count + 2


def test_an_optimizers_counted_tables_copy_pickle_and_export_plain_data():
    model, opt, _, step = build()
    step(*data(0))                                  # a momentum buffer in the state
    for o in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert type(o.param_groups) is edits.CountedList
        assert type(o.state) is edits.CountedDefaultDict
        assert all(type(g) is edits.CountedDict and type(g["params"]) is edits.CountedList
                   for g in o.param_groups)
        assert [type(s) for s in o.state.values()] == [edits.CountedDict] * 2
        assert isinstance(o.state, collections.defaultdict)
    saved = opt.state_dict()
    assert type(saved["param_groups"][0]) is dict
    assert type(saved["param_groups"][0]["params"]) is list
    assert all(type(s) is dict for s in saved["state"].values())
    other = optim.SGD(list(model[0].parameters()), lr=0.1, momentum=0.5)
    other.load_state_dict(saved)
    assert type(other.param_groups[0]) is edits.CountedDict
    assert type(other.state[model[0].weight]) is edits.CountedDict


def test_counted_tables_print_as_the_tables_they_stand_for():
    model, opt, _, step = build()
    step(*data(0))
    model[0].register_forward_hook(print)
    plain_state = collections.defaultdict(dict, opt.state)
    assert repr(opt.state) == repr(plain_state)
    assert repr(opt.state).startswith("defaultdict(<class 'dict'>, {")
    hooks = model[0]._forward_hooks
    assert repr(hooks) == repr(collections.OrderedDict(hooks))
    assert repr(hooks).startswith("OrderedDict(")
