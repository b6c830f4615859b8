"""PyTorch (CPU) versions of the workloads: its own layers where it has them.

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
    def __init__(self, d, names, lr):
        self.d = d
        self.p = {k: _t(d[k], True) for k in names}
        self.lr = lr
        self.y = torch.tensor(d["y"]) if "y" in d else None

    def _backward(self):
        for t in self.p.values():
            t.grad = None
        loss = self.loss()
        loss.backward()
        return loss

    def first(self):
        loss = self._backward()
        return {"loss": loss.item(), **{k: t.grad.numpy() for k, t in self.p.items()}}

    def step(self):
        self._backward()
        with torch.no_grad():
            for t in self.p.values():
                t -= self.lr * t.grad


class MicrogradMLP(ScalarMLP):
    """W1 with 0-d tensors, op for op as micrograd's demo."""

    def leaf(self, x):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def const(self, x):
        return torch.tensor(x, dtype=torch.float64)

    relu = staticmethod(torch.relu)

    def zero_grads(self):
        for p in self.params_list:
            p.grad = None

    def grad_of(self, p):
        return p.grad.item()

    def update(self):
        with torch.no_grad():
            for p in self.params_list:
                p -= self.lr * p.grad

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


class MLP(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W0", "b0", "W1", "b1", "W2", "b2"], lr)
        self.X = _t(d["X"])

    def loss(self):
        p = self.p
        h = F.relu(F.linear(self.X, p["W0"], p["b0"]))
        h = F.relu(F.linear(h, p["W1"], p["b1"]))
        return F.cross_entropy(F.linear(h, p["W2"], p["b2"]), self.y)


class LeNet(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["C0", "c0", "C1", "c1", "W0", "b0", "W1", "b1", "W2", "b2"], lr)
        self.X = _t(d["X"])

    def loss(self):
        p = self.p
        h = F.max_pool2d(F.relu(F.conv2d(self.X, p["C0"], p["c0"])), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p["C1"], p["c1"])), 2)
        h = h.reshape(h.shape[0], -1)
        h = F.relu(F.linear(h, p["W0"], p["b0"]))
        h = F.relu(F.linear(h, p["W1"], p["b1"]))
        return F.cross_entropy(F.linear(h, p["W2"], p["b2"]), self.y)


class LSTM(TrainCase):
    """torch.nn.LSTM (its fused CPU kernel) with the shared weights."""

    def __init__(self, d, lr):
        super().__init__(d, ["W", "b"], lr)
        H, D = d["W_hh"].shape[1], d["W_ih"].shape[1]
        self.lstm = torch.nn.LSTM(D, H)
        with torch.no_grad():
            for k in ("W_ih", "W_hh", "b_ih", "b_hh"):
                name = k.lower().replace("w_", "weight_").replace("b_", "bias_") + "_l0"
                getattr(self.lstm, name).copy_(_t(d[k]))
                self.p[k] = getattr(self.lstm, name)
        self.X = _t(d["X"])

    def loss(self):
        out, _ = self.lstm(self.X)
        return F.cross_entropy(F.linear(out[-1], self.p["W"], self.p["b"]), self.y)


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
    "W7": HVP,
}   # see case.build
