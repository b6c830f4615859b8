"""micrograd's ``nn.py`` (Neuron, Layer, MLP) and its moons demo, written with ``Value``s.

The code is a micrograd user's, unchanged but for where ``Value`` comes from: the
module takes the ``Value`` class to build with, so that the same lines also run on a
reference engine. ``make_moons`` is a seeded NumPy stand-in for scikit-learn's.
"""
import random

import numpy as np


def make_moons(n_samples=100, noise=0.1, seed=0):
    """Two interleaving half circles as scikit-learn draws them; labels 0 / 1."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n_samples // 2, n_samples - n_samples // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=int), np.ones(n_in, dtype=int)])
    order = rng.permutation(n_samples)
    X = X[order] + rng.normal(scale=noise, size=X.shape)
    return X, y[order]


def build(Value, seed=1337):
    """micrograd's nn module, on the given ``Value`` class."""
    rng = random.Random(seed)

    class Module:

        def zero_grad(self):
            for p in self.parameters():
                p.grad = 0

        def parameters(self):
            return []

    class Neuron(Module):

        def __init__(self, nin, nonlin=True):
            self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self):
            return self.w + [self.b]

    class Layer(Module):

        def __init__(self, nin, nout, **kwargs):
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x):
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]

    class MLP(Module):

        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
                           for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    return Neuron, Layer, MLP


def train_moons(Value, X, y, steps=100, seed=1337):
    """The lecture's demo: MLP(2, [16, 16, 1]), SVM max-margin loss + 1e-4 L2, SGD with
    lr = 1.0 - 0.9 * k / 100. Returns the per-step (loss, accuracy) and the model."""
    _, _, MLP = build(Value, seed)
    model = MLP(2, [16, 16, 1])
    y = y * 2 - 1

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X.tolist()]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y.tolist(), scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y.tolist(), scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((float(total_loss.data), float(acc)))
    return history, model
