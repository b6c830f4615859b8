"""MyGrad (pip ``mygrad``) versions, run in ``.envs/mygrad``: its own nnet layers where
it has them (conv_nd, max_pool, softmax_crossentropy). MyGrad has no higher-order
derivatives, so W7 is not run.
"""
import mygrad as mg
import numpy as np
from mygrad.nnet.activations import relu, sigmoid
from mygrad.nnet.layers import conv_nd, max_pool
from mygrad.nnet.losses import softmax_crossentropy

from case import Case, ScalarMLP

VERSION = mg.__version__


class TrainCase(Case):
    def __init__(self, d, names, lr):
        self.d, self.lr = d, lr
        self.p = {k: mg.tensor(d[k].copy()) for k in names}
        if "X" in d:
            self.X = mg.tensor(d["X"], constant=True)

    def _backward(self):
        for t in self.p.values():
            t.null_grad()
        loss = self.loss()
        loss.backward()
        return loss

    def first(self):
        loss = self._backward()
        return {"loss": loss.item(), **{k: t.grad for k, t in self.p.items()}}

    def step(self):
        self._backward()
        with mg.no_autodiff:
            for t in self.p.values():
                t -= self.lr * t.grad


class Demo(ScalarMLP):
    """W1: micrograd's demo with 0-d tensors."""

    leaf = staticmethod(mg.tensor)
    relu = staticmethod(relu)

    def const(self, x):
        return mg.tensor(x, constant=True)

    def zero_grads(self):
        for p in self.params_list:
            p.null_grad()

    def grad_of(self, p):
        return float(p.grad)

    def update(self):
        with mg.no_autodiff:
            for p in self.params_list:
                p -= self.lr * p.grad

class Chain(Case):
    def __init__(self, d, scalar):
        self.x0, self.w0 = d["x"], d["w"]
        self.n = int(d["n_ops"]) // 4
        self.scalar = scalar

    def run(self):
        x, w = mg.tensor(self.x0), mg.tensor(self.w0)
        y = x
        for _ in range(self.n):
            y = y * w
            y = y + 1e-4
            y = y * 0.9999
            y = relu(y)
        loss = y if self.scalar else y.sum()
        loss.backward()
        return loss, x, w

    def first(self):
        loss, x, w = self.run()
        return {"loss": loss.item(), "x": x.grad, "w": w.grad}

    def step(self):
        self.run()


def linear(x, W, b):
    return mg.matmul(x, W.T) + b


class MLP(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W0", "b0", "W1", "b1", "W2", "b2"], lr)

    def loss(self):
        p = self.p
        h = relu(linear(self.X, p["W0"], p["b0"]))
        h = relu(linear(h, p["W1"], p["b1"]))
        return softmax_crossentropy(linear(h, p["W2"], p["b2"]), self.d["y"])


class LeNet(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["C0", "c0", "C1", "c1", "W0", "b0", "W1", "b1", "W2", "b2"], lr)

    def loss(self):
        p = self.p
        h = conv_nd(self.X, p["C0"], stride=1) + p["c0"].reshape(1, -1, 1, 1)
        h = max_pool(relu(h), pool=(2, 2), stride=2)
        h = conv_nd(h, p["C1"], stride=1) + p["c1"].reshape(1, -1, 1, 1)
        h = max_pool(relu(h), pool=(2, 2), stride=2)
        h = h.reshape(h.shape[0], -1)
        h = relu(linear(h, p["W0"], p["b0"]))
        h = relu(linear(h, p["W1"], p["b1"]))
        return softmax_crossentropy(linear(h, p["W2"], p["b2"]), self.d["y"])


class LSTM(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W_ih", "W_hh", "b_ih", "b_hh", "W", "b"], lr)

    def loss(self):
        p, X = self.p, self.d["X"]
        T, B, _ = X.shape
        H = p["W_hh"].shape[1]
        w_ih, w_hh, bias = p["W_ih"].T, p["W_hh"].T, p["b_ih"] + p["b_hh"]
        h = c = mg.zeros((B, H), dtype=X.dtype, constant=True)
        for t in range(T):
            a = mg.matmul(X[t], w_ih) + mg.matmul(h, w_hh) + bias
            i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
            g, o = mg.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * mg.tanh(c)
        return softmax_crossentropy(linear(h, p["W"], p["b"]), self.d["y"])


CASES = {
    "W1": Demo,
    "W2": Chain,
    "W3": Chain,
    "W4": MLP,
    "W5": LeNet,
    "W6m": LSTM,         # its own LSTM written from ops (no LSTM layer)
}   # see case.build
