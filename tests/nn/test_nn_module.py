"""The module system: registration (and PyTorch's errors), traversal, state_dict and
load_state_dict, train/eval, zero_grad, repr, containers, graph scopes."""
import collections
import copy

import numpy as np
import pytest

import autograd as ag
import nn
from nn_oracle import load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")


def make_pair():
    """The same model in glassgrad and in torch (nested containers, BN, shared nothing)."""
    def build(lib):
        class Net(lib.Module):
            def __init__(self):
                super().__init__()
                self.features = lib.Sequential(lib.Linear(4, 6), lib.BatchNorm1d(6),
                                               lib.ReLU(), lib.Dropout(0.5))
                self.heads = lib.ModuleList([lib.Linear(6, 3), lib.Linear(6, 2, bias=False)])
                self.extra = lib.ModuleDict({"act": lib.Tanh(), "ln": lib.LayerNorm(3)})

            def forward(self, x):
                h = self.features(x)
                return self.extra["ln"](self.extra["act"](self.heads[0](h))).sum(1) \
                    + self.heads[1](h).sum(1)
        return Net()
    return build(nn), build(tnn).double()


# ------------------------------------------------------------------ registration
def test_parameter_before_init_raises_like_torch():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.zeros(2))
            super().__init__()
    with pytest.raises(AttributeError, match="cannot assign parameters before "
                                             "Module.__init__\\(\\) call"):
        Bad()

    class BadModule(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="cannot assign module before"):
        BadModule()
    with pytest.raises(AttributeError, match="before Module.__init__"):
        nn.Module.register_buffer(object.__new__(nn.Module), "b", ag.zeros(1))


def test_assignment_registers_and_type_errors():
    m = nn.Module()
    m.w = nn.Parameter(ag.ones(3))
    m.child = nn.Linear(2, 2)
    m.register_buffer("buf", ag.zeros(2))
    m.plain = 5
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"]
    assert list(m._buffers) == ["buf"] and m.plain == 5
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = ag.ones(3)
    with pytest.raises(TypeError, match="as child module 'child'"):
        m.child = 3
    with pytest.raises(TypeError, match="as buffer 'buf'"):
        m.buf = 3
    m.w = None                           # allowed, like torch
    assert m.w is None and "w" in m._parameters
    m.buf = ag.ones(2)
    assert m._buffers["buf"].data.sum() == 2
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", ag.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", nn.Parameter(ag.zeros(1)))
    with pytest.raises(KeyError, match="empty string"):
        m.add_module("", nn.Identity())
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("q", ag.zeros(1))
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _nonleaf())
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    del m.child
    assert "child" not in m._modules


def _nonleaf():
    p = nn.Parameter(ag.ones(2))
    q = nn.Parameter.__new__(nn.Parameter)
    q._init((p * 2).data)
    q.grad_fn = (p * 2).grad_fn
    return q


def test_parameter_is_a_leaf_tensor_that_works_in_ops():
    p = nn.Parameter(ag.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, ag.Tensor)
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.data, [2.0, 4.0])
    assert not nn.Parameter(ag.ones(1), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.data is not p.data and q.requires_grad


# ------------------------------------------------------------------ traversal
def test_names_and_order_match_torch():
    m, tm = make_pair()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in m.named_children()] == [n for n, _ in tm.named_children()]
    assert len(list(m.modules())) == len(list(tm.modules()))
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    assert m.get_submodule("features.0") is m.features[0]
    assert m.get_parameter("heads.1.weight") is m.heads[1].weight


def test_shared_modules_and_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_state_dict_keys_shapes_and_copies_match_torch():
    m, tm = make_pair()
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert sd[k].shape == tuple(tsd[k].shape), k
        assert isinstance(sd[k], np.ndarray)
    sd["features.0.weight"][...] = 123.0      # a copy: the model is unaffected
    assert not np.any(m.features[0].weight.data == 123.0)
    kv = m.state_dict(keep_vars=True)
    assert kv["features.0.weight"] is m.features[0].weight


