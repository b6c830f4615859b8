"""Gradient flow at a glance (issue 16, point 4): a 20-layer sigmoid MLP next to a
ReLU + BatchNorm one. Vanishing gradients must show: the sigmoid net's edges get
thinner and paler towards the input by orders of magnitude, the other's stay thick."""
import re
import shutil

import numpy as np
import pytest

import autograd as ag
from autograd.tensor import quiet_grad
import nn
from autograd.viz.flow import DECADES, MAX_WIDTH, MIN_WIDTH, FlowScale

DEPTH = 20


def deep_net(activation, batchnorm):
    layers = []
    for _ in range(DEPTH):
        layers.append(nn.Linear(16, 16))
        if batchnorm:
            layers.append(nn.BatchNorm1d(16))
        layers.append(activation())
    layers.append(nn.Linear(16, 1))
    return nn.Sequential(*layers)


def flow_picture(activation, batchnorm, **options):
    ag.manual_seed(0)
    model = deep_net(activation, batchnorm)
    x = ag.tensor(np.random.default_rng(0).normal(size=(32, 16)).astype(np.float32))
    x.name = "x"
    loss = (model(x) ** 2).mean()
    loss.name = "loss"
    return ag.to_dot(loss, grad_flow=True, **options), model, loss


def edge_width(text, src, dst):
    """(penwidth, colour) of the edge between two drawn nodes."""
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(f'"{src}" -> "{dst}"'))
    width = float(re.search(r"penwidth=([\d.]+)", line).group(1))
    return width, re.search(r'color="(#[0-9a-f]{6})"', line).group(1)


def layer_widths(text, n_modules, per_layer):
    """Widths of the edges out of each Linear box (into the next module), input first."""
    out = []
    for layer in range(DEPTH):
        k = layer * per_layer
        out.append(edge_width(text, f"module:{k}", f"module:{k + 1}"))
    return out


def test_vanishing_gradients_show_in_width_and_colour():
    sig, _, sig_loss = flow_picture(nn.Sigmoid, False)
    relu, _, _ = flow_picture(nn.ReLU, True)
    sig_w = layer_widths(sig, 2 * DEPTH + 1, 2)
    relu_w = layer_widths(relu, 3 * DEPTH + 1, 3)
    # sigmoid: the gradient shrinks (sigmoid' <= 1/4) layer after layer towards the input
    widths = [w for w, _ in sig_w]
    assert widths[-1] > 5.0 and widths[0] == MIN_WIDTH        # 8+ decades below: a hairline
    assert all(a <= b for a, b in zip(widths, widths[1:]))      # monotone towards the loss
    assert len({c for _, c in sig_w}) >= 6                      # colours run down the scale
    # ReLU + BatchNorm: every layer within 2 decades of the largest (sigmoid: > 8)
    widths = [w for w, _ in relu_w]
    assert min(widths) > MAX_WIDTH - (MAX_WIDTH - MIN_WIDTH) * 2 / DECADES
    assert max(widths) - min(widths) < 2.0
    assert sig_w[0][1] != relu_w[0][1]                          # first layers: other colours
    # the scale is in the legend, with absolute norms
    legend = next(ln for ln in sig.splitlines() if ln.strip().startswith("legend ["))
    assert "gradient norm" in legend and "(largest)" in legend and "or less" in legend
    assert "legend" not in ag.to_dot(sig_loss, grad_flow=True, legend=False)
    assert not sig_loss.requires_grad or quiet_grad(sig_loss) is None  # drawing changed nothing


def test_flow_widths_follow_the_norms_of_what_flowed_back():
    x = ag.Tensor(np.ones(4), requires_grad=True, name="x")
    small = x * 1e-3
    big = x * 10.0
    loss = (small + big).sum()
    text = ag.to_dot(loss, grad_flow=True, collapse=None)
    w_big, c_big = edge_width(text, f"t{x._index}", f"t{big._index}")
    w_small, c_small = edge_width(text, f"t{x._index}", f"t{small._index}")
    assert w_big == MAX_WIDTH and w_small < w_big and c_small != c_big
    scale = FlowScale([20.0, 2e-3])                  # ‖10·1‖ = 20, ‖1e-3·1‖ = 2e-3
    assert w_small == scale.width(2e-3) and scale.decades_below(2e-3) == pytest.approx(4)
    assert 'style=dashed' in next(ln for ln in text.splitlines()   # no gradient: dashed
                                  if ln.strip().startswith(f'"c{big._index}_1" ->'))
    assert x.grad is None


def test_flow_in_a_step_shows_what_has_flowed_so_far():
    x = ag.Tensor(np.ones(3), requires_grad=True, name="x")
    h = ag.tanh(x * 2.0)
    loss = (h * h).sum()
    steps = list(ag.backprop_steps(loss))
    early = steps[0].draw(grad_flow=True).source          # only the sum has pushed back
    late = steps[-1].draw(grad_flow=True).source
    def edge(text, a, b):
        return next(ln for ln in text.splitlines() if ln.strip().startswith(f'"t{a}" -> "t{b}"'))
    assert "dashed" in edge(early, x._index, h.grad_fn.inputs[0]._index)
    assert "dashed" not in edge(late, x._index, h.grad_fn.inputs[0]._index)


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is missing")
def test_flow_pictures_render():
    text, _, loss = flow_picture(nn.Sigmoid, False)
    svg = ag.draw_graph(loss, grad_flow=True).svg()
    assert "gradient norm" in svg and 'stroke-width="7"' in svg
