"""DOT text: labels, kinds, colours, legend, clusters, collapse, truncation, stable ids."""
import re

import numpy as np
import pytest

import autograd as ag
from autograd.viz import dot as dotmod
from autograd.viz import trace


class Parameter(ag.Tensor):
    """Stands in for nn.Parameter: flagged as nn.Parameter is (never by class name)."""

    _is_param = True


def node_line(text, key):
    """The DOT statement that declares node ``key``."""
    lines = [ln for ln in text.splitlines() if ln.strip().startswith(f'"{key}" [')]
    assert len(lines) == 1, f"node {key} declared {len(lines)} times"
    return lines[0]


def small_graph():
    a = ag.Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = ag.Tensor([3.14159, -2.0], requires_grad=True, name="b")
    c = a * b
    loss = (c + 1.0).sum()
    loss.name = "loss"
    return a, b, c, loss


def test_trace_nodes_edges_and_kinds():
    a, b, c, loss = small_graph()
    g = trace(loss)
    keys = list(g.tensors)
    assert keys[0] == f"t{loss._index}"                # roots first, then breadth first
    assert set(keys) == {f"t{t._index}" for t in (a, b, c, loss)} | {keys[1]}
    assert g.kind(f"t{loss._index}") == "root"
    assert g.kind(f"t{c._index}") == "op"
    assert g.kind(f"t{a._index}") == "leaf"
    (const_key,) = list(g.constants)                  # the 1.0 in c + 1.0
    assert g.kind(const_key) == "const"
    assert (f"t{a._index}", f"t{c._index}", 0) in g.edges
    assert (f"t{b._index}", f"t{c._index}", 1) in g.edges
    with pytest.raises(ValueError, match="at least one root"):
        trace()


def test_labels_show_name_op_shape_value_and_grad():
    a, b, c, loss = small_graph()
    loss.backward()
    text = ag.to_dot(loss)
    la = node_line(text, f"t{a._index}")
    assert "<b>a</b>" in la and "(2,)" in la and "[1, 2]" in la
    assert "float32" not in la and f" #{a._index}<" not in la      # only when asked
    assert '<font color="#d50000">grad [3.142, -2]' in la        # a.grad == b, in red
    lb = node_line(text, f"t{b._index}")
    assert "3.142" in lb                                         # >= 3 significant figures
    lc = node_line(text, f"t{c._index}")
    assert "<b>mul</b>" in lc and "[3.142, -4]" in lc
    ll = node_line(text, f"t{loss._index}")
    assert "<b>loss</b> = sum" in ll and "peripheries=2" in ll
    assert "()" not in ll                                        # no shape row for scalars
    asked = ag.to_dot(loss, show_ids=True, show_dtype=True)
    assert f"(2,) float32 #{a._index}" in node_line(asked, f"t{a._index}")
    assert f"() float32 #{loss._index}" in node_line(asked, f"t{loss._index}")
    # switches
    off = ag.to_dot(loss, show_data=False, show_grad=False)
    assert "3.142" not in off and "grad" not in node_line(off, f"t{a._index}")
    assert "(2,)" in node_line(off, f"t{a._index}")
    nograd = ag.to_dot(loss, show_grad=False)
    assert "#d50000\">grad " not in nograd and "[1, 2]" in nograd


def test_small_arrays_are_aligned_matrices_and_noise_prints_as_zero():
    m = ag.Tensor(np.array([[1.0, -2.5, 3.0], [10.0, 6e-18, 0.25]]), requires_grad=True,
                  name="m")
    text = ag.to_dot((m * 2.0).sum())
    line = node_line(text, f"t{m._index}")
    cells = re.findall(r'<td align="right">&nbsp;([^<]*)</td>', line)
    assert cells == ["1", "-2.5", "3", "10", "0", "0.25"]       # 6e-18 beside 10 is noise
    assert line.count("<tr><td align") == 2                     # two rows, one per matrix row
    five = ag.Tensor(np.arange(25.0).reshape(5, 5), requires_grad=True)
    assert "24" in node_line(ag.to_dot(five.sum()), f"t{five._index}")   # 5x5 in full
    six = ag.Tensor(np.arange(30.0).reshape(5, 6), requires_grad=True)
    assert "min 0  max 29" in node_line(ag.to_dot(six.sum()), f"t{six._index}")
    wide = ag.to_dot(six.sum(), max_full=(5, 6))                 # configurable
    assert "min 0" not in node_line(wide, f"t{six._index}")
    old_rule = ag.to_dot(six.sum(), max_full=30)                 # an element count
    assert "min 0" not in node_line(old_rule, f"t{six._index}")
    with pytest.raises(ValueError, match="max_full"):
        ag.to_dot(six.sum(), max_full="big")


