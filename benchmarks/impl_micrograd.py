"""micrograd (pip ``micrograd``, Karpathy's scalar engine): W1 and W3.

W1 is micrograd's own demo: ``MLP(2, [16, 16, 1])``, SVM hinge loss + 1e-4 L2 over
100 points, SGD. micrograd's ``backward`` sorts the graph recursively, so W3's
100,000-op chain needs a raised recursion limit (CPython 3.11+ does not use the C
stack for Python-to-Python calls, so this is safe there).
"""
import sys
from importlib.metadata import version

import numpy as np
from micrograd.engine import Value
from micrograd.nn import MLP

from case import Case

VERSION = version("micrograd")
sys.setrecursionlimit(1_000_000)


class Demo(Case):
    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"].tolist(), d["y"].tolist(), lr
        self.model = MLP(2, [16, 16, 1])
        for k, layer in enumerate(self.model.layers):
            for n, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = float(d[f"W{k}"][n, i])
                neuron.b.data = float(d[f"b{k}"][n])

    def loss(self):
        inputs = [list(map(Value, row)) for row in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in self.model.parameters())
        return data_loss + reg_loss

    def first(self):
        self.model.zero_grad()
        loss = self.loss()
        loss.backward()
        out = {"loss": loss.data}
        for k, layer in enumerate(self.model.layers):
            out[f"W{k}"] = np.array([[w.grad for w in n.w] for n in layer.neurons])
            out[f"b{k}"] = np.array([n.b.grad for n in layer.neurons])
        return out

    def step(self):
        loss = self.loss()
        self.model.zero_grad()
        loss.backward()
        for p in self.model.parameters():
            p.data -= self.lr * p.grad


class Chain(Case):
    """W3 only: micrograd has no tensors, so its chain is the 0-d one."""

    def __init__(self, d, scalar=True):
        self.x0, self.w0 = float(d["x"]), float(d["w"])
        self.n = int(d["n_ops"]) // 4

    def run(self):
        x, w = Value(self.x0), Value(self.w0)
        y = x
        for _ in range(self.n):
            y = y * w
            y = y + 1e-4
            y = y * 0.9999
            y = y.relu()
        y.backward()
        return y, x, w

    def first(self):
        y, x, w = self.run()
        return {"loss": y.data, "x": x.grad, "w": w.grad}

    def step(self):
        self.run()


CASES = {"W1": Demo, "W3": Chain}   # see case.build
