"""Learning-rate schedulers: 60-epoch sequences equal PyTorch's."""
import math
import warnings

import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim import lr_scheduler as ours_sched
from optim_testkit import lr_sequence, scheduler_pair
from torch.optim import lr_scheduler as torch_sched

EPOCHS = 60


_pair = scheduler_pair


def _sequence(opt, sched, epochs=EPOCHS, metrics=None):
    return lr_sequence(opt, sched, epochs, metrics)


def _lambda(e):
    return 0.95 ** e + 0.01 * (e % 3)


CASES = [
    ("LambdaLR", dict(lr_lambda=_lambda), {}),
    ("LambdaLR", dict(lr_lambda=[_lambda, lambda e: 1.0 / (e + 1)]), {"two_groups": True}),
    ("StepLR", dict(step_size=7), {}),
    ("StepLR", dict(step_size=3, gamma=0.5), {"two_groups": True}),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 20], gamma=0.3), {}),
    ("ExponentialLR", dict(gamma=0.9), {"two_groups": True}),
    ("CosineAnnealingLR", dict(T_max=10), {}),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01), {"two_groups": True}),
    ("LinearLR", dict(), {}),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.5, total_iters=12), {"two_groups": True}),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=EPOCHS), {}),
    ("OneCycleLR", dict(max_lr=[1.0, 2.0], total_steps=EPOCHS, anneal_strategy="linear",
                        pct_start=0.4, div_factor=10.0, final_div_factor=100.0),
     {"two_groups": True}),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=20, three_phase=True,
                        base_momentum=0.8, max_momentum=0.9), {}),
    ("OneCycleLR", dict(max_lr=0.01, total_steps=EPOCHS, cycle_momentum=True),
     {"opt_name": "Adam", "lr": 1e-3}),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=EPOCHS, cycle_momentum=False), {}),
]


@pytest.mark.parametrize("name,kw,setup", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sequence_equals_pytorch(name, kw, setup):
    opt, topt = _pair(**setup)
    ours = getattr(ours_sched, name)(opt, **kw)
    theirs = getattr(torch_sched, name)(topt, **kw)
    a, am = _sequence(opt, ours)
    b, bm = _sequence(topt, theirs)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    assert len(set(map(tuple, a.tolist()))) > 1       # the schedule does change the rate
    np.testing.assert_allclose(np.array(am, dtype=float), np.array(bm, dtype=float),
                               rtol=1e-13)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs"),
    dict(factor=0.5, patience=1, cooldown=2, min_lr=0.004),
    dict(factor=0.2, patience=0, threshold=0.05, min_lr=[0.001, 0.05], eps=1e-3),
])
def test_reduce_on_plateau_equals_pytorch(kw):
    rng = np.random.default_rng(3)
    metrics = list(np.round(1.0 / (1 + np.arange(EPOCHS)) + 0.2 * rng.random(EPOCHS), 3))
    metrics[10:25] = [metrics[10]] * 15                     # a real plateau
    opt, topt = _pair(two_groups=True)
    ours = ours_sched.ReduceLROnPlateau(opt, **kw)
    theirs = torch_sched.ReduceLROnPlateau(topt, **kw)
    a, _ = _sequence(opt, ours, metrics=[ag.Tensor(np.array(m)) for m in metrics])
    b, _ = _sequence(topt, theirs, metrics=metrics)
    np.testing.assert_allclose(a, b, rtol=1e-13)
    assert a[-1][0] < a[0][0]                              # it did reduce


def test_inverse_time_lr():
    opt, _ = _pair(two_groups=True)
    sched = ours_sched.InverseTimeLR(opt, decay=0.5)
    lrs, _ = _sequence(opt, sched, epochs=10)
    e = np.arange(11)[:, None]
    np.testing.assert_allclose(lrs, np.array([[0.1, 0.5]]) / (1 + 0.5 * e), rtol=1e-15)
    with pytest.raises(ValueError, match="decay"):
        ours_sched.InverseTimeLR(opt, decay=-1.0)


@pytest.mark.parametrize("name,kw", [("StepLR", dict(step_size=4, gamma=0.5)),
                                     ("MultiStepLR", dict(milestones=[2, 5], gamma=0.5)),
                                     ("ExponentialLR", dict(gamma=0.8)),
                                     ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
                                     ("LinearLR", dict(total_iters=4))])
def test_step_with_epoch_uses_closed_form_like_pytorch(name, kw):
    opt, topt = _pair()
    ours = getattr(ours_sched, name)(opt, **kw)
    theirs = getattr(torch_sched, name)(topt, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 9]:
            opt.step(), topt.step()
            ours.step(epoch)
            theirs.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-13)


