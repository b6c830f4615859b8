"""Newton, Gauss-Newton and Levenberg-Marquardt: exact derivatives from the engine."""
import numpy as np
import pytest
import torch

import autograd as ag
import optim
from optim_testkit import START, X, Y, ours_loss, ours_params, torch_loss

RNG = np.random.default_rng(7)
M = RNG.normal(size=(7, 7))
A = M @ M.T + 7 * np.eye(7)          # symmetric positive definite
B = RNG.normal(size=7)


def _quadratic(p, q):
    """½ θᵀAθ − bᵀθ with θ = (vec p, q), p of shape (2, 2), q of shape (3,)."""
    theta = ag.concatenate([p.reshape(-1), q])
    return 0.5 * (theta @ ag.Tensor(A) @ theta) - ag.Tensor(B) @ theta


def _quad_params():
    return (ag.Tensor(RNG.normal(size=(2, 2)), requires_grad=True),
            ag.Tensor(RNG.normal(size=3), requires_grad=True))


def _flat(params):
    return np.concatenate([p.data.reshape(-1) for p in params])


def test_newton_solves_a_quadratic_in_one_step():
    p, q = _quad_params()
    opt = optim.Newton([p, q])
    loss0 = opt.step(lambda: _quadratic(p, q))
    np.testing.assert_allclose(_flat([p, q]), np.linalg.solve(A, B), atol=1e-12)
    assert float(_quadratic(p, q)) < float(loss0)
    assert p.grad is None                       # the closure's graph was not backpropagated


def test_newton_damping_solves_h_plus_d_identity():
    p, q = _quad_params()
    theta0 = _flat([p, q])
    optim.Newton([p, q], damping=3.0).step(lambda: _quadratic(p, q))
    g = A @ theta0 - B
    np.testing.assert_allclose(_flat([p, q]), theta0 - np.linalg.solve(A + 3 * np.eye(7), g),
                               atol=1e-12)


def test_newton_step_on_tanh_net_uses_the_exact_hessian():
    params = ours_params()
    optim.Newton(params, damping=0.5, lr=0.7).step(lambda: ours_loss(params))
    tparams = [torch.tensor(START[k]) for k in ["W1", "b1", "W2", "b2"]]
    sizes = [t.numel() for t in tparams]
    theta = torch.cat([t.reshape(-1) for t in tparams])

    def f(vec):
        parts = torch.split(vec, sizes)
        return torch_loss([v.reshape(t.shape) for v, t in zip(parts, tparams)])

    H = torch.autograd.functional.hessian(f, theta).numpy()
    g = torch.autograd.functional.jacobian(f, theta).numpy()
    expected = theta.numpy() - 0.7 * np.linalg.solve(H + 0.5 * np.eye(theta.numel()), g)
    np.testing.assert_allclose(_flat(params), expected, atol=1e-9)


def test_newton_on_a_linear_loss_uses_the_least_squares_solution():
    w = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    optim.Newton([w]).step(lambda: (w * ag.Tensor([1.0, 1.0])).sum())   # H = 0: no NaNs
    assert np.all(np.isfinite(w.data))


# ------------------------------------------------------------ least squares
XS = np.linspace(0.0, 2.0, 15)
YS = 2.0 * np.exp(-1.5 * XS)


def _exp_residuals(a, b):
    return a * ag.exp(b * ag.Tensor(XS)) - ag.Tensor(YS)