def test_non_persistent_buffers_are_not_saved():
    m = nn.Module()
    m.register_buffer("a", ag.zeros(1))
    m.register_buffer("b", ag.zeros(1), persistent=False)
    m.register_buffer("c", None)
    assert list(m.state_dict()) == ["a"]
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]


def test_load_from_torch_gives_same_outputs_and_grads(rng):
    m, tm = make_pair()
    load_from_torch(m, tm)
    m.eval(), tm.eval()
    run_both(torch, m, tm, [rng.standard_normal((5, 4))])


def test_load_state_dict_casts_accepts_tensors_and_keeps_identity():
    ag.set_default_dtype(np.float32)
    m = nn.Linear(3, 2)
    ag.set_default_dtype(np.float64)
    w = m.weight
    res = m.load_state_dict({"weight": ag.tensor(np.ones((2, 3))), "bias": np.zeros(2)})
    assert m.weight is w and w.dtype == np.float32 and np.all(w.data == 1)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"


def test_load_state_dict_strict_errors_list_keys_and_load_nothing():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    before = m.state_dict()
    bad = dict(before)
    del bad["1.running_var"]
    bad["1.extra"] = np.zeros(1)
    bad["0.weight"] = np.full((3, 2), 7.0)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(bad)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "1.running_var"' in msg
    assert 'Unexpected key(s) in state_dict: "1.extra"' in msg
    assert not np.any(m[0].weight.data == 7.0)          # nothing was written
    res = m.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["1.running_var"] and res.unexpected_keys == ["1.extra"]
    assert np.all(m[0].weight.data == 7.0)
    bad["0.weight"] = np.zeros((2, 2))
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight.*\\(2, 2\\).*\\(3, 2\\)"):
        m.load_state_dict(bad, strict=False)


def test_load_state_dict_missing_and_unexpected_like_torch():
    m, tm = make_pair()
    sd = {k: v.numpy() for k, v in tm.state_dict().items()}
    sd.pop("heads.0.bias")
    sd["junk"] = np.zeros(1)
    res = m.load_state_dict(sd, strict=False)
    tres = tm.load_state_dict({k: torch.tensor(v) for k, v in sd.items()}, strict=False)
    assert res.missing_keys == tres.missing_keys
    assert res.unexpected_keys == tres.unexpected_keys


# ---------------------------------------------------------------- modes & grads
def test_train_eval_propagate_and_return_self():
    m, _ = make_pair()
    assert m.eval() is m
    assert all(not mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.features.eval()
    assert m.training and not m.features[3].training
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(ag.ones((1, 3))).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and not np.any(m.weight.grad.data)
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_apply_visits_children_first():
    seen = []
    m = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_module_to_double_and_deepcopy():
    ag.set_default_dtype(np.float32)
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ag.set_default_dtype(np.float64)
    m.double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m[1].num_batches_tracked.dtype == np.int64
    c = copy.deepcopy(m)
    assert type(c[0].weight) is nn.Parameter and c[0].weight is not m[0].weight
    np.testing.assert_array_equal(c[0].weight.data, m[0].weight.data)


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape))
    m(ag.ones((3, 2)))
    h.remove()
    m(ag.ones((3, 2)))
    assert calls == [(3, 2)]
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    np.testing.assert_allclose(m(ag.ones((1, 2))).data[0], m.bias.data)


