"""glassgrad's versions of the workloads (worker side; the checkout root is on sys.path).

W1-W3 and W7 use autograd directly (0-d Values for W1, exactly as micrograd does);
W4-W6 use ``nn`` layers (Linear, Conv2d, MaxPool2d, LSTM) and ``F.cross_entropy``.
Parameters are loaded from the shared arrays (``load_state_dict``) so that the first
loss and gradients can be compared with every other library.
"""
import numpy as np

import autograd as ag
import nn
import nn.functional as F
from case import Case, ScalarMLP

VERSION = ag.__version__


def _params(d, names):
    return {k: ag.Tensor(d[k].copy(), requires_grad=True) for k in names}


class TrainCase(Case):
    """first(): loss and grads, no update; step(): forward, backward, SGD."""

    def __init__(self, d, names, lr):
        self.d = d
        self.p = _params(d, names)
        self.lr = lr

    def _backward(self):
        for t in self.p.values():
            t.grad = None
        loss = self.loss()
        loss.backward()
        return loss

    def first(self):
        loss = self._backward()
        return {"loss": loss.item(), **{k: t.grad.data for k, t in self.p.items()}}

    def step(self):
        self._backward()
        lr = self.lr
        for t in self.p.values():
            t.data -= lr * t.grad.data


class MicrogradMLP(ScalarMLP):
    """W1 exactly as micrograd's demo: every weight, input and op is a 0-d Value."""

    def __init__(self, d, lr):
        ag.set_default_dtype(np.float64)
        super().__init__(d, lr)

    def leaf(self, x):
        return ag.Value(x, requires_grad=True)

    const = staticmethod(ag.Value)
    relu = staticmethod(ag.relu)

    def zero_grads(self):
        for p in self.params_list:
            p.grad = None

    def grad_of(self, p):
        return p.grad.item()

    def update(self):
        for p in self.params_list:
            p.data -= self.lr * p.grad.data

class Chain(Case):
    def __init__(self, d, scalar):
        ag.set_default_dtype(np.float64)
        self.x0, self.w0 = d["x"], d["w"]
        self.n = int(d["n_ops"]) // 4
        self.scalar = scalar

    def run(self):
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
        loss, x, w = self.run()
        return {"loss": loss.item(), "x": x.grad.data, "w": w.grad.data}

    def step(self):
        self.run()


class ModelCase(TrainCase):
    """An ``nn`` model loaded from the shared arrays; params named by the shared names."""

    def __init__(self, d, model, names, lr):
        self.d, self.lr, self.model = d, lr, model
        state = dict(zip(names.values(), (d[k] for k in names)))
        model.load_state_dict(state)
        params = dict(model.named_parameters())
        self.p = {k: params[name] for k, name in names.items()}
        self.X = ag.Tensor(d["X"])
        self.y = d["y"]

    def loss(self):
        return F.cross_entropy(self.model(self.X), self.y)


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


class LSTM(ModelCase):
    def __init__(self, d, lr):
        names = {"W_ih": "lstm.weight_ih_l0", "W_hh": "lstm.weight_hh_l0",
                 "b_ih": "lstm.bias_ih_l0", "b_hh": "lstm.bias_hh_l0",
                 "W": "fc.weight", "b": "fc.bias"}
        super().__init__(d, LSTMNet(d["X"].dtype), names, lr)


class HVP(Case):
    def __init__(self, d):
        ag.set_default_dtype(np.float64)
        self.W, self.x0, self.v = ag.Tensor(d["W"]), d["x"], ag.Tensor(d["v"])

    def run(self):
        x = ag.Tensor(self.x0, requires_grad=True)
        t = ag.tanh(self.W @ x)
        f = (t * t).sum()
        (g,) = ag.grad(f, x, create_graph=True)
        (hv,) = ag.grad((g * self.v).sum(), x)
        return f, hv

    def first(self):
        f, hv = self.run()
        return {"loss": f.item(), "hvp": hv.data}

    def step(self):
        self.run()


CASES = {
    "W1": MicrogradMLP,
    "W2": Chain,
    "W3": Chain,
    "W4": MLP,
    "W5": LeNet,
    "W6": LSTM,
    "W7": HVP,
}   # see case.build