@pytest.mark.parametrize("cls,kw,start,iters", [
    (optim.GaussNewton, {}, (1.5, -1.0), 10),
    (optim.LevenbergMarquardt, {}, (1.0, 0.0), 30),
    (optim.LevenbergMarquardt, dict(method="levenberg", lambda_=1.0), (1.0, 0.0), 40),
], ids=["gauss-newton", "lm-marquardt", "lm-levenberg"])
def test_fits_exponential_to_noiseless_data(cls, kw, start, iters):
    a = ag.Tensor(np.array(start[0]), requires_grad=True)
    b = ag.Tensor(np.array(start[1]), requires_grad=True)
    opt = cls([a, b], **kw)
    losses = [float(opt.step(lambda: _exp_residuals(a, b))) for _ in range(iters)]
    np.testing.assert_allclose([float(a), float(b)], [2.0, -1.5], atol=1e-8)
    assert losses[0] > 0.01 and losses[-1] < 1e-16
    if cls is optim.LevenbergMarquardt:
        assert all(l1 <= l0 for l0, l1 in zip(losses, losses[1:]))   # never goes up


def test_gauss_newton_solves_linear_least_squares_in_one_step():
    Amat, y = RNG.normal(size=(10, 3)), RNG.normal(size=10)
    w = ag.Tensor(np.zeros(3), requires_grad=True)
    optim.GaussNewton([w]).step(lambda: ag.Tensor(Amat) @ w - ag.Tensor(y))
    np.testing.assert_allclose(w.data, np.linalg.lstsq(Amat, y, rcond=None)[0], atol=1e-12)


def _net_residuals(params):
    W1, b1, W2, b2 = params
    h = ag.tanh(ag.Tensor(X) @ W1 + b1)
    return (h @ W2 + b2 - ag.Tensor(Y)).reshape(-1)


def test_lm_first_step_matches_formula_with_torch_jacobian():
    params = ours_params()
    opt = optim.LevenbergMarquardt(params, lambda_=1e-2)
    opt.step(lambda: _net_residuals(params))
    assert opt.state[params[0]]["accepted"]
    tparams = [torch.tensor(START[k]) for k in ["W1", "b1", "W2", "b2"]]
    sizes = [t.numel() for t in tparams]
    theta = torch.cat([t.reshape(-1) for t in tparams])

    def res(vec):
        W1, b1, W2, b2 = [v.reshape(t.shape) for v, t in zip(torch.split(vec, sizes), tparams)]
        return (torch.tanh(torch.from_numpy(X) @ W1 + b1) @ W2 + b2
                - torch.from_numpy(Y)).reshape(-1)

    J = torch.autograd.functional.jacobian(res, theta).numpy()
    F = res(theta).numpy()
    JtJ = J.T @ J
    delta = np.linalg.solve(JtJ + 1e-2 * np.diag(np.diag(JtJ)), J.T @ F)
    np.testing.assert_allclose(_flat(params), theta.numpy() - delta, atol=1e-9)
    assert opt.state[params[0]]["lambda"] == pytest.approx(1e-3)


def _rosen_residuals(xy):
    """Rosenbrock as least squares: ½‖F‖² with F = (10 (y − x²), 1 − x)."""
    return ag.stack([10 * (xy[1] - xy[0] ** 2), 1 - xy[0]])


def test_lm_rejects_bad_steps_and_raises_lambda():
    # From (-1.2, 1) the undamped Gauss-Newton step lands at (1, -3.84): loss 117 > 12.1.
    xy = ag.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
    gn_probe = ag.Tensor(xy.data.copy(), requires_grad=True)
    optim.GaussNewton([gn_probe]).step(lambda: _rosen_residuals(gn_probe))
    np.testing.assert_allclose(gn_probe.data, [1.0, -3.84], atol=1e-12)
    opt = optim.LevenbergMarquardt([xy], lambda_=1e-6, method="levenberg")
    loss = float(opt.step(lambda: _rosen_residuals(xy)))
    assert loss == pytest.approx(12.1)
    assert opt.state[xy]["accepted"] and opt.state[xy]["lambda"] > 1e-6
    assert 0.5 * float((_rosen_residuals(xy) ** 2).sum()) < loss
    losses = [float(opt.step(lambda: _rosen_residuals(xy))) for _ in range(60)]
    assert all(l1 <= l0 for l0, l1 in zip(losses, losses[1:]))
    np.testing.assert_allclose(xy.data, [1.0, 1.0], atol=1e-8)


