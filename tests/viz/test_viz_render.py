"""Rendering with the Graphviz program (skipped without it) and the missing-program error."""
import shutil

import pytest

import autograd as ag
from autograd.viz import GraphvizNotFoundError

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz 'dot' program is not installed")


def graph():
    a = ag.Tensor([1.0, 2.0], requires_grad=True, name="a")
    with ag.scope("block"):
        y = ag.tanh(a * 3.0)
    loss = y.sum()
    loss.backward(retain_graph=True)
    return a, y, loss


@needs_dot
def test_svg_rendering_contains_labels_clusters_and_red_gradients():
    a, y, loss = graph()
    svg = ag.draw_graph(loss).svg()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">tanh</text>" in svg and ">a</text>" in svg
    assert "cluster_block" in svg and ">block</text>" in svg
    assert 'fill="#d50000"' in svg                    # gradient text is red
    bundle = ag.draw_graph(loss)._repr_mimebundle_()
    assert "image/svg+xml" in bundle


@needs_dot
def test_png_format_for_big_graphs():
    a, y, loss = graph()
    g = ag.draw_graph(loss, format="png")
    assert g.png().startswith(b"\x89PNG")
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/png"] and bundle["image/png"].startswith(b"\x89PNG")


@needs_dot
def test_render_to_file(tmp_path):
    a, y, loss = graph()
    out = ag.draw_graph(loss).render(tmp_path / "g", format="svg")
    assert (tmp_path / "g.svg").exists() and out.endswith("g.svg")


def test_missing_dot_gives_install_instructions_and_to_dot_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))          # an empty dir: no `dot` anywhere
    a, y, loss = graph()
    text = ag.to_dot(loss)
    assert text.startswith("digraph G {") and "tanh" in text
    g = ag.draw_graph(loss)
    assert g.source == text
    for render in (g.svg, g.png, lambda: g._repr_mimebundle_(),
                   lambda: g.render(tmp_path / "x")):
        with pytest.raises(GraphvizNotFoundError) as info:
            render()
        msg = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz",
                     "conda install graphviz", "to_dot"):
            assert hint in msg
    import graphviz
    assert issubclass(GraphvizNotFoundError, graphviz.ExecutableNotFound)
    assert issubclass(GraphvizNotFoundError, RuntimeError)


def test_missing_dot_in_a_step_drawing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    a = ag.Tensor(2.0, requires_grad=True)
    step = next(ag.backprop_steps(a * a))
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        step.draw().svg()
