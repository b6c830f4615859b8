"""glassgrad's versions of the workloads (worker side; the checkout root is on sys.path).

Layers come from ``nn`` when it is importable (Linear, Conv2d, LSTM, cross_entropy);
otherwise the same computation is composed here from autograd ops, which is exactly
what the nn layers do. Parameters are loaded from the shared arrays so that the first
loss and gradients can be compared with every other library.
"""
import numpy as np

import autograd as ag
from case import Case

VERSION = ag.__version__


def _params(d, names):
    return {k: ag.Tensor(d[k].copy(), requires_grad=True) for k in names}


def _linear(x, W, b):
    """x Wᵀ + b, PyTorch's layout (W is (out, in))."""
    return x @ W.T + b


def _cross_entropy(logits, y):
    """Mean of -log_softmax(logits)[i, y_i]."""
    logp = ag.log_softmax(logits, axis=1)
    return -logp[np.arange(len(y)), y].mean()


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


class MicrogradMLP(TrainCase):
    """W1 exactly as micrograd's demo: every weight, input and op is a 0-d Value."""

    def __init__(self, d, lr):
        ag.set_default_dtype(np.float64)
        self.X = d["X"].tolist()
        self.y = d["y"].tolist()
        self.layers = []
        for k in range(3):
            W, b = d[f"W{k}"], d[f"b{k}"]
            neurons = [([ag.Value(w, requires_grad=True) for w in row],
                        ag.Value(bias, requires_grad=True))
                       for row, bias in zip(W.tolist(), b.tolist())]
            self.layers.append((neurons, k < 2))
        self.params_list = [p for neurons, _ in self.layers for ws, b in neurons
                            for p in ws + [b]]
        self.lr = lr

    def forward(self, x):
        for neurons, nonlin in self.layers:
            out = []
            for ws, b in neurons:
                act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                out.append(ag.relu(act) if nonlin else act)
            x = out
        return x[0]

    def loss(self):
        inputs = [[ag.Value(v) for v in row] for row in self.X]
        scores = [self.forward(x) for x in inputs]
        losses = [ag.relu(1 + -yi * si) for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in self.params_list)
        return data_loss + reg_loss

    def _backward(self):
        for p in self.params_list:
            p.grad = None
        loss = self.loss()
        loss.backward()
        return loss

    def first(self):
        loss = self._backward()
        out = {"loss": loss.item()}
        for k, (neurons, _) in enumerate(self.layers):
            out[f"W{k}"] = np.array([[w.grad.item() for w in ws] for ws, _ in neurons])
            out[f"b{k}"] = np.array([b.grad.item() for _, b in neurons])
        return out

    def step(self):
        self._backward()
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


class MLP(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W0", "b0", "W1", "b1", "W2", "b2"], lr)
        self.X = ag.Tensor(d["X"])

    def loss(self):
        p = self.p
        h = ag.relu(_linear(self.X, p["W0"], p["b0"]))
        h = ag.relu(_linear(h, p["W1"], p["b1"]))
        return _cross_entropy(_linear(h, p["W2"], p["b2"]), self.d["y"])


def _conv2d(x, W, b):
    """Cross-correlation, stride 1, no padding: unfold (a view) -> im2col matrix @ Wᵀ."""
    n, _, h, w = x.shape
    f, c, kh, kw = W.shape
    oh, ow = h - kh + 1, w - kw + 1
    win = ag.ops.unfold(x, kernel=(kh, kw), stride=(1, 1), dilation=(1, 1))
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    out = cols @ W.reshape(f, c * kh * kw).T + b           # (N*OH*OW, F)
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)


def _maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


class LeNet(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["C0", "c0", "C1", "c1", "W0", "b0", "W1", "b1", "W2", "b2"], lr)
        self.X = ag.Tensor(d["X"])

    def loss(self):
        p = self.p
        h = _maxpool2(ag.relu(_conv2d(self.X, p["C0"], p["c0"])))
        h = _maxpool2(ag.relu(_conv2d(h, p["C1"], p["c1"])))
        h = h.reshape(h.shape[0], -1)
        h = ag.relu(_linear(h, p["W0"], p["b0"]))
        h = ag.relu(_linear(h, p["W1"], p["b1"]))
        return _cross_entropy(_linear(h, p["W2"], p["b2"]), self.d["y"])


class LSTM(TrainCase):
    def __init__(self, d, lr):
        super().__init__(d, ["W_ih", "W_hh", "b_ih", "b_hh", "W", "b"], lr)
        self.X = d["X"]

    def loss(self):
        p = self.p
        T, B, _ = self.X.shape
        H = p["W_hh"].shape[1]
        w_ih, w_hh, bias = p["W_ih"].T, p["W_hh"].T, p["b_ih"] + p["b_hh"]
        h = c = ag.zeros((B, H), dtype=self.X.dtype)
        for t in range(T):
            a = ag.Tensor(self.X[t]) @ w_ih + h @ w_hh + bias      # (B, 4H)
            i, f = ag.sigmoid(a[:, :H]), ag.sigmoid(a[:, H:2 * H])
            g, o = ag.tanh(a[:, 2 * H:3 * H]), ag.sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * ag.tanh(c)
        return _cross_entropy(_linear(h, p["W"], p["b"]), self.d["y"])


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


def build(name, d, spec):
    if name == "W1":
        return MicrogradMLP(d, spec.lr)
    if name in ("W2", "W3"):
        return Chain(d, scalar=name == "W3")
    if name.startswith("W4"):
        return MLP(d, spec.lr)
    if name == "W5":
        return LeNet(d, spec.lr)
    if name == "W6":
        return LSTM(d, spec.lr)
    if name == "W7":
        return HVP(d)
    return None
