"""Issue 21's optimizers against PyTorch (float64): Adamax, NAdam, RAdam, Adadelta, ASGD,
Rprop and the first five, over 60 steps; frozen parameters; PyTorch's implementation
switches; state dicts both ways (glassgrad -> torch and torch -> glassgrad)."""
import copy

import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim_testkit import (assert_same_trajectory, groups, ours_loss, ours_params,
                           run_ours, run_torch, torch_loss, torch_params, values)

STEPS = 60
TWO_GROUPS = [([0, 1], {}), ([2, 3], {"lr": 0.02})]


@pytest.fixture(autouse=True)
def torch_float64():
    """PyTorch keeps scalar state (step, ASGD's eta) in its default dtype: float64 here, so
    the two sides round the same way."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


CONFIGS = [
    ("Adamax", dict(lr=0.05), None),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, eps=1e-4), None),
    ("Adamax", dict(lr=0.05, maximize=True, foreach=True), TWO_GROUPS),
    ("NAdam", dict(lr=0.05), None),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01), None),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), None),
    ("NAdam", dict(lr=0.03, maximize=True, capturable=False), TWO_GROUPS),
    ("RAdam", dict(lr=0.05), None),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1), None),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1,
                   decoupled_weight_decay=True), None),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.9), maximize=True), TWO_GROUPS),
    ("Adadelta", dict(), None),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), None),
    ("Adadelta", dict(lr=2.0, maximize=True, foreach=False), TWO_GROUPS),
    ("ASGD", dict(lr=0.05), None),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.1), None),
    ("ASGD", dict(lr=0.02, t0=5, maximize=True), TWO_GROUPS),
    ("Rprop", dict(lr=0.01), None),
    ("Rprop", dict(lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-4, 0.1)), None),
    ("Rprop", dict(lr=0.01, maximize=True), TWO_GROUPS),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, foreach=True, fused=None), None),
    ("Adam", dict(lr=0.05, amsgrad=True, decoupled_weight_decay=True, weight_decay=0.1),
     None),
    ("Adam", dict(lr=0.05, fused=False, capturable=False), TWO_GROUPS),
    ("AdamW", dict(lr=0.05, maximize=True, foreach=False), None),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, capturable=False), TWO_GROUPS),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, foreach=True, fused=None), None),
]
NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
         "Adadelta", "ASGD", "Rprop"]


def _id(cfg):
    name, kw, spec = cfg
    return name + "(" + ",".join(f"{k}={v}" for k, v in kw.items()) + ")" + (
        "-groups" if spec else "")


def _pair(name, kw, spec=None, start=None):
    ours = ours_params() if start is None else ours_params(start)
    theirs = torch_params() if start is None else torch_params(start)
    return (getattr(optim, name)(groups(ours, spec), **kw), ours,
            getattr(torch.optim, name)(groups(theirs, spec), **kw), theirs)


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_trajectory_matches_pytorch_over_60_steps(cfg):
    opt, ours, topt, theirs = _pair(*cfg)
    a, b = run_ours(opt, ours, STEPS), run_torch(topt, theirs, STEPS)
    assert_same_trajectory(a, b)
    assert not np.allclose(a[-1][0], a[0][0])          # the parameters really moved
    _assert_same_state(opt.state_dict(), topt.state_dict())


def _assert_same_state(sd, tsd):
    assert sorted(sd["state"]) == sorted(tsd["state"])
    for k, st in sd["state"].items():
        tst = tsd["state"][k]
        assert list(st) == list(tst), (k, list(st), list(tst))        # PyTorch's order
        for key, value in st.items():
            tv = tst[key]
            tv = tv.detach().numpy() if isinstance(tv, torch.Tensor) else tv
            # atol 1e-9: centered RMSprop's sqrt(v - gbar^2) cancels, so rounding differences
            # (PyTorch's kernels may fuse multiply-adds; NumPy 2.4 rounds its own way) grow to
            # ~1e-10 in the momentum buffer over 60 steps (the same atol as the trajectories)
            np.testing.assert_allclose(value, tv, rtol=1e-9, atol=1e-9, err_msg=key)
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        assert g == tg


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_group_keys_equal_pytorch(name):
    ours = getattr(optim, name)([ag.Tensor(np.zeros(2), requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert list(ours.defaults) == list(theirs.defaults)


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_true_is_refused_not_ignored(name):
    with pytest.raises(ValueError, match="differentiable=True .* not supported"):
        getattr(optim, name)([ag.Tensor(np.zeros(2), requires_grad=True)],
                             differentiable=True)


def _train_frozen(opt, params, loss_fn, frozen, steps):
    """Train with ``frozen`` parameters switched off for the first half, then on."""
    for p in frozen:
        p.requires_grad_(False)
    traj = []
    for k in range(steps):
        if k == steps // 2:
            for p in frozen:
                p.requires_grad_(True)
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
        traj.append(values(params))
    return traj


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adam", dict(lr=0.05)), ("NAdam", dict(lr=0.05)),
                                     ("Rprop", dict(lr=0.01)), ("ASGD", dict(lr=0.05))])
def test_frozen_parameters_are_accepted_skipped_then_trained_like_pytorch(name, kw):
    """Issue 21's transfer-learning recipe: freeze, build the optimizer, unfreeze later."""
    opt, ours, topt, theirs = _pair(name, kw)
    a = _train_frozen(opt, ours, ours_loss, ours[:2], STEPS)
    b = _train_frozen(topt, theirs, torch_loss, theirs[:2], STEPS)
    assert_same_trajectory(a, b)
    first = np.array([t[0] for t in a[:STEPS // 2]])
    assert (first == first[0]).all() and not np.allclose(a[-1][0], a[0][0])


def test_frozen_module_with_nn_layers():
    import nn
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    model[0].requires_grad_(False)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model[0].weight.data.copy()
    loss = model(ag.randn(5, 3)).sum()
    loss.backward()
    opt.step()
    np.testing.assert_array_equal(model[0].weight.data, before)
    assert model[0].weight.grad is None and model[2].weight.grad is not None


def _to_torch(sd):
    """Our state dict as PyTorch stores one: every state value a tensor (step and the
    scalar buffers as 0-d float64), param_groups as they are."""
    def conv(v):
        return torch.tensor(np.asarray(v, dtype=np.float64))
    return {"state": {k: {n: conv(v) for n, v in st.items()} for k, st in sd["state"].items()},
            "param_groups": copy.deepcopy(sd["param_groups"])}


def _to_numpy(tsd):
    def conv(v):
        return v.detach().numpy().copy() if isinstance(v, torch.Tensor) else v
    return {"state": {k: {n: conv(v) for n, v in st.items()} for k, st in tsd["state"].items()},
            "param_groups": copy.deepcopy(tsd["param_groups"])}


ROUND_TRIP = [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.3)),
    ("Adagrad", dict(lr=0.1)), ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)), ("Adadelta", dict()), ("ASGD", dict(lr=0.05, t0=5)),
    ("Rprop", dict(lr=0.01)),
]


