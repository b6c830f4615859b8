"""The flat-buffer steps of Adam and momentum SGD (optim/flat.py) give the per-parameter
loop's bits, keep a PyTorch-shaped state, and fall back to the loop where they cannot
apply."""
import numpy as np
import pytest

import autograd as ag
import optim
from optim.adam import Adam
from optim.sgd import SGD

SHAPES = [(4, 3), (3,), (2, 2, 2), ()]


def _params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [ag.Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]


def _grads(params, step, skip=None):
    rng = np.random.default_rng(100 + step)
    for k, p in enumerate(params):
        g = rng.standard_normal(p.shape).astype(p.dtype)
        p.grad = None if k == skip else ag.Tensor(g)


def _run(make, dtype, flat, monkeypatch, steps=7, skip_at=None):
    with monkeypatch.context() as m:
        if not flat:
            m.setattr(Adam, "_flat_step", lambda self, group: False)
            m.setattr(SGD, "_flat_step", lambda self, group: False)
        params = _params(dtype)
        opt = make(params)
        for step in range(steps):
            _grads(params, step, skip=0 if step == skip_at else None)
            opt.step()
        return params, opt


CONFIGS = {
    "adam": lambda ps: optim.Adam(ps, lr=0.05),
    "amsgrad maximize": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, maximize=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    "l2 (the loop)": lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.1),
    "two groups": lambda ps: optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.2}],
                                        lr=0.05, betas=(0.8, 0.99)),
    "sgd momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1),
    "sgd nesterov maximize": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True,
                                                  maximize=True),
    "sgd l2 (the loop)": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.1),
}


def _same(a, b):
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("skip_at", [None, 3])
def test_flat_and_loop_agree_bit_for_bit(name, dtype, skip_at, monkeypatch):
    pf, of = _run(CONFIGS[name], dtype, True, monkeypatch, skip_at=skip_at)
    pl, ol = _run(CONFIGS[name], dtype, False, monkeypatch, skip_at=skip_at)
    assert all(_same(a.data, b.data) for a, b in zip(pf, pl))
    sf, sl = of.state_dict(), ol.state_dict()
    assert list(sf["state"]) == list(sl["state"])
    for k in sf["state"]:
        assert list(sf["state"][k]) == list(sl["state"][k])          # PyTorch's key order
        for key, value in sf["state"][k].items():
            assert _same(value, sl["state"][k][key]), (k, key)
            if isinstance(value, np.ndarray):
                assert value.shape == pf[k].shape and value.dtype == dtype


def test_the_state_is_one_flat_array_with_a_view_per_parameter():
    params = _params(np.float64)
    opt = optim.Adam(params, lr=0.1)
    _grads(params, 0)
    opt.step()
    bases = {id(opt.state[p]["exp_avg"].data.base) for p in params}
    assert len(bases) == 1
    flat = opt.state[params[0]]["exp_avg"].data.base
    assert flat.size == sum(p.data.size for p in params)
    for p in params:
        assert opt.state[p]["exp_avg"].shape == p.shape and opt.state[p]["step"] == 1


def test_a_loaded_state_dict_is_copied_into_the_flat_arrays(monkeypatch):
    pa, oa = _run(CONFIGS["adam"], np.float64, True, monkeypatch, steps=3)
    saved = oa.state_dict()
    pb = [ag.Tensor(p.data.copy(), requires_grad=True) for p in pa]
    ob = optim.Adam(pb, lr=0.05)
    ob.load_state_dict(saved)
    for step in range(3, 6):
        _grads(pa, step)
        _grads(pb, step)
        oa.step()
        ob.step()
    assert all(_same(a.data, b.data) for a, b in zip(pa, pb))
    assert _same(oa.state_dict()["state"][0]["exp_avg_sq"],
                 ob.state_dict()["state"][0]["exp_avg_sq"])
    exported = ob.state_dict()["state"][1]["exp_avg"]
    ob.step()                                      # a state dict is a copy
    assert not np.shares_memory(exported, ob.state[pb[1]]["exp_avg"].data)


def test_parameters_keep_their_arrays_and_versions_count_each_step():
    params = _params(np.float32)
    arrays = [p.data for p in params]
    before = [p._version for p in params]
    opt = optim.Adam(params, lr=0.1)
    for step in range(2):
        _grads(params, step)
        opt.step()
    assert all(p.data is a for p, a in zip(params, arrays))
    assert [p._version - b for p, b in zip(params, before)] == [2] * len(params)


def test_sgd_momentum_buffers_are_views_of_one_array_and_load_back(monkeypatch):
    pa, oa = _run(CONFIGS["sgd momentum"], np.float64, True, monkeypatch, steps=3)
    bufs = [oa.state[p]["momentum_buffer"].data for p in pa]
    assert len({id(b.base) for b in bufs}) == 1 and list(oa.state[pa[0]]) == ["momentum_buffer"]
    pb = [ag.Tensor(p.data.copy(), requires_grad=True) for p in pa]
    ob = optim.SGD(pb, lr=0.05, momentum=0.9, dampening=0.1)
    ob.load_state_dict(oa.state_dict())
    for step in range(3, 6):
        _grads(pa, step)
        _grads(pb, step)
        oa.step()
        ob.step()
    assert all(_same(a.data, b.data) for a, b in zip(pa, pb))


def test_large_parameters_take_the_loop():
    params = [ag.Tensor(np.ones((64, 80)), requires_grad=True) for _ in range(2)]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = ag.Tensor(np.ones((64, 80)))
    opt.step()
    assert opt.state[params[0]]["exp_avg"].data.base is None      # its own array