def test_missing_forward_and_missing_super_init():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# ------------------------------------------------------------------- repr
def test_repr_matches_torch():
    m, tm = make_pair()
    assert repr(m) == repr(tm)
    layers = [(nn.Linear(3, 4, bias=False), tnn.Linear(3, 4, bias=False)),
              (nn.BatchNorm2d(5, momentum=None), tnn.BatchNorm2d(5, momentum=None)),
              (nn.LayerNorm((2, 3)), tnn.LayerNorm((2, 3))),
              (nn.GroupNorm(2, 4), tnn.GroupNorm(2, 4)),
              (nn.Dropout2d(0.2), tnn.Dropout2d(0.2)),
              (nn.Flatten(), tnn.Flatten()), (nn.Identity(), tnn.Identity()),
              (nn.Softplus(), tnn.Softplus()), (nn.ELU(), tnn.ELU()),
              (nn.PReLU(3), tnn.PReLU(3)), (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
              (nn.MSELoss(reduction="sum"), tnn.MSELoss(reduction="sum"))]
    for ours, theirs in layers:
        assert repr(ours) == repr(theirs)


# ------------------------------------------------------------------ containers
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        s[3]
    del s[1]
    assert list(s._modules) == ["0", "1"] and s[1] is c
    s.append(nn.Tanh())
    s.insert(1, nn.Sigmoid())
    assert [type(x).__name__ for x in s] == ["Linear", "Sigmoid", "Linear", "Tanh"]
    named = nn.Sequential(collections.OrderedDict([("fc", a), ("act", b)]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert named.fc is a
    x = ag.ones((2, 1))
    np.testing.assert_allclose(named(x).data, b(a(x)).data)


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    ml += [nn.Tanh()]
    assert len(ml) == 5 and isinstance(ml[-1], nn.Tanh)
    assert len(list(ml.parameters())) == 6
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    assert isinstance(ml[1:3], nn.ModuleList)
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    assert [k for k, _ in md.items()] == ["a", "b"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    md.pop("a")
    assert list(md.keys()) == ["b"]


# ------------------------------------------------------------------ graph scopes
def test_calls_push_dotted_paths_and_name_parameters():
    m, _ = make_pair()
    scopes = {}

    def record(name):
        def hook(mod, args, out):
            scopes[name] = out.grad_fn.scope
        return hook
    for name, mod in m.named_modules():
        mod.register_forward_hook(record(name))
    m(ag.randn(5, 4))
    assert scopes["features.0"] == "features.0"
    assert scopes["heads.1"] == "heads.1"
    assert scopes["extra.ln"] == "extra.ln"
    assert scopes[""] is None                           # the model is the whole picture
    assert m.features[0].weight.name == "features.0.weight"
    assert ag.current_scope() is None                   # popped again


def test_standalone_layer_scope_is_its_class_name():
    y = nn.Linear(2, 2)(ag.ones((1, 2)))
    assert y.grad_fn.scope == "Linear"


def test_user_parameter_names_are_kept():
    m = nn.Linear(2, 2)
    m.weight.name = "W"
    m(ag.ones((1, 2)))
    assert m.weight.name == "W" and m.bias.name == "bias"


def test_parameter_list_and_dict_register_like_torch():
    pl = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3)])
    tpl = tnn.ParameterList([tnn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert [n for n, _ in pl.named_parameters()] == [n for n, _ in tpl.named_parameters()]
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter) and pl[-1].shape == (3,)
    pd = nn.ParameterDict({"a": ag.ones(1), "b": nn.Parameter(ag.ones(2))})
    assert list(pd.state_dict()) == ["a", "b"] and "a" in pd and len(pd) == 2


def test_to_accepts_torch_spellings():
    m = nn.Linear(2, 2)
    assert m.to("cpu") is m and m.cpu() is m
    m.to("cpu", np.float32)
    assert m.weight.dtype == np.float32
    m.to(dtype=np.float64)
    assert m.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        m.to("cuda")


def test_unregistered_module_called_inside_nests_by_class_name():
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return nn.Tanh()(self.fc(x))          # a throwaway module, not registered

    y = Outer()(ag.ones((1, 2)))
    assert y.grad_fn.scope == "Tanh"
    assert y.grad_fn.inputs[0].grad_fn.scope == "fc"


def test_reused_child_called_as_root_gets_a_fresh_scope():
    outer = nn.Sequential(nn.Linear(2, 2))
    outer(ag.ones((1, 2)))
    assert outer[0](ag.ones((1, 2))).grad_fn.scope == "Linear"
    assert outer(ag.ones((1, 2))).grad_fn.scope == "0"


def test_train_goes_through_children_train_overrides():
    calls = []

    class Frozen(nn.Linear):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)          # e.g. a frozen BN-like block

    m = nn.Sequential(Frozen(2, 2), nn.ReLU())
    m.train()
    assert calls == [True] and not m[0].training and m[1].training


def test_a_path_from_another_root_is_not_reused():
    shared = nn.Tanh()
    a = nn.Sequential(nn.Linear(2, 2), shared)
    a(ag.ones((1, 2)))                         # names shared "1" under a

    class B(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return shared(self.fc(x))          # shared is not registered under B

    assert B()(ag.ones((1, 2))).grad_fn.scope == "Tanh"


def test_reassigning_keeps_registration_order_like_torch():
    s, t = nn.Sequential(nn.ReLU(), nn.Tanh()), tnn.Sequential(tnn.ReLU(), tnn.Tanh())
    s[0], t[0] = nn.Sigmoid(), tnn.Sigmoid()
    assert repr(s) == repr(t)
    s.insert(-1, nn.ELU())
    t.insert(-1, tnn.ELU())
    assert repr(s) == repr(t)
    m = nn.Linear(2, 2)
    m.weight = nn.Parameter(ag.zeros((2, 2)))
    assert list(m.state_dict()) == ["weight", "bias"]


# ------------------------------------------- the tree is named once, again after changes
def _scopes(model, x):
    """The scope of every graph node made by one call of ``model``."""
    out = model(x)
    found, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        found.add(node.scope)
        stack.extend(t.grad_fn for t in node.inputs
                     if isinstance(t, ag.Tensor) and t.grad_fn is not None)
    return found


def test_tree_is_named_once_while_unchanged(monkeypatch):
    m = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    calls = []
    original = nn.Module._name_tree
    monkeypatch.setattr(nn.Module, "_name_tree", lambda self: calls.append(self) or
                        original(self))
    x = ag.ones((1, 2), requires_grad=True)
    for _ in range(3):
        assert _scopes(m, x) == {"0", "1"}
    assert calls == [m]
    m[0](x)                                     # another root: named for that call
    m(x)                                        # and the model again
    assert calls == [m, m[0], m]


@pytest.mark.parametrize("change, scopes, param", [
    (lambda m: setattr(m, "1", nn.Sigmoid()), {"0", "1"}, None),
    (lambda m: m.append(nn.Linear(2, 3)), {"0", "1", "2"}, "2.weight"),
    (lambda m: m.insert(0, nn.Linear(2, 2)), {"0", "1", "2"}, "0.weight"),
    (lambda m: m.__delitem__(0), {"0"}, None),
    (lambda m: m.add_module("extra", nn.Linear(2, 2)), {"0", "1", "extra"}, "extra.weight"),
    (lambda m: m[0].__setattr__("weight", nn.Parameter(ag.ones((2, 2)))), {"0", "1"},
     "0.weight"),
    (lambda m: m._modules.update({"1": nn.Sigmoid()}), {"0", "1"}, None),
    (lambda m: m._modules.setdefault("2", nn.ReLU()), {"0", "1", "2"}, None),
    (lambda m: setattr(m, "_modules", collections.OrderedDict(b=m[0], a=m[1])), {"a", "b"},
     "b.weight"),
])
def test_changes_to_the_tree_rename_it(change, scopes, param):
    m = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    x = ag.ones((1, 2), requires_grad=True)
    m(x)
    change(m)
    assert _scopes(m, x) == scopes
    if param is not None:
        assert dict(m.named_parameters())[param].name == param


def test_a_change_deep_in_the_tree_renames_it():
    inner = nn.Sequential(nn.Linear(2, 2))
    m = nn.Sequential(nn.Sequential(inner), nn.Tanh())
    x = ag.ones((1, 2), requires_grad=True)
    assert _scopes(m, x) == {"0.0.0", "1"}
    inner.add_module("act", nn.ReLU())          # a grandchild of m changes
    assert _scopes(m, x) == {"0.0.0", "0.0.act", "1"}
    del inner.act
    assert _scopes(m, x) == {"0.0.0", "1"}
    moved = nn.Linear(2, 2)
    m[0][0][0] = moved                          # replaced three levels down
    m(x)
    assert moved.weight.name == "0.0.0.weight"