XR = np.linspace(-2.0, 2.0, 24).reshape(-1, 1)
YR = np.sin(1.5 * XR)
NET_RNG = np.random.default_rng(0)
NET_START = [NET_RNG.normal(size=(1, 6)), NET_RNG.normal(size=6) * 0.1,
             NET_RNG.normal(size=(6, 1)) * 0.5, np.zeros(1)]


def _sine_residuals(params):
    """A 1-6-1 tanh net (raw tensors) fitting sin(1.5 x) on 24 points."""
    W1, b1, W2, b2 = params
    return (ag.tanh(ag.Tensor(XR) @ W1 + b1) @ W2 + b2 - ag.Tensor(YR)).reshape(-1)


def _iterations_to(target, make_opt, residuals, start, budget, first_order=False):
    params = [ag.Tensor(s.copy(), requires_grad=True) for s in start]
    opt = make_opt(params)
    for it in range(1, budget + 1):
        if first_order:
            opt.zero_grad()
            (0.5 * (residuals(params) ** 2).sum()).backward()
            opt.step()
        else:
            opt.step(lambda: residuals(params))
        r = residuals(params).data
        if 0.5 * r.dot(r) < target:
            return it
    return None


def test_lm_fits_a_tanh_net_in_fewer_iterations_than_adam():
    lm = _iterations_to(1e-3, optim.LevenbergMarquardt, _sine_residuals, NET_START, 40)
    lev = _iterations_to(1e-3, lambda ps: optim.LevenbergMarquardt(ps, method="levenberg"),
                         _sine_residuals, NET_START, 40)
    adam = _iterations_to(1e-3, lambda ps: optim.Adam(ps, lr=0.02), _sine_residuals,
                          NET_START, 300, first_order=True)
    assert lm is not None and lev is not None, (lm, lev)
    assert adam is None or adam > max(lm, lev), (lm, lev, adam)


def test_gauss_newton_fits_an_overparameterised_tanh_net_faster_than_adam():
    # 26 weights, 12 residuals: lstsq gives the minimum-norm step. (On well-determined
    # nets undamped Gauss-Newton overshoots wildly: that is what LM's damping fixes.)
    start = [START[k] for k in ["W1", "b1", "W2", "b2"]]
    gn = _iterations_to(0.02, lambda ps: optim.GaussNewton(ps, lr=0.5), _net_residuals,
                        start, 30)
    adam = _iterations_to(0.02, lambda ps: optim.Adam(ps, lr=0.01), _net_residuals, start,
                          300, first_order=True)
    assert gn is not None and (adam is None or adam > gn), (gn, adam)


def test_closure_errors():
    w = ag.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        optim.Newton([w]).step()
    with pytest.raises(ValueError, match="scalar"):
        optim.Newton([w]).step(lambda: w * 2)
    with pytest.raises(ValueError, match="residual"):
        optim.GaussNewton([w]).step(lambda: 3.0)
    with pytest.raises(RuntimeError, match="residual vector"):
        optim.LevenbergMarquardt([w]).step()
    v = ag.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.GaussNewton([{"params": [w]}, {"params": [v], "lr": 0.5}])


def test_state_dict_round_trip_keeps_lambda():
    params = ours_params()
    opt = optim.LevenbergMarquardt(params)
    for _ in range(3):
        opt.step(lambda: _net_residuals(params))
    fresh = [ag.Tensor(p.data.copy(), requires_grad=True) for p in params]
    opt2 = optim.LevenbergMarquardt(fresh)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[fresh[0]]["lambda"] == opt.state[params[0]]["lambda"]
    for _ in range(3):
        opt.step(lambda: _net_residuals(params))
        opt2.step(lambda: _net_residuals(fresh))
    for p, f in zip(params, fresh):
        np.testing.assert_array_equal(p.data, f.data)
