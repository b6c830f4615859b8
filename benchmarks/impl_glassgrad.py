"""glassgrad's versions of the workloads (worker side; the checkout root is on sys.path).

Everything goes through what a user calls: W1-W3 and W7 use autograd directly (0-d
Values for W1, written exactly as micrograd's demo), W4-W6 use ``nn`` layers (Linear, Conv2d,
MaxPool2d, LSTM) and ``F.cross_entropy``, W6m writes the LSTM cell loop from ops, and
every training workload updates through ``optim.SGD`` (``zero_grad``, ``step``).
Parameters are loaded from the shared arrays (``load_state_dict``) so that the first
loss and gradients can be compared with every other library.

The worker of the ``compiled`` columns sets ``COMPILE``: each case's iteration is then
wrapped in ``ag.compile`` (the same function, captured once and replayed); the
``compiled-numba`` worker also sets ``KERNELS`` (elementwise runs fused by numba).
"""
import time

import numpy as np

import autograd as ag
import nn
import nn.functional as F
import optim
from case import Case, ScalarMLP

VERSION = ag.__version__
COMPILE = False         # set by worker.py for the compiled columns
KERNELS = None          # "numba" for compiled-numba: ag.compile(..., kernels="numba")


class Iteration:
    """``step()`` runs ``self.iteration(*self.inputs)``, compiled when ``COMPILE``.

    ``trace_times`` are the wall seconds of the compiled function's first calls, up to
    and including the first replay (the tracing calls), measured by ``warm_up``.
    """

    inputs = ()
    trace_times = None

    def _prepare(self):
        self.run = ag.compile(self.iteration, kernels=KERNELS) if COMPILE else \
            self.iteration

    def step(self):
        self.run(*self.inputs)

    def warm_up(self, limit=6):
        """Call until the compiled function replays (eager: once); the call times."""
        times = []
        for _ in range(limit):
            t0 = time.perf_counter()
            self.step()
            times.append(time.perf_counter() - t0)
            # counts, not stats(): stats() builds a program still waiting for its first
            # replay, which would take the build out of the calls timed here
            if not COMPILE or self.run.counts["replays"] > 0:
                break
        self.trace_times = times
        return times


class TrainCase(Iteration, Case):
    """first(): loss and grads, no update; step(): zero_grad, forward, backward, SGD."""

    def _setup_optimizer(self, params, lr):
        self.opt = optim.SGD(params, lr=lr)
        self._prepare()

    def first(self):
        self.opt.zero_grad()
        loss = self.loss(*self.inputs)
        loss.backward()
        out = {"loss": loss.item(), **{k: t.grad.data.copy() for k, t in self.p.items()}}
        self.opt.zero_grad()
        return out

    def iteration(self, *inputs):
        self.opt.zero_grad()
        self.loss(*inputs).backward()
        self.opt.step()


class MicrogradMLP(Iteration, ScalarMLP):
    """W1 exactly as micrograd's demo: every weight, input and op is a ``Value`` (which
    requires grad by default and keeps every node's gradient, as micrograd's does), the
    update is micrograd's loop (``p.grad = 0``, ``p.data -= lr * p.grad``)."""

    def __init__(self, d, lr):
        super().__init__(d, lr)
        self._prepare()

    leaf = const = staticmethod(ag.Value)
    relu = staticmethod(ag.Value.relu)

    def zero_grads(self):
        for p in self.params_list:
            p.grad = 0

    def grad_of(self, p):
        return p.grad

    def update(self):
        lr = self.lr
        for p in self.params_list:
            p.data -= lr * p.grad

    def iteration(self):
        ScalarMLP.step(self)


class Chain(Iteration, Case):
    def __init__(self, d, scalar):
        ag.set_default_dtype(np.float64)
        self.x0, self.w0 = d["x"], d["w"]
        self.n = int(d["n_ops"]) // 4
        self.scalar = scalar
        self._prepare()

    def forward_backward(self):
        x = ag.Tensor(self.x0, requires_grad=True)
        w = ag.Tensor(self.w0, requires_grad=True)
        y = x
        for _ in range(self.n):
            y = y * w
            y = y + 1e-4
            y = y * 0.9999
            y = ag.relu(y)
        loss = y if self.scalar else y.sum()
        loss.backward()
        return loss, x, w

    def first(self):
        loss, x, w = self.forward_backward()
        return {"loss": loss.item(), "x": x.grad.data, "w": w.grad.data}

    def iteration(self):
        loss, x, w = self.forward_backward()
        return loss, x.grad, w.grad         # results, so that a compiled chain computes them


class ModelCase(TrainCase):
    """An ``nn`` model loaded from the shared arrays; params named by the shared names."""

    def __init__(self, d, model, names, lr):
        self.d, self.model = d, model
        state = dict(zip(names.values(), (d[k] for k in names)))
        model.load_state_dict(state)
        params = dict(model.named_parameters())
        self.p = {k: params[name] for k, name in names.items()}
        self.inputs = (ag.Tensor(d["X"]), d["y"])
        self._setup_optimizer(model.parameters(), lr)

    def loss(self, X, y):
        return F.cross_entropy(self.model(X), y)


