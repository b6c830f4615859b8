"""LBFGS against PyTorch: Rosenbrock trajectories with and without strong Wolfe."""
import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim_testkit import (assert_same_trajectory, closure_for, ours_loss, ours_params,
                           rosenbrock, torch_loss, torch_params, values)

START = np.array([-1.5, 2.0])


def _run(lib, steps, **kw):
    if lib == "ours":
        xy = ag.Tensor(START.copy(), requires_grad=True)
        opt = optim.LBFGS([xy], **kw)
    else:
        xy = torch.tensor(START.copy(), requires_grad=True)
        opt = torch.optim.LBFGS([xy], **kw)
    closure = closure_for(opt, rosenbrock, xy)
    traj, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        traj.append(xy.detach().numpy().copy())
    state = opt.state[opt.param_groups[0]["params"][0]]
    return np.array(traj), losses, state["func_evals"], state["n_iter"]


@pytest.mark.parametrize("kw", [
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", history_size=3, max_iter=10),
    dict(line_search_fn="strong_wolfe", lr=10),            # extrapolates, then zooms
    dict(line_search_fn="strong_wolfe", lr=3, history_size=2),
    dict(lr=0.5, max_iter=20),
    dict(lr=0.1, max_iter=20, max_eval=30),
], ids=["wolfe", "wolfe-short-history", "wolfe-lr10", "wolfe-lr3-history2", "fixed-step",
        "fixed-step-small-lr"])
def test_rosenbrock_trajectory_matches_pytorch(kw):
    steps = 6 if kw.get("line_search_fn") else 30
    ours, our_losses, our_evals, our_iters = _run("ours", steps, **kw)
    theirs, their_losses, their_evals, their_iters = _run("torch", steps, **kw)
    # Same algorithm, same number of evaluations; Rosenbrock's curved valley amplifies
    # last-bit differences in dot products (1e-16 -> ~1e-7 mid-path, then they shrink).
    assert (our_evals, our_iters) == (their_evals, their_iters)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours[-1], [1.0, 1.0], atol=1e-4)     # Rosenbrock's minimum


def test_strong_wolfe_reaches_the_minimum():
    traj, losses, _, _ = _run("ours", 6, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(traj[-1], [1.0, 1.0], atol=1e-5)
    assert losses[-1] < 1e-9 < 1 < losses[0]


def test_tanh_net_matches_pytorch_with_wolfe():
    ours, theirs = ours_params(), torch_params()
    opt = optim.LBFGS(ours, history_size=5, max_iter=5, line_search_fn="strong_wolfe")
    topt = torch.optim.LBFGS(theirs, history_size=5, max_iter=5,
                             line_search_fn="strong_wolfe")

    def step(o, ps, loss_fn):
        o.step(closure_for(o, loss_fn, ps))
        return values(ps)

    a = [step(opt, ours, ours_loss) for _ in range(4)]
    b = [step(topt, theirs, torch_loss) for _ in range(4)]
    assert_same_trajectory(a, b, atol=1e-8)


def test_lbfgs_needs_a_closure_and_stops_at_a_stationary_point():
    xy = ag.Tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.LBFGS([xy])
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    assert float(opt.step(closure_for(opt, rosenbrock, xy))) == 0.0
    assert xy.data.tolist() == [1.0, 1.0]


def test_lbfgs_state_dict_round_trip():
    xy = ag.Tensor(START.copy(), requires_grad=True)
    opt = optim.LBFGS([xy], max_iter=3, history_size=4)
    opt.step(closure_for(opt, rosenbrock, xy))
    xy2 = ag.Tensor(xy.data.copy(), requires_grad=True)
    opt2 = optim.LBFGS([xy2], max_iter=3, history_size=4)
    opt2.load_state_dict(opt.state_dict())
    for _ in range(3):
        opt.step(closure_for(opt, rosenbrock, xy))
        opt2.step(closure_for(opt2, rosenbrock, xy2))
    np.testing.assert_array_equal(xy.data, xy2.data)
