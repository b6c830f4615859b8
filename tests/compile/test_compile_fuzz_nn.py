"""A fuzz of ``ag.compile`` through ``nn`` and ``optim``: random models, optimizers,
options, schedulers and losses, trained eagerly and compiled side by side.

Each seed draws a small ``nn.Sequential`` (Linear, activations, LayerNorm, BatchNorm1d,
Dropout) in one dtype, one of eleven optimizers with random options (momentum,
Nesterov, weight decay, AMSGrad, centered, maximize...), sometimes a scheduler, a
loss (cross-entropy with or without label smoothing, MSE, Huber), and a step that
zeroes the gradients to None or to zeros, or lets them add up. Two twins built from
the seed train on the same batches (the generator reset alike, for dropout); after
every step the loss, every parameter, gradient, buffer and optimizer state array must
be the same bytes (a NaN's sign aside), and the compiled twin must have replayed.

    GLASSGRAD_COMPILE_FUZZ_NN=500 python -m pytest tests/compile/test_compile_fuzz_nn.py -q

runs a longer campaign (CI runs the first 40 seeds).
"""
import os
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
import optim
from optim import lr_scheduler
from test_compile_fuzz import _bits

SEEDS = int(os.environ.get("GLASSGRAD_COMPILE_FUZZ_NN", "40"))
STEPS = 6
ACTIVATIONS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.LeakyReLU, nn.ELU, nn.Softplus,
               nn.SiLU, nn.Identity]


def _optimizer(rng, params):
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    flag = lambda: bool(rng.integers(2))                    # noqa: E731
    wd = pick([0, 0, 1e-3])
    name = pick(["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax",
                 "Adadelta", "Rprop", "ASGD"])
    kw = {"lr": pick([1e-3, 1e-2, 0.1])}
    if name == "SGD":
        kw["momentum"] = pick([0, 0.9])
        kw.update(weight_decay=wd, nesterov=kw["momentum"] > 0 and flag(), maximize=flag())
    elif name in ("Adam", "AdamW"):
        kw.update(weight_decay=wd or (0.01 if name == "AdamW" else 0), amsgrad=flag(),
                  maximize=flag())
    elif name == "RMSprop":
        kw.update(weight_decay=wd, momentum=pick([0, 0.9]), centered=flag())
    elif name in ("Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta", "ASGD"):
        kw["weight_decay"] = wd
    return name, getattr(optim, name)(params, **kw)


def _scheduler(rng, opt):
    choice = rng.integers(5)
    if choice == 0:
        return lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    if choice == 1:
        return lr_scheduler.ExponentialLR(opt, gamma=0.9)
    if choice == 2:
        return lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)
    return None


def build(seed):
    """(model, optimizer, scheduler, step, batches, description) of seed's program."""
    rng = np.random.default_rng(seed)
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    dt = pick([np.float32, np.float64])
    width = [int(rng.integers(2, 7)) for _ in range(rng.integers(1, 4))]
    n_in, n_out, batch = int(rng.integers(2, 6)), int(rng.integers(2, 5)), int(rng.integers(2, 7))
    ag.manual_seed(seed)
    layers, d = [], n_in
    for w in width:
        layers.append(nn.Linear(d, w, bias=bool(rng.integers(3)), dtype=dt))
        extra = rng.integers(6)
        if extra == 0:
            layers.append(nn.LayerNorm(w, dtype=dt))
        elif extra == 1:
            layers.append(nn.BatchNorm1d(w, dtype=dt))
        layers.append(pick(ACTIVATIONS)())
        if rng.integers(4) == 0:
            layers.append(nn.Dropout(0.3))
        d = w
    layers.append(nn.Linear(d, n_out, dtype=dt))
    model = nn.Sequential(*layers)
    name, opt = _optimizer(rng, model.parameters())
    sched = _scheduler(rng, opt)
    loss_kind = pick(["ce", "ce_smooth", "mse", "huber"])
    zero = pick(["none", "zeros", "accumulate"])
    data = np.random.default_rng([seed, 1])
    batches = []
    for k in range(STEPS):
        x = ag.tensor(data.standard_normal((batch, n_in)).astype(dt) * (1 + k % 3))
        if loss_kind.startswith("ce"):
            y = ag.tensor(data.integers(0, n_out, batch))
        else:
            y = ag.tensor(data.standard_normal((batch, n_out)).astype(dt))
        batches.append((x, y))

    def step(x, y):
        if zero != "accumulate":
            opt.zero_grad(set_to_none=zero == "none")
        out = model(x)
        if loss_kind == "ce":
            loss = F.cross_entropy(out, y)
        elif loss_kind == "ce_smooth":
            loss = F.cross_entropy(out, y, label_smoothing=0.1)
        elif loss_kind == "mse":
            loss = F.mse_loss(out, y)
        else:
            loss = F.huber_loss(out, y)
        loss.backward()
        opt.step()
        return loss

    what = f"{model} {name}{opt.defaults} {type(sched).__name__} {loss_kind} {zero}"
    return model, opt, sched, step, batches, what


def _state(model, opt):
    out = [p.data for p in model.parameters()]
    out += [p.grad.data for p in model.parameters() if p.grad is not None]
    out += [b.data for b in model.buffers() if b is not None]
    for st in opt.state.values():
        out += [v.data if isinstance(v, ag.Tensor) else np.asarray(v) for v in st.values()]
    return [(a.dtype.str, a.shape, _bits(a)) for a in out]


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_random_model_trains_compiled_as_eager(seed):
    m1, o1, s1, eager, batches, what = build(seed)
    m2, o2, s2, step, _, _ = build(seed)
    compiled = ag.compile(step)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("error", UserWarning)        # a fallback to eager fails
        for k, (x, y) in enumerate(batches):
            ag.manual_seed(100 + k)
            a = eager(x, y)
            ag.manual_seed(100 + k)                         # dropout draws the same masks
            b = compiled(x, y)
            assert _bits(a.data) == _bits(b.data), f"seed {seed}, step {k}, loss: {what}"
            assert _state(m1, o1) == _state(m2, o2), f"seed {seed}, step {k}: {what}"
            if s1 is not None:
                s1.step()
                s2.step()
    assert compiled.stats()["replays"] >= 2, (compiled.stats(), what)


@pytest.mark.parametrize("name", ["NAdam", "ASGD"])
def test_numbers_an_optimizer_makes_in_a_traced_call_stay_plain(name):
    """NAdam's ``mu_product`` and ASGD's ``eta`` are made in the first step's state from
    lifted numbers: they were left there as trace objects, never lifted again, and the
    function ran eagerly after six traces that could not agree."""
    ag.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = getattr(optim, name)(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    compiled = ag.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for k in range(5):
            compiled(ag.tensor(np.full((4, 3), float(k))), ag.tensor(np.zeros((4, 2))))
            for st in opt.state.values():
                assert all(type(v) in (int, float) for v in st.values()
                           if not isinstance(v, ag.Tensor)), st
    assert compiled.stats()["replays"] == 2     # three traces: the state is made in the first