def test_large_tensors_are_summarised_with_min_mean_max():
    x = ag.Tensor(np.arange(100, dtype=np.float64).reshape(10, 10) / 7, requires_grad=True)
    text = ag.to_dot((x * 2).sum())
    line = node_line(text, f"t{x._index}")
    assert "(10, 10)" in line
    assert "min 0  max 14.14<br/>mean 7.071" in line
    assert re.search(r"\[\[0, 0\.1429", text) is None
    noisy = ag.Tensor(np.array([1.0, -1.0] * 20) + np.array([3e-17] * 40), requires_grad=True)
    assert "mean 0" in node_line(ag.to_dot(noisy.sum()), f"t{noisy._index}")


def test_kinds_have_distinct_fills_and_legend_lists_them():
    x = ag.Tensor(np.ones((2, 3)), name="x")                      # data: no grad
    w = Parameter(np.ones((3, 2)), requires_grad=True, name="w")
    w2 = ag.Tensor(np.ones((3, 2)), requires_grad=True)
    v = ag.Tensor(np.ones(2), requires_grad=True, name="v")        # plain leaf
    loss = ((x @ w) * v).sum() + (x @ w2).sum()
    text = ag.to_dot(loss)
    fills = {kind: dotmod.FILL[kind] for kind in ("root", "param", "leaf", "const", "op")}
    assert len(set(fills.values())) == 5
    assert f'fillcolor="{fills["param"]}"' in node_line(text, f"t{w._index}")
    assert f'fillcolor="{fills["leaf"]}"' in node_line(text, f"t{v._index}")
    assert f'fillcolor="{fills["leaf"]}"' in node_line(text, f"t{w2._index}")
    cx = node_line(text, f"t{x._index}")
    assert f'fillcolor="{fills["const"]}"' in cx and "dashed" in cx
    assert f'fillcolor="{fills["root"]}"' in node_line(text, f"t{loss._index}")
    assert "legend" not in text                                   # off by default
    text = ag.to_dot(loss, legend=True)
    legend = [ln for ln in text.splitlines() if ln.strip().startswith("legend [")]
    assert len(legend) == 1
    for word in ("root", "op result", "parameter", "leaf, requires grad",
                 "constant / no grad", "value (black)", "gradient (red)"):
        assert word in legend[0]
    assert "legend" not in ag.to_dot(loss, legend=False)


def test_flag_is_param_marks_a_parameter():
    class Weight(ag.Tensor):
        _is_param = True
    w = Weight(np.ones(2), requires_grad=True)
    text = ag.to_dot((w * 2).sum())
    assert dotmod.FILL["param"] in node_line(text, f"t{w._index}")


def test_nn_parameter_is_drawn_as_a_parameter():
    import nn
    w = nn.Parameter(np.ones(2))
    text = ag.to_dot((w * 2).sum())
    assert dotmod.FILL["param"] in node_line(text, f"t{w._index}")


def test_node_ids_are_creation_indices_not_ids():
    a, b, c, loss = small_graph()
    text = ag.to_dot(loss)
    ids = set(re.findall(r'^\t"(t\d+|c\d+_\d+)" \[', text, flags=re.M))
    assert {f"t{t._index}" for t in (a, b, c, loss)} <= ids
    assert str(id(a)) not in text
    # the same program gives the same text up to the shift of the global counter
    a2, b2, c2, loss2 = small_graph()
    shift = a2._index - a._index
    def bump(m):
        return m.group(1) + str(int(m.group(2)) + shift)
    renumber = re.sub(r'("[tc])(\d+)', bump, text)
    assert renumber == ag.to_dot(loss2)


def test_names_are_escaped():
    a = ag.Tensor([1.0], requires_grad=True, name='<x & "y">')
    text = ag.to_dot((a * a).sum())
    assert "&lt;x &amp; &quot;y&quot;&gt;" in text
    assert '<x & "y">' not in text


def mlp_in_scopes():
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.normal(size=(4, 3)), name="x")
    with ag.scope("model"):
        with ag.scope("encoder"):
            with ag.scope("fc1"):
                w1 = Parameter(rng.normal(size=(3, 5)), requires_grad=True,
                               name="model.encoder.fc1.weight")
                h = ag.tanh(x @ w1)
        with ag.scope("head"):
            w2 = Parameter(rng.normal(size=(5, 2)), requires_grad=True,
                           name="model.head.weight")
            out = h @ w2
    loss = (out * out).mean()
    return x, w1, h, w2, out, loss