class MLP(ModelCase):
    def __init__(self, d, lr):
        dt = d["X"].dtype
        model = nn.Sequential(nn.Linear(784, 256, dtype=dt), nn.ReLU(),
                              nn.Linear(256, 256, dtype=dt), nn.ReLU(),
                              nn.Linear(256, 10, dtype=dt))
        names = {"W0": "0.weight", "b0": "0.bias", "W1": "2.weight", "b1": "2.bias",
                 "W2": "4.weight", "b2": "4.bias"}
        super().__init__(d, model, names, lr)


class LeNet(ModelCase):
    def __init__(self, d, lr):
        dt = d["X"].dtype
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, dtype=dt), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, dtype=dt), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(256, 120, dtype=dt), nn.ReLU(), nn.Linear(120, 84, dtype=dt), nn.ReLU(),
            nn.Linear(84, 10, dtype=dt))
        names = {"C0": "0.weight", "c0": "0.bias", "C1": "3.weight", "c1": "3.bias",
                 "W0": "7.weight", "b0": "7.bias", "W1": "9.weight", "b1": "9.bias",
                 "W2": "11.weight", "b2": "11.bias"}
        super().__init__(d, model, names, lr)


class LSTMNet(nn.Module):
    def __init__(self, dt):
        super().__init__()
        self.lstm = nn.LSTM(32, 128, dtype=dt)
        self.fc = nn.Linear(128, 10, dtype=dt)

    def forward(self, x):
        out, _ = self.lstm(x)                       # (T, B, H)
        return self.fc(out[-1])                     # last step -> (B, 10)


LSTM_NAMES = {"W_ih": "lstm.weight_ih_l0", "W_hh": "lstm.weight_hh_l0",
              "b_ih": "lstm.bias_ih_l0", "b_hh": "lstm.bias_hh_l0",
              "W": "fc.weight", "b": "fc.bias"}


class LSTM(ModelCase):
    def __init__(self, d, lr):
        super().__init__(d, LSTMNet(d["X"].dtype), LSTM_NAMES, lr)


class CellLoop(nn.Module):
    """The LSTM written from ops, PyTorch's equations and gate order (i, f, g, o)."""

    def __init__(self, dt, D=32, H=128):
        super().__init__()
        self.lstm = nn.Module()
        for name, shape in (("weight_ih_l0", (4 * H, D)), ("weight_hh_l0", (4 * H, H)),
                            ("bias_ih_l0", (4 * H,)), ("bias_hh_l0", (4 * H,))):
            setattr(self.lstm, name, nn.Parameter(ag.zeros(shape, dtype=dt)))
        self.fc = nn.Linear(H, 10, dtype=dt)

    def forward(self, x):
        p = self.lstm
        T, B, _ = x.shape
        H = p.weight_hh_l0.shape[1]
        xp = x @ p.weight_ih_l0.T + (p.bias_ih_l0 + p.bias_hh_l0)   # (T, B, 4H)
        h = c = ag.zeros((B, H), dtype=x.dtype)
        for t in range(T):
            a = xp[t] + h @ p.weight_hh_l0.T                          # (B, 4H)
            i, f = ag.sigmoid(a[:, :H]), ag.sigmoid(a[:, H:2 * H])
            g, o = ag.tanh(a[:, 2 * H:3 * H]), ag.sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * ag.tanh(c)
        return self.fc(h)


class LSTMManual(ModelCase):
    def __init__(self, d, lr):
        super().__init__(d, CellLoop(d["X"].dtype), LSTM_NAMES, lr)


class HVP(Iteration, Case):
    def __init__(self, d):
        ag.set_default_dtype(np.float64)
        self.W, self.x0, self.v = ag.Tensor(d["W"]), d["x"], ag.Tensor(d["v"])
        self.inputs = (self.x0,)
        self._prepare()

    def hvp(self, x0=None):
        x = ag.Tensor(self.x0 if x0 is None else x0, requires_grad=True)
        t = ag.tanh(self.W @ x)
        f = (t * t).sum()
        (g,) = ag.grad(f, x, create_graph=True)
        (hv,) = ag.grad((g * self.v).sum(), x)
        return f, hv

    def first(self):
        f, hv = self.hvp()
        return {"loss": f.item(), "hvp": hv.data}

    def iteration(self, x0):
        return self.hvp(x0)[1]


CASES = {
    "W1": MicrogradMLP,
    "W2": Chain,
    "W3": Chain,
    "W4": MLP,
    "W5": LeNet,
    "W6": LSTM,
    "W6m": LSTMManual,
    "W7": HVP,
}   # see case.build
