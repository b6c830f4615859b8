"""Gradient clipping in a compiled step: ``nn.utils.clip_grad_norm_`` computes the norm
and the scale with NumPy calls, so a trace captures it and replays it bit for bit.
Before, it made Python floats of the norm: each trace froze a different number and the
step ran eagerly after six traces, losing the program for a common training step."""
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import optim


def _twin(dt, norm_type, error_if_nonfinite=False):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).to(dt)
    opt = optim.Adam(model.parameters(), lr=0.05)

    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=norm_type,
                                        error_if_nonfinite=error_if_nonfinite)
        opt.step()
        return loss, norm
    return model, step


def _data(dt, k):
    return ag.tensor((np.random.default_rng(k).standard_normal((4, 3)) * (k + 1)).astype(dt))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_a_step_that_clips_replays_bit_for_bit(dt, norm_type):
    model, step = _twin(dt, norm_type)
    eager_model, eager_step = _twin(dt, norm_type)
    compiled = ag.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no fallback, no warning
        for k in range(6):
            got, want = compiled(_data(dt, k)), eager_step(_data(dt, k))
            assert [t.data.tobytes() for t in got] == [t.data.tobytes() for t in want]
            assert [p.data.tobytes() for p in model.parameters()] == \
                [p.data.tobytes() for p in eager_model.parameters()]
    assert compiled.counts["replays"] >= 3


def test_a_nonfinite_norm_still_raises_at_a_replay():
    model, step = _twin(np.float64, 2.0, error_if_nonfinite=True)
    compiled = ag.compile(step)
    for k in range(4):
        compiled(_data(np.float64, k))
    assert compiled.counts["replays"] >= 1
    before = [p.data.copy() for p in model.parameters()]
    bad = _data(np.float64, 9)
    bad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        compiled(bad)
    # (eagerly the grads were computed and the step raised before opt.step())
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