def test_clusters_are_nested_and_named_by_full_path():
    x, w1, h, w2, out, loss = mlp_in_scopes()
    text = ag.to_dot(loss)
    for path in ("model", "model.encoder", "model.encoder.fc1", "model.head"):
        assert f'subgraph "cluster_{path}" {{' in text
        assert f"label=<<b>{path}</b>>" in text
    lines = text.splitlines()

    def at(s):
        return next(i for i, ln in enumerate(lines) if s in ln)

    def close_of(start):
        depth = 0
        for i in range(start, len(lines)):
            depth += lines[i].count("{") - lines[i].count("}")
            if depth == 0:
                return i
    enc = at('"cluster_model.encoder"')
    fc1 = at('"cluster_model.encoder.fc1"')
    model = at('"cluster_model"')
    assert model < enc < fc1 <= close_of(fc1) < close_of(enc) < close_of(model)
    # h (tanh) and the parameter w1 are inside fc1; x and the loss are outside all
    assert fc1 < at(f'"t{h._index}" [') < close_of(fc1)
    assert fc1 < at(f'"t{w1._index}" [') < close_of(fc1)
    assert at(f'"t{x._index}" [') < model
    assert at(f'"t{loss._index}" [') < model
    head = at('"cluster_model.head"')
    assert head < at(f'"t{w2._index}" [') < close_of(head)
    assert "cluster" not in ag.to_dot(loss, group_modules=False)


def test_collapse_draws_deep_modules_as_boxes():
    x, w1, h, w2, out, loss = mlp_in_scopes()
    text = ag.to_dot(loss, collapse=1)
    # depth 1 ("model") stays a cluster; depth 2 modules become one box each
    assert 'subgraph "cluster_model" {' in text
    assert '"cluster_model.encoder"' not in text
    assert '"module:model.encoder" [' in text and '"module:model.head" [' in text
    assert f'"t{h._index}" [' not in text and f'"t{w1._index}" [' not in text
    assert f'"t{x._index}" -> "module:model.encoder"' in text
    assert '"module:model.encoder" -> "module:model.head"' in text
    assert "box3d" in text
    top = ag.to_dot(loss, collapse=0)
    assert '"module:model" [' in top and "cluster_model" not in top
    square = loss.grad_fn.inputs[0].grad_fn.inputs[0]          # out * out, outside model
    assert square.grad_fn.name == "mul"
    assert f'"module:model" -> "t{square._index}"' in top
    with pytest.raises(ValueError, match="collapse"):
        ag.to_dot(loss, collapse=-1)


def test_max_nodes_truncates_with_a_note():
    x = ag.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50):
        y = ag.sin(y)
    text = ag.to_dot(y, max_nodes=10)
    assert len(re.findall(r'^\t"t\d+" \[', text, flags=re.M)) == 10
    assert "41 more nodes not drawn (max_nodes=10)" in text
    kept = y
    for _ in range(9):
        kept = kept.grad_fn.inputs[0]
    assert f'truncated -> "t{kept._index}"' in text           # the cut is marked
    assert "truncated" not in ag.to_dot(y, max_nodes=None)
    with pytest.raises(ValueError, match="max_nodes"):
        ag.to_dot(y, max_nodes=0)


def test_size_rankdir_and_title_options():
    a, b, c, loss = small_graph()
    text = ag.to_dot(loss, rankdir="TB", size="7,5", title="my graph")
    head = text.splitlines()[1]
    assert "rankdir=TB" in head and 'size="7,5"' in head and "label=<my graph>" in head
    assert "rankdir=LR" in ag.to_dot(loss, rankdir="LR").splitlines()[1]   # still works
    with pytest.raises(ValueError, match="rankdir"):
        ag.to_dot(loss, rankdir="XY")


def test_draw_graph_is_a_digraph_with_the_same_source():
    import graphviz
    a, b, c, loss = small_graph()
    g = ag.draw_graph(loss, rankdir="TB")
    assert isinstance(g, graphviz.Digraph)
    assert g.source == ag.to_dot(loss, rankdir="TB")
    png = ag.draw_graph(loss, format="png")
    assert png.format == "png" and png._jupyter_mimetype == "image/png"
    with pytest.raises(ValueError, match="format"):
        ag.draw_graph(loss, format="bmp")


def test_summary_formats():
    from autograd.viz import summarize
    assert summarize(np.array(2.0)) == "2"
    assert summarize(np.array([[1.0, 2.5], [3.0, 4.0]])) == "[[1, 2.5], [3, 4]]"
    assert summarize(np.array([1e-7, 123456.0])) == "[1e-07, 1.235e+05]"
    assert summarize(np.array([1, 2, 3], dtype=np.int64)) == "[1, 2, 3]"
    big = np.arange(10.0)
    big[3] = np.nan
    assert summarize(big) == "min 0  mean 4.667  max 9  (1 NaN/inf)"
    assert summarize(np.zeros(10, bool)) == "0 of 10 True"
    assert summarize(np.zeros((0, 3))) == "[] (empty)"
