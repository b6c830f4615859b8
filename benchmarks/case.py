"""The interface every library's version of a workload implements (worker side).

``first()`` computes the loss and the gradients on the initial parameters (no update)
and returns ``{"loss": float, name: gradient array, ...}``, names as in
``workloads.make_data``; ``step()`` is one timed iteration (forward, backward and,
for training workloads, the SGD update).
"""
import numpy as np


class Case:
    def first(self):
        raise NotImplementedError

    def step(self):
        raise NotImplementedError


def build(cases, name, d, spec):
    """The case for workload ``name`` from a library's ``CASES`` (workload family ->
    class), or None if the library does not run it. Chains are told whether they are
    W3's 0-d chain, the HVP takes the data only, training cases take the learning rate.
    """
    cls = cases.get(spec.family)
    if cls is None:
        return None
    if name in ("W2", "W3"):
        return cls(d, scalar=name == "W3")
    if name == "W7":
        return cls(d)
    return cls(d, spec.lr)


class ScalarMLP(Case):
    """W1 as micrograd's demo: a 2-16-16-1 MLP where every weight, input and op is a 0-d
    value, hinge loss + 1e-4 L2 over 100 points, SGD. A library supplies ``leaf(x)`` (a
    parameter), ``const(x)`` (an input), ``relu(v)``, ``zero_grads()``, ``grad_of(p)``
    (a float) and ``update()`` (the library's own optimizer step where it has one); the
    model code is the same for every library."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"].tolist(), d["y"].tolist(), lr
        self.layers = []
        for k in range(3):
            neurons = [([self.leaf(w) for w in row], self.leaf(b))
                       for row, b in zip(d[f"W{k}"].tolist(), d[f"b{k}"].tolist())]
            self.layers.append((neurons, k < 2))
        self.params_list = [p for ns, _ in self.layers for ws, b in ns for p in ws + [b]]

    def forward(self, x):
        relu = self.relu
        for neurons, nonlin in self.layers:
            out = []
            for ws, b in neurons:
                act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                out.append(relu(act) if nonlin else act)
            x = out
        return x[0]

    def loss(self):
        scores = [self.forward([self.const(v) for v in row]) for row in self.X]
        losses = [self.relu(1 + -yi * si) for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in self.params_list)

    def _backward(self):
        self.zero_grads()
        loss = self.loss()
        loss.backward()
        return loss

    def first(self):
        loss = self._backward()
        out = {"loss": float(loss.item())}
        for k, (neurons, _) in enumerate(self.layers):
            out[f"W{k}"] = np.array([[self.grad_of(w) for w in ws] for ws, _ in neurons])
            out[f"b{k}"] = np.array([self.grad_of(b) for _, b in neurons])
        return out

    def step(self):
        self._backward()
        self.update()
