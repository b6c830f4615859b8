"""The HTML player renders its frames without Graphviz warnings on stderr (seen in the
notebooks: "0 out of 1 exterior labels positioned", "size too small for label").

The first came from edge labels Graphviz is told to leave out where they would cover a
box (the panel has every number): the frames are rendered quietly, and the test below
shows that this is all Graphviz has to say about them. The second came from fixed node
sizes measured on the last frame: the sizes are minimums now."""
import shutil
import subprocess

import numpy as np
import pytest

import autograd as ag
from autograd.viz.walkthrough import node_sizes

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="the Graphviz 'dot' program is missing")


def neuron():
    """Notebook 00's neuron (its player warned twice)."""
    x1, x2, w1, w2, b = (ag.Tensor(v, requires_grad=True, name=n) for v, n in
                         zip((2.0, 0.0, -3.0, 1.0, 6.8813735870195432),
                             ("x1", "x2", "w1", "w2", "b")))
    s = x1 * w1 + x2 * w2
    s.name = "x1w1 + x2w2"
    n = s + b
    n.name = "n"
    return ag.tanh(n)


def batch_norm_loss():
    """Notebook 06's batch norm written out (a box outgrew its fixed size there)."""
    with_dtype = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    try:
        h = np.array([[0.43, 0.41], [0.44, 0.58], [0.51, 0.58], [0.60, 0.57], [0.48, 0.49]])
        x = ag.Tensor(h, requires_grad=True, name="x")
        gamma = ag.Tensor([1.5, -0.7], requires_grad=True, name="gamma")
        beta = ag.Tensor([0.1, 0.2], requires_grad=True, name="beta")
        mu = x.mean(axis=0)
        mu.name = "mu"
        xc, xc2 = x - mu, x - mu
        xc.name, xc2.name = "x - mu (path 1)", "x - mu (path 2)"
        var = (xc2 ** 2).mean(axis=0)
        var.name = "var"
        inv = 1.0 / ag.sqrt(var + 1e-5)
        inv.name = "1/sqrt(var + eps)"
        xhat = xc * inv
        xhat.name = "x_hat"
        y = gamma * xhat + beta
        y.name = "y"
        loss = (y * ag.tensor(np.random.default_rng(0).normal(size=(5, 2)))).sum()
        loss.name = "loss"
        return loss
    finally:
        ag.set_default_dtype(with_dtype)


@pytest.mark.parametrize("build", [neuron, batch_norm_loss])
def test_play_writes_nothing_on_stderr(build, capfd):
    page = ag.viz.play(build()).html()
    assert page.count("<svg") >= 4
    out, err = capfd.readouterr()
    assert err == "" and out == ""


@pytest.mark.parametrize("build", [neuron, batch_norm_loss])
def test_graphviz_has_nothing_else_to_say_about_the_frames(build):
    loss = build()
    steps = list(ag.backprop_steps(loss, retain_graph=True))
    sizes = node_sizes(steps[-1].draw())
    said = set()
    for step in steps:
        source = step.draw(_frame={"sizes": sizes, "xlabels": True}).source
        proc = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True)
        assert proc.returncode == 0
        said.update(ln for ln in proc.stderr.decode().splitlines() if ln.strip())
    assert all("exterior labels positioned" in ln for ln in said), said