@pytest.mark.parametrize("name,kw", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_from_torch_to_glassgrad_continues_like_torch(name, kw):
    _, _, topt, theirs = _pair(name, kw, TWO_GROUPS)
    run_torch(topt, theirs, 30)
    start = {k: t.detach().numpy().copy() for k, t in zip(["W1", "b1", "W2", "b2"], theirs)}
    opt, ours, _, _ = _pair(name, kw, TWO_GROUPS, start)
    opt.load_state_dict(_to_numpy(topt.state_dict()))
    assert_same_trajectory(run_ours(opt, ours, 30), run_torch(topt, theirs, 30))


@pytest.mark.parametrize("name,kw", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_from_glassgrad_to_torch_continues_like_glassgrad(name, kw):
    opt, ours, _, _ = _pair(name, kw, TWO_GROUPS)
    run_ours(opt, ours, 30)
    start = {k: p.data.copy() for k, p in zip(["W1", "b1", "W2", "b2"], ours)}
    _, _, topt, theirs = _pair(name, kw, TWO_GROUPS, start)
    topt.load_state_dict(_to_torch(opt.state_dict()))
    assert_same_trajectory(run_ours(opt, ours, 30), run_torch(topt, theirs, 30))


@pytest.mark.parametrize("name", NAMES)
def test_one_version_bump_per_parameter_per_step_and_same_array(name):
    params = ours_params()
    arrays = [p.data for p in params]
    kw = {"weight_decay": 0.1} if name not in ("Rprop",) else {}
    if name in ("Adam", "NAdam", "RAdam"):
        kw["decoupled_weight_decay"] = True        # two terms, still one bump
    opt = getattr(optim, name)(params, **kw)
    for step in range(1, 4):
        opt.zero_grad()
        ours_loss(params).backward()
        opt.step()
        assert [p._version for p in params] == [step] * 4
    assert all(p.data is a for p, a in zip(params, arrays))


def test_update_helper_writes_in_place_once_and_checks_shapes():
    from optim.optimizer import update_
    w = ag.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    data = w.data
    update_(w, np.array([1.0, 1.0]), alpha=-0.5, decay=2.0)
    assert w.data is data and w.dtype == np.float32 and w._version == 1
    np.testing.assert_array_equal(w.data, [1.5, 3.5])
    update_(w, value=ag.tensor([0.0, 0.0]))
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\) has shape \(3,\)"):
        update_(w, np.ones(3))


@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_repr_is_pytorchs(name):
    ours = getattr(optim, name)([ag.Tensor(np.zeros(2), requires_grad=True)], lr=0.5)
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.5)
    assert repr(ours) == repr(theirs)


def test_a_state_dict_saved_without_the_newer_options_loads_with_the_defaults():
    """E.g. a checkpoint from before maximize/foreach existed: missing group options are
    filled from the defaults, as PyTorch's __setstate__ does."""
    params = ours_params()
    opt = optim.Adam(params, lr=0.05)
    run_ours(opt, params, 2)
    sd = opt.state_dict()
    for group in sd["param_groups"]:
        for key in ("maximize", "foreach", "fused", "capturable", "differentiable",
                    "decoupled_weight_decay"):
            del group[key]
    fresh = optim.Adam(ours_params(), lr=0.05)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["maximize"] is False
    assert set(fresh.param_groups[0]) == set(opt.param_groups[0])
