"""Regenerate docs/mlp_mid_backprop.{svg,png}: a 2-layer MLP's graph halfway through backprop.

    python docs/make_mlp_picture.py            (needs the Graphviz `dot` program)

Uses ``nn`` when it is importable (clusters then come from the modules' own scopes);
otherwise builds the same MLP from tensors under ``ag.scope``.
"""
import os

import numpy as np

import autograd as ag

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp_loss():
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(4, 3)), name="x")
    target = ag.Tensor(rng.normal(size=(4, 2)), name="target")
    try:
        import nn
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        out = model(x)
    except ImportError:
        w1, b1 = ag.randn(3, 5, requires_grad=True), ag.zeros((5,), requires_grad=True)
        w2, b2 = ag.randn(5, 2, requires_grad=True), ag.zeros((2,), requires_grad=True)
        for t, name in ((w1, "0.weight"), (b1, "0.bias"), (w2, "2.weight"), (b2, "2.bias")):
            t.name = name
        with ag.scope("Sequential"):
            with ag.scope("0", absolute=True):
                h = x @ w1 + b1
            with ag.scope("1", absolute=True):
                h = ag.tanh(h)
            with ag.scope("2", absolute=True):
                out = h @ w2 + b2
    loss = ((out - target) ** 2).mean()
    loss.name = "loss"
    return loss


def main():
    loss = mlp_loss()
    steps = list(ag.backprop_steps(loss))
    mid = next(s for s in steps if s.op == "linear")   # the second layer, mid-backprop
    graph = mid.draw(rankdir="TB")
    for fmt in ("svg", "png"):
        path = graph.render(os.path.join(HERE, "mlp_mid_backprop"), format=fmt, cleanup=True)
        print("wrote", path, f"(step {mid.index} of {len(steps)}: {mid.op})")


if __name__ == "__main__":
    main()
