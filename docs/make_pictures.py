"""Regenerate the pictures under docs/ (needs the Graphviz `dot` program):

    python docs/make_pictures.py

* ``circuit.svg``: the lecture's f = (x + y)·z with every wire's value and gradient
  (README, visualizing.md);
* ``mlp_mid_backprop.{svg,png}``: a 2-layer MLP's graph halfway through backprop;
* ``backprop_walkthrough.html``: the same MLP's backward pass as a self-contained
  HTML player (open it in any browser; ← → step);
* ``grad_flow.svg``: gradient norms drawn as edge widths, a deep sigmoid MLP (left)
  next to a ReLU + BatchNorm one (right).
"""
import os
import re

import numpy as np

import autograd as ag
import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def circuit():
    """f = (x + y)·z at x = 1, y = -3, z = 4 (the lecture's example)."""
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    y = ag.Tensor(-3.0, requires_grad=True, name="y")
    z = ag.Tensor(4.0, requires_grad=True, name="z")
    q = x + y
    q.name = "q"
    f = q * z
    f.name = "f"
    return f


def mlp_loss():
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(4, 3)), name="x")
    target = ag.Tensor(rng.normal(size=(4, 2)), name="target")
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    loss = ((model(x) - target) ** 2).mean()
    loss.name = "loss"
    return loss


def deep_loss(activation, batchnorm, depth=8):
    ag.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(16, 16)] + ([nn.BatchNorm1d(16)] if batchnorm else [])
        layers.append(activation())
    model = nn.Sequential(*layers, nn.Linear(16, 1))
    x = ag.tensor(np.random.default_rng(0).normal(size=(32, 16)).astype(np.float32))
    x.name = "x"
    loss = (model(x) ** 2).mean()
    loss.name = "loss"
    return loss


def side_by_side(left, right, path):
    """Two SVG drawings next to each other in one SVG file."""
    def parts(svg):
        w, h = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"',
                                             svg).groups())
        body = svg[svg.index("<svg"):]           # units of the outer picture: no "pt"
        body = re.sub(r'width="([\d.]+)pt" height="([\d.]+)pt"', r'width="\1" height="\2"',
                      body, count=1)
        return w, h, body
    (w1, h1, a), (w2, h2, b) = parts(left), parts(right)
    b = b.replace("<svg ", f'<svg x="{w1 + 20:.0f}" ', 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w1 + w2 + 20:.0f}pt" '
                f'height="{max(h1, h2):.0f}pt" viewBox="0 0 {w1 + w2 + 20:.0f} '
                f'{max(h1, h2):.0f}">{a}{b}</svg>\n')


def main():
    f = circuit()
    ag.draw_graph(f, grads="all", style="circuit").render(
        os.path.join(HERE, "circuit"), format="svg", cleanup=True)
    print("wrote docs/circuit.svg")

    loss = mlp_loss()
    steps = list(ag.backprop_steps(loss, retain_graph=True))
    mid = next(s for s in steps if s.op == "linear")   # the second layer, mid-backprop
    for fmt in ("svg", "png"):
        mid.draw().render(os.path.join(HERE, "mlp_mid_backprop"), format=fmt, cleanup=True)
    print(f"wrote docs/mlp_mid_backprop.svg/.png (step {mid.index} of {len(steps)})")

    walk = ag.viz.play(mlp_loss(), title="Backprop through a 2-layer MLP "
                                         "(Linear 3→5, Tanh, Linear 5→2, MSE)")
    walk.export_html(os.path.join(HERE, "backprop_walkthrough.html"))
    print(f"wrote docs/backprop_walkthrough.html ({len(walk)} steps)")

    pictures = [ag.draw_graph(deep_loss(act, bn), grad_flow=True,
                              title=f"{title}: gradient norm per edge").svg()
                for act, bn, title in ((nn.Sigmoid, False, "8 x (Linear, Sigmoid)"),
                                       (nn.ReLU, True, "8 x (Linear, BatchNorm, ReLU)"))]
    side_by_side(*pictures, os.path.join(HERE, "grad_flow.svg"))
    print("wrote docs/grad_flow.svg")


if __name__ == "__main__":
    main()
