"""SGD, Adam, AdamW, RMSprop, Adagrad: 25 steps on the same tanh net match PyTorch."""
import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim_testkit import (assert_same_trajectory, groups, ours_params, run_ours,
                           run_torch, torch_params)

STEPS = 25
TWO_GROUPS = [([0, 1], {}), ([2, 3], {"lr": 0.03})]

CONFIGS = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.1, momentum=0.9), None),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5), None),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True), None),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1), None),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True), None),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), TWO_GROUPS),
    ("Adam", dict(lr=0.05), None),
    ("Adam", dict(lr=0.05, amsgrad=True), None),
    ("Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6), None),
    ("Adam", dict(lr=0.05, weight_decay=0.1), None),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True), None),
    ("Adam", dict(lr=0.05, amsgrad=True), TWO_GROUPS),
    ("AdamW", dict(lr=0.05), None),
    ("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True), None),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.99)), TWO_GROUPS),
    ("RMSprop", dict(lr=0.01), None),
    ("RMSprop", dict(lr=0.01, alpha=0.9), None),
    ("RMSprop", dict(lr=0.01, centered=True), None),
    ("RMSprop", dict(lr=0.01, momentum=0.9), None),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.1), None),
    ("RMSprop", dict(lr=0.01, eps=1e-4, maximize=True), TWO_GROUPS),
    ("Adagrad", dict(lr=0.1), None),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05), None),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6), None),
    ("Adagrad", dict(lr=0.1, weight_decay=0.2, lr_decay=0.01), None),
    ("Adagrad", dict(lr=0.1, maximize=True), TWO_GROUPS),
]


def _id(cfg):
    name, kw, spec = cfg
    opts = ",".join(f"{k}={v}" for k, v in kw.items())
    return f"{name}({opts}){'-groups' if spec else ''}"


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_trajectory_matches_pytorch(cfg):
    name, kw, spec = cfg
    ours, theirs = ours_params(), torch_params()
    opt = getattr(optim, name)(groups(ours, spec), **kw)
    topt = getattr(torch.optim, name)(groups(theirs, spec), **kw)
    a, b = run_ours(opt, ours, STEPS), run_torch(topt, theirs, STEPS)
    assert_same_trajectory(a, b)
    assert not np.allclose(a[-1][0], a[0][0])       # the parameters really moved


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_equal_pytorch(name):
    ours = getattr(optim, name)([ag.Tensor(np.zeros(2), requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    for key, value in ours.defaults.items():
        assert theirs.defaults[key] == value, key


def test_parameters_without_grad_are_skipped():
    w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = ag.Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.Adam([w, unused], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert unused.data.tolist() == [5.0] and unused not in opt.state
    assert opt.state[w]["step"] == 1


def test_step_returns_closure_loss_and_closure_records_graph():
    w = ag.Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ag.no_grad():                     # step re-enables grad for the closure
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(w.data, [1.5])


def test_zero_grad_to_zeros_and_to_none():
    w = ag.Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and w.grad.data.tolist() == [0.0]
    opt.zero_grad()
    assert w.grad is None


def test_step_updates_in_place_and_records_no_graph():
    w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = w.data
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    assert w.data is data and w.is_leaf and w.grad_fn is None
    # state buffers are Tensors (updated with tensor ops); state_dict exports arrays
    buf = opt.state[w]["momentum_buffer"]
    assert isinstance(buf, ag.Tensor) and not buf.requires_grad and buf.grad_fn is None
    assert isinstance(opt.state_dict()["state"][0]["momentum_buffer"], np.ndarray)


def test_float32_parameters_stay_float32():
    w = ag.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32
