"""PyTorch (CPU) versions of the workloads: its own layers (torch.nn) and optimizer
(torch.optim.SGD) wherever it has them, as a PyTorch user writes them.

The worker sets the thread count (1, or PyTorch's default) before building.
"""
import numpy as np
import torch
import torch.nn.functional as F

from case import Case, ScalarMLP

VERSION = torch.__version__


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


class TrainCase(Case):
    """A ``torch.nn`` model loaded from the shared arrays, trained with ``torch.optim.SGD``."""

    def __init__(self, d, model, names, lr):
        self.model = model
        with torch.no_grad():
            params = dict(model.named_parameters())
            for k, name in names.items():
                params[name].copy_(_t(d[k]))
        self.p = {k: params[name] for k, name in names.items()}
        self.opt = torch.optim.SGD(model.parameters(), lr=lr)
        self.X = _t(d["X"])
        self.y = torch.tensor(d["y"])

    def loss(self):
        return F.cross_entropy(self.model(self.X), self.y)

    def first(self):
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        out = {"loss": loss.item(), **{k: t.grad.numpy().copy() for k, t in self.p.items()}}
        self.opt.zero_grad()
        return out

    def step(self):
        self.opt.zero_grad()
        self.loss().backward()
        self.opt.step()


class MicrogradMLP(ScalarMLP):
    """W1 with 0-d tensors, op for op as micrograd's demo, updated by torch.optim.SGD."""

    def __init__(self, d, lr):
        super().__init__(d, lr)
        self.opt = torch.optim.SGD(self.params_list, lr=lr)

    def leaf(self, x):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def const(self, x):
        return torch.tensor(x, dtype=torch.float64)

    relu = staticmethod(torch.relu)

    def zero_grads(self):
        self.opt.zero_grad()

    def grad_of(self, p):
        return p.grad.item()

    def update(self):
        self.opt.step()


class Chain(Case):
    def __init__(self, d, scalar):
        self.x0, self.w0 = d["x"], d["w"]
        self.n = int(d["n_ops"]) // 4
        self.scalar = scalar

    def run(self):
        x, w = _t(self.x0, True), _t(self.w0, True)
        y = x
        for _ in range(self.n):
            y = y * w
            y = y + 1e-4
            y = y * 0.9999
            y = torch.relu(y)
        loss = y if self.scalar else y.sum()
        loss.backward()
        return loss, x, w

    def first(self):
        loss, x, w = self.run()
        return {"loss": loss.item(), "x": x.grad.numpy(), "w": w.grad.numpy()}

    def step(self):
        self.run()


def _dtype(d):
    return torch.float64 if d["X"].dtype == np.float64 else torch.float32


class MLP(TrainCase):
    def __init__(self, d, lr):
        dt = _dtype(d)
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 256, dtype=dt), torch.nn.ReLU(),
            torch.nn.Linear(256, 256, dtype=dt), torch.nn.ReLU(),
            torch.nn.Linear(256, 10, dtype=dt))
        names = {"W0": "0.weight", "b0": "0.bias", "W1": "2.weight", "b1": "2.bias",
                 "W2": "4.weight", "b2": "4.bias"}
        super().__init__(d, model, names, lr)


class LeNet(TrainCase):
    def __init__(self, d, lr):
        dt = _dtype(d)
        nn = torch.nn
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, dtype=dt), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, dtype=dt), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(256, 120, dtype=dt), nn.ReLU(), nn.Linear(120, 84, dtype=dt), nn.ReLU(),
            nn.Linear(84, 10, dtype=dt))
        names = {"C0": "0.weight", "c0": "0.bias", "C1": "3.weight", "c1": "3.bias",
                 "W0": "7.weight", "b0": "7.bias", "W1": "9.weight", "b1": "9.bias",
                 "W2": "11.weight", "b2": "11.bias"}
        super().__init__(d, model, names, lr)


LSTM_NAMES = {"W_ih": "lstm.weight_ih_l0", "W_hh": "lstm.weight_hh_l0",
              "b_ih": "lstm.bias_ih_l0", "b_hh": "lstm.bias_hh_l0",
              "W": "fc.weight", "b": "fc.bias"}


class LSTMNet(torch.nn.Module):
    """torch.nn.LSTM (its fused CPU kernel) and a Linear on the last step."""

    def __init__(self, dt):
        super().__init__()
        self.lstm = torch.nn.LSTM(32, 128, dtype=dt)
        self.fc = torch.nn.Linear(128, 10, dtype=dt)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[-1])


class CellLoop(torch.nn.Module):
    """The LSTM written from torch ops, the same loop as glassgrad's W6m."""

    def __init__(self, dt, D=32, H=128):
        super().__init__()
        self.lstm = torch.nn.Module()
        for name, shape in (("weight_ih_l0", (4 * H, D)), ("weight_hh_l0", (4 * H, H)),
                            ("bias_ih_l0", (4 * H,)), ("bias_hh_l0", (4 * H,))):
            setattr(self.lstm, name, torch.nn.Parameter(torch.zeros(shape, dtype=dt)))
        self.fc = torch.nn.Linear(H, 10, dtype=dt)

    def forward(self, x):
        p = self.lstm
        T, B, _ = x.shape
        H = p.weight_hh_l0.shape[1]
        xp = x @ p.weight_ih_l0.T + (p.bias_ih_l0 + p.bias_hh_l0)
        h = c = torch.zeros((B, H), dtype=x.dtype)
        for t in range(T):
            a = xp[t] + h @ p.weight_hh_l0.T
            i, f = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H])
            g, o = torch.tanh(a[:, 2 * H:3 * H]), torch.sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * torch.tanh(c)
        return self.fc(h)


class LSTM(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, LSTMNet(_dtype(d)), LSTM_NAMES, lr)


class LSTMManual(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, CellLoop(_dtype(d)), LSTM_NAMES, lr)


class HVP(Case):
    def __init__(self, d):
        self.W, self.x0, self.v = _t(d["W"]), d["x"], _t(d["v"])

    def run(self):
        x = _t(self.x0, True)
        t = torch.tanh(self.W @ x)
        f = (t * t).sum()
        (g,) = torch.autograd.grad(f, x, create_graph=True)
        (hv,) = torch.autograd.grad((g * self.v).sum(), x)
        return f, hv

    def first(self):
        f, hv = self.run()
        return {"loss": f.item(), "hvp": hv.numpy()}

    def step(self):
        self.run()


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