def test_scheduler_state_dict_round_trip():
    opt, _ = _pair()
    sched = ours_sched.CosineAnnealingLR(opt, T_max=8, eta_min=0.001)
    for _ in range(5):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 5
    opt2, _ = _pair()
    sched2 = ours_sched.CosineAnnealingLR(opt2, T_max=8, eta_min=0.001)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    for _ in range(10):
        opt.step(), opt2.step()
        sched.step(), sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_plateau_state_dict_round_trip():
    opt, _ = _pair()
    sched = ours_sched.ReduceLROnPlateau(opt, patience=1)
    for m in [1.0, 0.9, 0.9, 0.9]:
        sched.step(m)
    opt2, _ = _pair()
    sched2 = ours_sched.ReduceLROnPlateau(opt2, patience=1)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    for m in [0.9, 0.9, 0.95, 0.5]:
        sched.step(m)
        sched2.step(m)
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_schedulers_only_touch_lr_and_validate():
    opt, _ = _pair(lr=0.1, momentum=0.9, weight_decay=0.01)
    before = {k: v for k, v in opt.param_groups[0].items() if k not in ("lr", "params")}
    sched = ours_sched.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    after = {k: v for k, v in opt.param_groups[0].items()
             if k not in ("lr", "params", "initial_lr")}
    assert after == before and math.isclose(opt.param_groups[0]["lr"], 0.05)
    with pytest.raises(TypeError, match="not an Optimizer"):
        ours_sched.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="Factor|factor"):
        ours_sched.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        ours_sched.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="start_factor"):
        ours_sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="total_steps"):
        ours_sched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="momentum"):
        ours_sched.OneCycleLR(optim.Adagrad([ag.Tensor(np.ones(1), requires_grad=True)]),
                              max_lr=1.0, total_steps=5)
    one = ours_sched.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(2):
        one.step()
    with pytest.raises(ValueError, match="total steps"):
        one.step(), one.step()


def test_scheduler_drives_training():
    w = ag.Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.4)
    sched = ours_sched.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        sched.step()
    # θ ← θ (1 − 2η) with η = 0.4, 0.2, 0.1
    np.testing.assert_allclose(w.data, [5.0 * 0.2 * 0.6 * 0.8])


def test_resume_with_last_epoch_needs_initial_lr_and_lambda_state_skips_functions():
    opt, topt = _pair()
    with pytest.raises(KeyError, match="initial_lr"):
        ours_sched.StepLR(opt, step_size=2, last_epoch=4)
    sched = ours_sched.LambdaLR(opt, lr_lambda=_lambda)
    assert sched.state_dict()["lr_lambdas"] == [None]
    for _ in range(4):
        opt.step()
        sched.step()
    # resuming from epoch 4 continues the same sequence as PyTorch's resumed scheduler
    tsched = torch_sched.LambdaLR(topt, lr_lambda=_lambda)
    for _ in range(4):
        topt.step()
        tsched.step()
    resumed = ours_sched.LambdaLR(opt, lr_lambda=_lambda, last_epoch=4)
    tresumed = torch_sched.LambdaLR(topt, lr_lambda=_lambda, last_epoch=4)
    assert resumed.get_last_lr() == pytest.approx(tresumed.get_last_lr(), rel=1e-15)


PLAIN = (dict, list, tuple, int, float, bool, str, type(None))


def _assert_plain(value, path):
    assert type(value) in PLAIN, f"{path} is a {type(value).__name__}"
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, (list, tuple)) else ())
    for k, v in items:
        _assert_plain(v, f"{path}[{k!r}]")


@pytest.mark.parametrize("name,kw,setup", CASES + [("ReduceLROnPlateau", {}, {})],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)] + ["Plateau"])
def test_scheduler_state_dict_is_plain_data_and_round_trips(name, kw, setup):
    """Only dicts, lists, tuples, numbers, bools, strings and None (what nn.save stores);
    a fresh scheduler loaded from it continues with the same learning rates."""
    runs = []
    for _ in range(2):
        opt, _ = _pair(**setup)
        runs.append((opt, getattr(ours_sched, name)(opt, **kw)))
    (opt, sched), (opt2, sched2) = runs

    def advance(o, s, k):
        o.step()
        s.step(ag.Tensor(np.array(1.0))) if name == "ReduceLROnPlateau" else s.step()

    for k in range(7):
        advance(opt, sched, k)
    saved = sched.state_dict()
    _assert_plain(saved, f"{name}.state_dict()")
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(saved)
    for k in range(7, 14):
        advance(opt, sched, k), advance(opt2, sched2, k)
        assert sched2.get_last_lr() == sched.get_last_lr()
