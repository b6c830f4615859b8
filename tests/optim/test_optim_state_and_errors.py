"""Optimizer state dicts (round trip, PyTorch's layout) and constructor validation."""
import copy

import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim_testkit import (assert_same_trajectory, groups, ours_params, run_ours,
                           run_torch, torch_params)

MAKERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.05),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
}
TWO_GROUPS = [([0, 1], {}), ([2, 3], {"lr": 0.02})]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_state_dict_round_trip_mid_training(name):
    params = ours_params()
    opt = MAKERS[name](groups(params, TWO_GROUPS))
    run_ours(opt, params, 10)
    saved = opt.state_dict()
    snapshot = copy.deepcopy(saved)
    # a fresh optimizer on fresh tensors holding the same values
    fresh = [ag.Tensor(p.data.copy(), requires_grad=True) for p in params]
    opt2 = MAKERS[name](groups(fresh, TWO_GROUPS))
    opt2.load_state_dict(saved)
    a = run_ours(opt, params, 10)
    b = run_ours(opt2, fresh, 10)
    assert_same_trajectory(a, b, atol=0)
    # the saved dict is a snapshot: training on did not change it
    for k, st in saved["state"].items():
        for key, v in st.items():
            np.testing.assert_array_equal(v, snapshot["state"][k][key])


def test_state_dict_layout_is_pytorchs():
    params = ours_params()
    opt = optim.Adam(groups(params, TWO_GROUPS), lr=0.05)
    run_ours(opt, params, 3)
    sd = opt.state_dict()
    tparams = torch_params()
    topt = torch.optim.Adam(groups(tparams, TWO_GROUPS), lr=0.05)
    run_torch(topt, tparams, 3)
    tsd = topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2, 3]]
    for k in range(4):
        assert set(sd["state"][k]) == set(tsd["state"][k])
        assert sd["state"][k]["step"] == 3
        for key in ("exp_avg", "exp_avg_sq"):
            assert isinstance(sd["state"][k][key], np.ndarray)
            np.testing.assert_allclose(sd["state"][k][key], tsd["state"][k][key].numpy(),
                                       atol=1e-12)
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for key in ("lr", "betas", "eps", "weight_decay", "amsgrad"):
            assert g[key] == tg[key]


def _torch_state_to_numpy(tsd):
    def conv(v):
        return v.detach().numpy().copy() if isinstance(v, torch.Tensor) else v
    return {"state": {k: {n: conv(v) for n, v in st.items()} for k, st in tsd["state"].items()},
            "param_groups": copy.deepcopy(tsd["param_groups"])}


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_loads_a_pytorch_state_dict_and_continues_like_pytorch(name):
    kw = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.05, amsgrad=True),
          "RMSprop": dict(lr=0.01, centered=True, momentum=0.3),
          "Adagrad": dict(lr=0.1)}[name]
    tparams = torch_params()
    topt = getattr(torch.optim, name)(tparams, **kw)
    run_torch(topt, tparams, 8)
    state = _torch_state_to_numpy(topt.state_dict())
    params = ours_params({k: t.detach().numpy().copy()
                          for k, t in zip(["W1", "b1", "W2", "b2"], tparams)})
    opt = getattr(optim, name)(params, **kw)
    opt.load_state_dict(state)
    assert_same_trajectory(run_ours(opt, params, 10), run_torch(topt, tparams, 10))


def test_load_state_dict_restores_hyperparameters_and_checks_sizes():
    params = ours_params()
    opt = optim.SGD(params, lr=0.5, momentum=0.9)
    sd = opt.state_dict()
    other = optim.SGD(ours_params(), lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD(groups(ours_params(), TWO_GROUPS), lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="parameters"):
        optim.SGD(ours_params()[:3], lr=0.1).load_state_dict(sd)


# ------------------------------------------------------------------ validation
BAD_OPTIONS = [
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(lr=float("nan")), "lr"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (optim.Adam, dict(lr=-1e-3), "lr"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "beta"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "beta"),
    (optim.Adam, dict(betas=(0.9, float("nan"))), "beta"),
    (optim.Adam, dict(weight_decay=-0.1), "weight_decay"),
    (optim.AdamW, dict(weight_decay=float("nan")), "weight_decay"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum"),
    (optim.RMSprop, dict(eps=float("nan")), "eps"),
    (optim.Adagrad, dict(lr_decay=-1), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (optim.LBFGS, dict(lr=-1), "lr"),
    (optim.LBFGS, dict(line_search_fn="armijo"), "line_search_fn"),
    (optim.LBFGS, dict(history_size=0), "history_size"),
    (optim.Newton, dict(damping=-1), "damping"),
    (optim.LevenbergMarquardt, dict(lambda_=-1), "lambda_"),
    (optim.LevenbergMarquardt, dict(method="dogleg"), "method"),
]


@pytest.mark.parametrize("cls,kw,word", BAD_OPTIONS,
                         ids=[f"{c.__name__}-{w}-{i}" for i, (c, _, w) in
                              enumerate(BAD_OPTIONS)])
def test_invalid_hyperparameters_raise_value_error_naming_them(cls, kw, word):
    with pytest.raises(ValueError, match=word):
        cls([ag.Tensor(np.zeros(2), requires_grad=True)], **kw)


def test_invalid_group_override_is_checked_too():
    a, b = ours_params()[:2]
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([{"params": [a]}, {"params": [b], "lr": -1.0}], lr=0.1)


def test_bad_parameter_lists():
    w = ag.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    optim.Adam([ag.Tensor(np.ones(2))])     # frozen: accepted as in PyTorch (issue 21)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.Adam([np.ones(2)])
    with pytest.raises(ValueError, match="twice"):
        optim.Adam([w, w])


def test_add_param_group_fills_defaults_and_rejects_duplicates():
    w, v, u = (ag.Tensor(np.ones(2), requires_grad=True) for _ in range(3))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": v, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is v
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [u, w]})
    with pytest.raises(ValueError, match="LBFGS"):
        optim.LBFGS([{"params": [w]}, {"params": [v]}])
    assert "momentum: 0.9" in repr(opt)


def test_check_number_message_names_option():
    with pytest.raises(ValueError, match=r"Adam: invalid eps value: -1"):
        optim.Adam([ag.Tensor(np.ones(1), requires_grad=True)], eps=-1)
