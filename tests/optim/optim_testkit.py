"""Shared pieces for the optim tests: a tiny tanh network made of raw tensors, built
identically in glassgrad and in PyTorch (float64), and a runner for both sides."""
import numpy as np
import torch

import autograd as ag
import optim

RNG = np.random.default_rng(1234)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=(6, 2))
START = {"W1": RNG.normal(size=(3, 4)) * 0.7, "b1": RNG.normal(size=(4,)) * 0.1,
         "W2": RNG.normal(size=(4, 2)) * 0.7, "b2": np.zeros(2)}
NAMES = ["W1", "b1", "W2", "b2"]


def ours_params(start=START):
    return [ag.Tensor(start[k].copy(), requires_grad=True) for k in NAMES]


def torch_params(start=START):
    return [torch.tensor(start[k].copy(), requires_grad=True) for k in NAMES]


def ours_loss(params):
    """Mean squared error of a 3-4-2 tanh net plus a non-quadratic penalty."""
    W1, b1, W2, b2 = params
    h = ag.tanh(ag.Tensor(X) @ W1 + b1)
    err = h @ W2 + b2 - ag.Tensor(Y)
    return (err * err).mean() + 0.01 * (W1 ** 4).sum()


def torch_loss(params):
    W1, b1, W2, b2 = params
    h = torch.tanh(torch.from_numpy(X) @ W1 + b1)
    err = h @ W2 + b2 - torch.from_numpy(Y)
    return (err * err).mean() + 0.01 * (W1 ** 4).sum()


def rosenbrock(xy):
    """(1 - x)² + 100 (y - x²)², minimum 0 at (1, 1); works on ours and torch's tensors."""
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def groups(params, spec):
    """``spec`` None: the plain list; else a list of (indices, overrides) groups."""
    if spec is None:
        return params
    return [dict({"params": [params[i] for i in idx]}, **over) for idx, over in spec]


def values(params):
    """Copies of the values of ``params`` (our Tensors or torch's) as NumPy arrays."""
    return [p.detach().numpy().copy() for p in params]


def closure_for(opt, loss_fn, params):
    """The closure LBFGS-style optimizers call: zero the grads, evaluate, backprop."""
    def closure():
        opt.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        return loss
    return closure


def run(opt, loss_fn, params, steps):
    """``steps`` plain steps (either library); the parameter values after each."""
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
        traj.append(values(params))
    return traj


def run_ours(opt, params, steps):
    return run(opt, ours_loss, params, steps)


def run_torch(opt, params, steps):
    return run(opt, torch_loss, params, steps)


def assert_same_trajectory(ours, theirs, atol=1e-9):
    assert len(ours) == len(theirs)
    for k, (a_list, b_list) in enumerate(zip(ours, theirs)):
        for name, a, b in zip(NAMES, a_list, b_list):
            np.testing.assert_allclose(a, b, rtol=0, atol=atol,
                                       err_msg=f"step {k + 1}, parameter {name}")


def scheduler_pair(opt_name="SGD", two_groups=False, **kw):
    """The same optimizer in glassgrad and in PyTorch on two parameters of zeros, as
    one group or two (the second with lr 0.5); default SGD(lr=0.1, momentum=0.9)."""
    kw = dict(kw) or {"lr": 0.1, "momentum": 0.9}
    a = [ag.Tensor(np.zeros(2), requires_grad=True) for _ in range(2)]
    t = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    if two_groups:
        pa = [{"params": [a[0]]}, {"params": [a[1]], "lr": 0.5}]
        pt = [{"params": [t[0]]}, {"params": [t[1]], "lr": 0.5}]
    else:
        pa, pt = a, t
    return getattr(optim, opt_name)(pa, **kw), getattr(torch.optim, opt_name)(pt, **kw)


def lr_sequence(opt, sched, epochs, metrics=None):
    """The rates (and momenta / Adam's beta1) of every group over ``epochs`` of
    ``opt.step(); sched.step()`` (``sched.step(metrics[e])`` when given), starting with
    the rates the scheduler set when built."""
    def momenta():
        return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
    lrs, moms = [sched.get_last_lr()], [momenta()]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        lrs.append(sched.get_last_lr())
        moms.append(momenta())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(lrs, dtype=float), moms
