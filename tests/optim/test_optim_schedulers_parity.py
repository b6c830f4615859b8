"""Issue 21's schedulers against PyTorch over 80 epochs: ConstantLR, MultiplicativeLR,
PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR (every mode, momentum cycling),
SequentialLR and ChainedScheduler; closed forms; state dicts both ways."""
import copy
import warnings

import numpy as np
import pytest
import torch

import optim
from optim import lr_scheduler as S
from optim_testkit import lr_sequence, scheduler_pair
from torch.optim import lr_scheduler as T

EPOCHS = 80


def _decay(e):
    return 0.95 if e % 2 else 1.02


class Scale:
    """A callable object (its attributes are saved in state dicts, as PyTorch does)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** x


def _build(lib, opt, spec):
    """A scheduler from ``spec`` = (name, kwargs) or, for the composite ones,
    (name, [specs], extra kwargs)."""
    name, kw = spec[0], spec[1]
    if name in ("SequentialLR", "ChainedScheduler"):
        subs = [_build(lib, opt, s) for s in kw]
        if name == "SequentialLR":
            return lib.SequentialLR(opt, subs, **spec[2])
        return lib.ChainedScheduler(subs)
    return getattr(lib, name)(opt, **kw)


CASES = [
    (("ConstantLR", {}), {}),
    (("ConstantLR", dict(factor=0.5, total_iters=10)), {"two_groups": True}),
    (("MultiplicativeLR", dict(lr_lambda=_decay)), {}),
    (("MultiplicativeLR", dict(lr_lambda=[_decay, lambda e: 0.97])), {"two_groups": True}),
    (("PolynomialLR", {}), {}),
    (("PolynomialLR", dict(total_iters=50, power=2.0)), {"two_groups": True}),
    (("CosineAnnealingWarmRestarts", dict(T_0=10)), {}),
    (("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=2, eta_min=0.01)),
     {"two_groups": True}),
    (("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=10)), {}),
    (("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13,
                       mode="triangular2")), {}),
    (("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=6,
                       mode="exp_range", gamma=0.98, base_momentum=[0.7, 0.75],
                       max_momentum=0.95)), {"two_groups": True}),
    (("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=5, scale_fn=Scale(0.9),
                       scale_mode="iterations")), {}),
    (("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=4,
                       scale_fn=lambda c: 1 / c)), {}),
    (("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=8)),
     {"opt_name": "Adam", "lr": 1e-3}),
    (("CyclicLR", dict(base_lr=0.001, max_lr=0.01, step_size_up=8, cycle_momentum=False)),
     {"opt_name": "Adagrad", "lr": 1e-3}),
    (("SequentialLR", [("LinearLR", dict(start_factor=0.1, total_iters=10)),
                       ("CosineAnnealingLR", dict(T_max=30))], dict(milestones=[10])), {}),
    (("SequentialLR", [("ConstantLR", dict(factor=0.5, total_iters=3)),
                       ("ExponentialLR", dict(gamma=0.9)),
                       ("StepLR", dict(step_size=7, gamma=0.5))], dict(milestones=[5, 20])),
     {"two_groups": True}),
    (("ChainedScheduler", [("ConstantLR", dict(factor=0.2, total_iters=6)),
                           ("ExponentialLR", dict(gamma=0.97))]), {}),
    (("ChainedScheduler", [("LinearLR", dict(start_factor=0.5, total_iters=8)),
                           ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=9))]),
     {"two_groups": True}),
]


def _id(case):
    spec, setup = case
    return spec[0] + ("-2groups" if setup.get("two_groups") else "") + (
        "-" + setup["opt_name"] if "opt_name" in setup else "")


@pytest.mark.parametrize("spec,setup", CASES, ids=[f"{i}-{_id(c)}" for i, c in enumerate(CASES)])
def test_sequence_equals_pytorch_over_80_epochs(spec, setup):
    opt, topt = scheduler_pair(**setup)
    ours, theirs = _build(S, opt, spec), _build(T, topt, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # PyTorch's step-order warnings
        a, am = lr_sequence(opt, ours, EPOCHS)
        b, bm = lr_sequence(topt, theirs, EPOCHS)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert len(set(map(tuple, a.tolist()))) >= 2          # the rate does change
    np.testing.assert_allclose(np.array(am, dtype=float), np.array(bm, dtype=float),
                               rtol=1e-12)


@pytest.mark.parametrize("name,kw", [("ConstantLR", dict(factor=0.4, total_iters=5)),
                                     ("PolynomialLR", dict(total_iters=8, power=1.5)),
                                     ("MultiplicativeLR", dict(lr_lambda=_decay))])
def test_step_with_epoch_like_pytorch(name, kw):
    opt, topt = scheduler_pair()
    ours, theirs = getattr(S, name)(opt, **kw), getattr(T, name)(topt, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 9, 12, 4]:
            opt.step(), topt.step()
            ours.step(epoch), theirs.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-13)


def test_warm_restarts_with_fractional_epochs_like_pytorch():
    opt, topt = scheduler_pair(two_groups=True)
    ours = S.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.001)
    theirs = T.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=2, eta_min=0.001)
    for epoch in range(30):
        for batch in range(5):
            opt.step(), topt.step()
            ours.step(epoch + batch / 5)
            theirs.step(epoch + batch / 5)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-13)
    with pytest.raises(ValueError, match="non-negative epoch"):
        ours.step(-1)


def _torch_state(sched):
    return copy.deepcopy(sched.state_dict())


@pytest.mark.parametrize("spec,setup", CASES, ids=[f"{i}-{_id(c)}" for i, c in enumerate(CASES)])
def test_state_dict_both_ways(spec, setup):
    """30 epochs on one side, its scheduler and optimizer state loaded into the other,
    30 more on both: the same rates (glassgrad -> torch and torch -> glassgrad)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for src_lib, dst_lib in ((S, T), (T, S)):
            opts = scheduler_pair(**setup)
            src_opt = opts[0] if src_lib is S else opts[1]
            dst_opt = opts[1] if src_lib is S else opts[0]
            src, dst = _build(src_lib, src_opt, spec), _build(dst_lib, dst_opt, spec)
            lr_sequence(src_opt, src, 30)
            dst_opt.param_groups[:] = _groups_into(dst_opt, src_opt)
            dst.load_state_dict(copy.deepcopy(src.state_dict()))
            a, am = lr_sequence(src_opt, src, 30)
            b, bm = lr_sequence(dst_opt, dst, 30)
            np.testing.assert_allclose(a[1:], b[1:], rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(np.array(am[1:], dtype=float),
                                       np.array(bm[1:], dtype=float), rtol=1e-12)


def _groups_into(dst_opt, src_opt):
    """The hyper-parameters of ``src_opt``'s groups on ``dst_opt``'s parameters (what
    loading the optimizer's state dict does)."""
    return [dict({k: copy.deepcopy(v) for k, v in g.items() if k != "params"},
                 params=d["params"])
            for g, d in zip(src_opt.param_groups, dst_opt.param_groups)]


def test_errors_name_the_problem():
    opt, _ = scheduler_pair()
    other, _ = scheduler_pair()
    with pytest.raises(ValueError, match="factor"):
        S.ConstantLR(opt, factor=1.5)
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        S.MultiplicativeLR(opt, lr_lambda=0.9)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=0)
    with pytest.raises(ValueError, match="mode 'sine' is invalid"):
        S.CyclicLR(opt, 0.1, 1.0, mode="sine")
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.CyclicLR(optim.Adagrad(opt.param_groups[0]["params"]), 0.1, 1.0)
    with pytest.raises(ValueError, match="expected 1 values for base_lr"):
        S.CyclicLR(opt, [0.1, 0.2], 1.0)
    with pytest.raises(ValueError, match="one milestone fewer"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ExponentialLR(opt, 0.9)], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        S.SequentialLR(opt, [S.ConstantLR(opt), S.ExponentialLR(other, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="at least one"):
        S.ChainedScheduler([], optimizer=opt)
    assert isinstance(torch.zeros(1), torch.Tensor)
