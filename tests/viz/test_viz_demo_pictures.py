"""The demo's pictures: a readable graph SVG with its input named ``images`` and every
gradient, and next to it the HTML walk-through of that backward pass (issue 16,
point 7; issue 14, item 9)."""
import re
import shutil

import numpy as np
import pytest

import autograd as ag
import nn
from glassgrad.demo import build_model, write_graph

from svg_measure import MIN_TEXT_PX, smallest_text_px

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the Graphviz 'dot' program is not installed")


def demo_model(model, **cfg):
    ag.manual_seed(0)
    config = {"model": model, "hidden": [256], "channels": (32, 64), "fc": 128,
              "dropout": 0.3 if model == "cnn" else 0.0}
    config.update(cfg)
    return build_model(config)


def digits(model, n=4):
    x = np.random.default_rng(0).normal(size=(n, 64)).astype(np.float32)
    return (x.reshape(n, 1, 8, 8) if model == "cnn" else x), np.arange(n) % 10


@needs_dot
@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_the_demo_graph_is_readable_and_names_its_input(model, tmp_path):
    net = demo_model(model)                        # the demo's default sizes
    x, y = digits(model)
    note = write_graph(net, nn.CrossEntropyLoss(label_smoothing=0.1), x, y,
                       str(tmp_path / f"{model}_graph"), label=model.upper())
    svg = (tmp_path / f"{model}_graph.svg").read_text()
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert width * 4 / 3 < 1400                    # was ~9,700 px for the CNN
    assert smallest_text_px(svg) >= MIN_TEXT_PX
    assert ("images (windows)" if model == "cnn" else ">images<") in svg
    layer = "Conv2d(1→32, 3×3)" if model == "cnn" else "Linear(64→256)"
    assert layer in svg and "CrossEntropyLoss" in svg
    assert svg.count('fill="#d50000"') > 10        # every node's gradient, in red
    assert f"{model}_graph.html" in note and "steps" in note
    assert all(p.grad is None for p in net.parameters())      # drawing changed nothing


@needs_dot
def test_the_demo_walkthrough_is_self_contained(tmp_path):
    net = demo_model("cnn", channels=(4, 8), fc=16)
    x, y = digits("cnn", 2)
    write_graph(net, nn.CrossEntropyLoss(), x, y, str(tmp_path / "cnn_graph"), label="CNN")
    page = (tmp_path / "cnn_graph.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'class="gg-player"' in page
    steps = int(re.search(r'data-steps="(\d+)"', page).group(1))
    assert steps > 20 and page.count("<svg ") == steps          # one inline picture each
    assert page.count('class="gg-panel"') == steps
    # nothing is loaded from anywhere: no external scripts, styles, images or fonts
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "@import" not in page and "url(http" not in page
    assert "ArrowRight:" in page and "keydown" in page
    assert "Conv2d(1→4, 3×3)" in page


def test_without_graphviz_the_demo_writes_dot_text(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    net = demo_model("mlp", hidden=[8])
    x, y = digits("mlp", 2)
    note = write_graph(net, nn.CrossEntropyLoss(), x, y, str(tmp_path / "g"))
    assert "not installed" in note and "digraph" in (tmp_path / "g.dot").read_text()
    assert not (tmp_path / "g.html").exists()
