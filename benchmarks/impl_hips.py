"""HIPS autograd (pip ``autograd``) versions, run in ``.envs/autograd``.

Its package is also called ``autograd``; this file is only ever imported by a worker
in that virtualenv, where glassgrad is not on ``sys.path``. Functions of a parameter
dict are differentiated with ``value_and_grad``; W7 uses its double-backward
``hessian_vector_product``.
"""
from importlib.metadata import version

import autograd.numpy as anp
import numpy as np
from autograd import hessian_vector_product, value_and_grad

from case import Case

VERSION = version("autograd")


def relu(x):
    return anp.maximum(x, 0.0)


def cross_entropy(logits, y):
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.mean(logp[np.arange(len(y)), y])


class TrainCase(Case):
    """Parameters in a dict; ``step`` = value_and_grad + SGD on the dict."""

    def __init__(self, d, names, lr):
        self.d, self.lr = d, lr
        self.p = {k: d[k].copy() for k in names}
        self.vg = value_and_grad(self.loss)

    def first(self):
        loss, g = self.vg(self.p)
        return {"loss": loss, **g}

    def step(self):
        _, g = self.vg(self.p)
        for k in self.p:
            self.p[k] = self.p[k] - self.lr * g[k]


class Demo(TrainCase):
    """W1: micrograd's demo; the 337 weights are one flat list of floats, traced op by op."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"].tolist(), d["y"].tolist(), lr
        self.layout = []          # per layer: [(weight indices, bias index)] per neuron
        theta = []
        for k in range(3):
            W, b = d[f"W{k}"], d[f"b{k}"]
            neurons = []
            for row, bias in zip(W.tolist(), b.tolist()):
                ws = list(range(len(theta), len(theta) + len(row)))
                theta += row
                neurons.append((ws, len(theta)))
                theta.append(bias)
            self.layout.append(neurons)
        self.theta = theta
        self.vg = value_and_grad(self.loss)

    def loss(self, theta):
        params = [theta[i] for i in range(len(self.theta))]
        scores = []
        for x in self.X:
            for k, neurons in enumerate(self.layout):
                out = []
                for ws, b in neurons:
                    act = sum((params[i] * xi for i, xi in zip(ws, x)), params[b])
                    out.append(relu(act) if k < 2 else act)
                x = out
            scores.append(x[0])
        losses = [relu(1 + -yi * si) for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in params)

    def first(self):
        loss, g = self.vg(self.theta)
        out = {"loss": loss}
        for k, neurons in enumerate(self.layout):
            out[f"W{k}"] = np.array([[g[i] for i in ws] for ws, _ in neurons])
            out[f"b{k}"] = np.array([g[b] for _, b in neurons])
        return out

    def step(self):
        _, g = self.vg(self.theta)
        self.theta = [a - self.lr * b for a, b in zip(self.theta, g)]


class Chain(Case):
    def __init__(self, d, scalar):
        self.x0, self.w0 = d["x"], d["w"]
        if scalar:
            self.x0, self.w0 = float(self.x0), float(self.w0)
        self.n = int(d["n_ops"]) // 4
        self.scalar = scalar
        self.vg = value_and_grad(self.f)

    def f(self, p):
        x, w = p
        y = x
        for _ in range(self.n):
            y = y * w
            y = y + 1e-4
            y = y * 0.9999
            y = relu(y)
        return y if self.scalar else anp.sum(y)

    def first(self):
        loss, (gx, gw) = self.vg((self.x0, self.w0))
        return {"loss": loss, "x": gx, "w": gw}

    def step(self):
        self.vg((self.x0, self.w0))


class MLP(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W0", "b0", "W1", "b1", "W2", "b2"], lr)

    def loss(self, p):
        h = relu(anp.dot(self.d["X"], p["W0"].T) + p["b0"])
        h = relu(anp.dot(h, p["W1"].T) + p["b1"])
        return cross_entropy(anp.dot(h, p["W2"].T) + p["b2"], self.d["y"])


def conv2d(x, W, b):
    """im2col by fancy indexing (HIPS has no strided views), then one matmul."""
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    oh, ow = h - kh + 1, w - kw + 1
    i = (np.arange(oh)[:, None, None, None] + np.arange(kh)[None, None, :, None])
    j = (np.arange(ow)[None, :, None, None] + np.arange(kw)[None, None, None, :])
    win = x[:, :, i, j]                                     # (N, C, OH, OW, kh, kw)
    cols = anp.reshape(anp.transpose(win, (0, 2, 3, 1, 4, 5)), (n * oh * ow, c * kh * kw))
    out = anp.dot(cols, anp.reshape(W, (f, -1)).T) + b
    return anp.transpose(anp.reshape(out, (n, oh, ow, f)), (0, 3, 1, 2))


def maxpool2(x):
    n, c, h, w = x.shape
    return anp.max(anp.reshape(x, (n, c, h // 2, 2, w // 2, 2)), axis=(3, 5))


class LeNet(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["C0", "c0", "C1", "c1", "W0", "b0", "W1", "b1", "W2", "b2"], lr)

    def loss(self, p):
        h = maxpool2(relu(conv2d(self.d["X"], p["C0"], p["c0"])))
        h = maxpool2(relu(conv2d(h, p["C1"], p["c1"])))
        h = anp.reshape(h, (h.shape[0], -1))
        h = relu(anp.dot(h, p["W0"].T) + p["b0"])
        h = relu(anp.dot(h, p["W1"].T) + p["b1"])
        return cross_entropy(anp.dot(h, p["W2"].T) + p["b2"], self.d["y"])


def sigmoid(x):
    return 0.5 * (anp.tanh(0.5 * x) + 1)


class LSTM(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W_ih", "W_hh", "b_ih", "b_hh", "W", "b"], lr)

    def loss(self, p):
        X = self.d["X"]
        T, B, _ = X.shape
        H = p["W_hh"].shape[1]
        w_ih, w_hh, bias = p["W_ih"].T, p["W_hh"].T, p["b_ih"] + p["b_hh"]
        h = c = np.zeros((B, H), X.dtype)
        for t in range(T):
            a = anp.dot(X[t], w_ih) + anp.dot(h, w_hh) + bias
            i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
            g, o = anp.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * anp.tanh(c)
        return cross_entropy(anp.dot(h, p["W"].T) + p["b"], self.d["y"])


class HVP(Case):
    def __init__(self, d):
        self.W, self.x, self.v = d["W"], d["x"], d["v"]
        self.hvp = hessian_vector_product(self.f)

    def f(self, x):
        t = anp.tanh(anp.dot(self.W, x))
        return anp.sum(t * t)

    def first(self):
        return {"loss": self.f(self.x), "hvp": self.hvp(self.x, self.v)}

    def step(self):
        self.hvp(self.x, self.v)


CASES = {
    "W1": Demo,
    "W2": Chain,
    "W3": Chain,
    "W4": MLP,
    "W5": LeNet,
    "W6m": LSTM,         # its own LSTM written from ops (no LSTM layer)
    "W7": HVP,
}   # see case.build
