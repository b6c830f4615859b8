"""DOT that Graphviz accepts for ANY tensor name, scope path or title (issue 13, item 10).

Names go everywhere a picture shows them: a leaf's and an op result's box, a module
cluster (its id and title), a collapsed module's box, a step's caption, the circuit
style's wires and the title. Graphviz's ``dot`` must accept every one of them.
"""
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd.viz.text import clean

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="the Graphviz 'dot' program is not installed")

NASTY = ["]", "]]", "\t", "\n", " ", "\r\n", "\x00", "\x0c", "\x1b[31mred\x1b[0m", "\x7f", "\x85",
         "a\"b", "a\\b", "\\", "\\N", "\\G\\l", "<&>", "</b>", "]]>", "-->", "&amp;",
         "\ufffe", "\uffff", "\ud800", "x" * 5000, "é中🙂", "\u202e", "{}", "a.b..c", "."]
names = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=()), max_size=40),     # any code point
    st.text(st.sampled_from("\x00\x01\x1b\t\n\x0c \\\"'<>&.[]{}#;=-é\ud83d"), max_size=12))


def accepts(dot_text):
    """Run Graphviz on the text; return its stderr if it refused, else None."""
    proc = subprocess.run(["dot", "-Tsvg"], input=dot_text.encode("utf-8"),
                          capture_output=True, timeout=60)
    if proc.returncode != 0 or b"Error" in proc.stderr:
        return proc.stderr.decode("utf-8", "replace")
    return None


def graph_named(name):
    """A small graph with ``name`` on a leaf, an op result, a scope and a module."""
    a = ag.Tensor([1.0, -2.0], requires_grad=True, name=name)
    b = ag.Tensor(3.0, requires_grad=True)
    scope = name if name else "s"
    with ag.scope(scope):
        with ag.scope("inner"):
            h = ag.tanh(a * b)
    h.name = name
    loss = (h * h).sum()
    loss.name = name
    return loss


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names)
@example(name="]")
@example(name="\t")
@example(name="\x00")
@example(name="\x1b[1;32mok\x1b[0m")
def test_dot_accepts_any_name(name):
    loss = graph_named(name)
    texts = {
        "boxes": ag.to_dot(loss, title=name, legend=True),
        "collapsed": ag.to_dot(loss, collapse=0),
        "circuit": ag.to_dot(loss, style="circuit", grads="all"),
    }
    steps = list(ag.backprop_steps(loss, retain_graph=True))
    texts["step"] = steps[-1].draw(collapse=1).source
    for mode, text in texts.items():
        text.encode("utf-8")                      # no lone surrogates left
        problem = accepts(text)
        assert problem is None, f"{mode}: dot refused the name {name!r}: {problem}"


def test_names_stay_readable():
    assert clean("loss") == "loss" and clean("h₁ = σ(x)") == "h₁ = σ(x)"
    assert clean("\t") == "'\\t'" and clean("") == "''"            # blank: shown quoted
    assert clean("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"    # escapes, as repr does
    assert clean("a\nb") == "a\\nb" and clean("\x00") == "\\x00"
    assert len(clean("x" * 5000)) == 60 and clean("x" * 5000).endswith("…")
    loss = graph_named("\x1b[31mred\x1b[0m")
    svg = ag.draw_graph(loss, collapse=None).svg()
    assert "\\x1b[31mred\\x1b[0m" in svg
    assert "red" in ag.draw_graph(graph_named("red"), collapse=None).svg()


def test_cluster_ids_stay_distinct_for_distinct_paths():
    x = ag.Tensor(1.0, requires_grad=True)
    with ag.scope("a\x00"):
        y = x * 2.0
    with ag.scope("a\\x00"):
        z = y * 3.0
    text = ag.to_dot(z, collapse=None)
    assert text.count("subgraph ") == 2
    assert accepts(text) is None
