"""A fuzz of ``ag.compile`` through ``nn`` and ``optim``: random models, optimizers,
options, schedulers and losses, trained eagerly and compiled side by side.

Each seed draws a small model in one dtype: an MLP (Linear, activations, LayerNorm,
BatchNorm1d, Dropout), a CNN (Conv2d with stride and padding, BatchNorm2d or GroupNorm,
max/average/adaptive pooling), an RNN/LSTM/GRU (maybe bidirectional) or an embedding
bag (maybe with a padding index); then one of eleven optimizers with random options
(momentum, Nesterov, weight decay, AMSGrad, centered, maximize...), sometimes a
scheduler, a loss (cross-entropy with or without label smoothing, MSE, Huber), and a
step that zeroes the gradients to None or to zeros, or lets them add up, and may clip
them (``clip_grad_norm_`` in the 2- or inf-norm, ``clip_grad_value_``). Two twins
built from the seed train on the same batches (the generator reset alike, for
dropout); after every step the loss, every parameter, gradient, buffer and optimizer
state array must be the same bytes (a NaN's sign aside), and the compiled twin must
have replayed.

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
from compile_kit import train_step
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


class _Recurrent(nn.Module):
    """An RNN, LSTM or GRU over (T, B, D), then a Linear on the last step's output."""

    def __init__(self, cell, d, h, n_out, dt, bidirectional):
        super().__init__()
        self.rnn = cell(d, h, bidirectional=bidirectional, dtype=dt)
        self.fc = nn.Linear(h * (2 if bidirectional else 1), n_out, dtype=dt)

    def forward(self, x):
        out = self.rnn(x)[0]
        return self.fc(out[-1])


class _Bag(nn.Module):
    """An embedding of token ids, averaged over the sequence, then a Linear."""

    def __init__(self, vocab, d, n_out, dt, padding_idx):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=padding_idx, dtype=dt)
        self.fc = nn.Linear(d, n_out, dtype=dt)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(axis=1))


def _mlp(rng, dt, n_out, batch):
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    n_in = int(rng.integers(2, 6))
    layers, d = [], n_in
    for w in [int(rng.integers(2, 7)) for _ in range(rng.integers(1, 4))]:
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
    return nn.Sequential(*layers), lambda data: data.standard_normal((batch, n_in))


def _conv(rng, dt, n_out, batch):
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    c, side, f = int(rng.integers(1, 3)), int(rng.integers(5, 8)), int(rng.integers(2, 5))
    k, pad = int(rng.integers(1, 4)), int(rng.integers(0, 2))
    layers = [nn.Conv2d(c, f, k, padding=pad, stride=int(rng.integers(1, 3)), dtype=dt)]
    norm = rng.integers(3)
    if norm == 0:
        layers.append(nn.BatchNorm2d(f, dtype=dt))
    elif norm == 1:
        layers.append(nn.GroupNorm(1, f, dtype=dt))
    layers += [pick(ACTIVATIONS)(), pick([nn.MaxPool2d(2, ceil_mode=True),
                                         nn.AvgPool2d(2, ceil_mode=True),
                                         nn.AdaptiveAvgPool2d(1)]),
               nn.Flatten()]
    model = nn.Sequential(*layers)
    out = model(ag.tensor(np.zeros((1, c, side, side), dt))).shape[1]
    model.append(nn.Linear(out, n_out, dtype=dt))
    return model, lambda data: data.standard_normal((batch, c, side, side))


def _recurrent(rng, dt, n_out, batch):
    cell = [nn.RNN, nn.LSTM, nn.GRU][rng.integers(3)]
    d, h, steps = int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(1, 5))
    model = _Recurrent(cell, d, h, n_out, dt, bool(rng.integers(2)))
    return model, lambda data: data.standard_normal((steps, batch, d))


def _bag(rng, dt, n_out, batch):
    vocab, d, length = int(rng.integers(3, 9)), int(rng.integers(2, 5)), int(rng.integers(1, 5))
    model = _Bag(vocab, d, n_out, dt, padding_idx=[None, 0][rng.integers(2)])
    return model, lambda data: data.integers(0, vocab, (batch, length))


FAMILIES = {"mlp": _mlp, "conv": _conv, "recurrent": _recurrent, "bag": _bag}


def build(seed):
    """(model, optimizer, scheduler, step, batches, description) of seed's program."""
    rng = np.random.default_rng(seed)
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    dt = pick([np.float32, np.float64])
    family = pick(list(FAMILIES))
    n_out, batch = int(rng.integers(2, 5)), int(rng.integers(2, 7))
    ag.manual_seed(seed)
    model, draw_x = FAMILIES[family](rng, dt, n_out, batch)
    name, opt = _optimizer(rng, model.parameters())
    sched = _scheduler(rng, opt)
    loss_kind = pick(["ce", "ce_smooth", "mse", "huber"])
    zero = pick(["none", "zeros", "accumulate"])
    clip = pick(["none", "none", "norm", "norm_inf", "value"])
    data = np.random.default_rng([seed, 1])
    batches = []
    for k in range(STEPS):
        x = draw_x(data)
        x = ag.tensor(x if x.dtype.kind == "i" else x.astype(dt) * (1 + k % 3))
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
        if clip == "norm":
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        elif clip == "norm_inf":
            nn.utils.clip_grad_norm_(model.parameters(), 0.05, norm_type="inf")
        elif clip == "value":
            nn.utils.clip_grad_value_(model.parameters(), 0.01)
        opt.step()
        return loss

    what = f"{family} {model} {name}{opt.defaults} {type(sched).__name__} {loss_kind} " \
        f"{zero} clip={clip}"
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
    compiled = ag.compile(train_step(model, opt, F.mse_loss))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for k in range(5):
            compiled(ag.tensor(np.full((4, 3), float(k))), ag.tensor(np.zeros((4, 2))))
            for st in opt.state.values():
                assert all(type(v) in (int, float) for v in st.values()
                           if not isinstance(v, ag.Tensor)), st
    assert compiled.stats()["replays"] == 2     # three traces: the state is made in the first
