"""Updates are tensor ops under no_grad: state buffers are Tensors, parameters are
written in place, and state_dict() exports only plain data (what nn.save can store)."""
import numpy as np
import pytest

import autograd as ag
import optim
from optim_testkit import closure_for, ours_loss, ours_params, rosenbrock

FIRST_ORDER = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "SGD-nesterov-max": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True,
                                             maximize=True),
    "Adam-amsgrad": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.05),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
}
PLAIN = (dict, list, tuple, np.ndarray, int, float, bool, str, type(None))


def _plain_types(value, path="state_dict"):
    """The set of type names in ``value``; fails on anything that is not plain data."""
    assert isinstance(value, PLAIN), f"{path} is a {type(value).__name__}"
    assert not isinstance(value, np.generic), f"{path} is a NumPy scalar"
    found = {type(value).__name__}
    if isinstance(value, np.ndarray):
        assert value.dtype.kind in "fiub", f"{path} has dtype {value.dtype}"
    elif isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (int, str)), f"{path} has a {type(k).__name__} key"
            found |= _plain_types(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found |= _plain_types(v, f"{path}[{i}]")
    return found


def _float32_params():
    return [ag.Tensor(p.data.astype(np.float32), requires_grad=True) for p in ours_params()]


def _train(opt, params, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        ours_loss(params).backward()
        opt.step()


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_state_is_tensors_and_parameters_are_written_in_place(name):
    params = _float32_params()
    arrays = [p.data for p in params]
    opt = FIRST_ORDER[name](params)
    _train(opt, params, 1)
    versions = [p._version for p in params]
    _train(opt, params, 2)
    for p, arr, v in zip(params, arrays, versions):
        assert p.data is arr and p.dtype == np.float32 and p.is_leaf
        assert p._version == v + 2
        for key, value in opt.state[p].items():
            if key == "step":
                assert type(value) is int
                continue
            assert isinstance(value, ag.Tensor), (key, type(value))
            assert value.dtype == np.float32 and value.shape == p.shape
            assert value.grad_fn is None and not value.requires_grad


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_state_dict_is_plain_data_and_loads_back_as_tensors(name):
    params = _float32_params()
    opt = FIRST_ORDER[name](params)
    _train(opt, params)
    sd = opt.state_dict()
    types = _plain_types(sd)
    assert "ndarray" in types and "Tensor" not in types
    fresh = _float32_params()
    opt2 = FIRST_ORDER[name](fresh)
    opt2.load_state_dict(sd)
    for p in fresh:
        for key, value in opt2.state[p].items():
            assert isinstance(value, int if key == "step" else ag.Tensor), key


def test_adam_state_dict_types_are_exactly_these():
    """The value types nn.save must accept for a first-order optimizer (betas: tuple;
    None: PyTorch's foreach/fused switches)."""
    params = _float32_params()
    opt = optim.Adam(params, lr=0.01)
    _train(opt, params)
    assert _plain_types(opt.state_dict()) == {"dict", "list", "tuple", "ndarray", "int",
                                              "float", "bool", "NoneType"}


def test_momentum_buffer_does_not_alias_the_gradient():
    """The first-step buffer is a copy: zeroing .grad in place must not change it."""
    w = ag.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"].data, [2.0, -4.0])


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_gradients_with_a_graph_leave_no_graph_in_state(name):
    params = ours_params()
    opt = FIRST_ORDER[name](params)
    for _ in range(2):
        opt.zero_grad()
        ours_loss(params).backward(create_graph=True)
        assert params[0].grad.grad_fn is not None
        opt.step()
    for p in params:
        assert p.is_leaf and p.requires_grad
        for value in opt.state[p].values():
            assert not isinstance(value, ag.Tensor) or value.grad_fn is None


def test_lbfgs_state_is_tensors_and_its_state_dict_plain_data():
    xy = ag.Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    data = xy.data
    opt = optim.LBFGS([xy], max_iter=5, line_search_fn="strong_wolfe")
    opt.step(closure_for(opt, rosenbrock, xy))
    assert xy.data is data
    state = opt.state[xy]
    assert isinstance(state["d"], ag.Tensor)
    assert isinstance(state["prev_flat_grad"], ag.Tensor)
    assert state["old_dirs"] and all(isinstance(v, ag.Tensor) for v in state["old_dirs"])
    assert all(type(r) is float for r in state["ro"])
    assert type(state["t"]) is float and type(state["H_diag"]) is float
    types = _plain_types(opt.state_dict())
    assert {"ndarray", "list", "float", "int", "str"} <= types      # str: line_search_fn
    assert types <= {"dict", "list", "ndarray", "int", "float", "bool", "str", "NoneType"}


X = np.linspace(0, 1, 8)
Y = 2.0 * np.exp(-1.5 * X)


@pytest.mark.parametrize("cls", [optim.Newton, optim.GaussNewton,
                                 optim.LevenbergMarquardt])
def test_second_order_writes_in_place_and_state_dict_is_plain(cls):
    a = ag.Tensor(np.array([1.0]), requires_grad=True)
    b = ag.Tensor(np.array(-1.0), requires_grad=True)
    arrays = (a.data, b.data)
    opt = cls([a, b])

    def closure():
        res = a * ag.exp(b * ag.Tensor(X)) - ag.Tensor(Y)
        return (res * res).sum() if cls is optim.Newton else res

    before = (a.data.copy(), b.data.copy())
    for _ in range(2):
        opt.step(closure)
    assert a.data is arrays[0] and b.data is arrays[1] and b.shape == ()
    assert not np.array_equal(a.data, before[0]) or not np.array_equal(b.data, before[1])
    assert a._version >= 2 and a.is_leaf
    types = _plain_types(opt.state_dict())
    assert types <= {"dict", "list", "int", "float", "bool", "str", "NoneType"}
