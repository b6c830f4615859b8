"""The notebooks' pictures stay readable in a 1,000-px column (issue 16, point 2).

The five models are built here as the notebooks build them (MLP on digits, the CNN,
batch norm written with primitives, a 3-step RNN in scopes, a transformer block).
Each picture is rendered to SVG and measured as a notebook would show it
(``svg_measure``): the smallest text must still be at least 9 px high.
"""
import shutil

import numpy as np
import pytest

import autograd as ag
import nn
from svg_measure import MIN_TEXT_PX, smallest_text_px

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="the Graphviz 'dot' program is not installed")


@pytest.fixture(autouse=True)
def seeded():
    old = ag.get_default_dtype()
    ag.manual_seed(0)
    yield
    ag.set_default_dtype(old)


def mlp():
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    x = ag.tensor(np.random.default_rng(0).random((1, 64)))
    loss = nn.CrossEntropyLoss()(model(x), ag.tensor(np.array([3])))
    loss.backward()
    return loss, model


def cnn():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10))
    x = ag.tensor(np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32))
    loss = nn.CrossEntropyLoss()(model(x), ag.tensor(np.array([3, 4])))
    loss.backward()
    return loss, model


def batchnorm():
    ag.set_default_dtype(np.float64)
    H = np.random.default_rng(0).normal(size=(5, 2))
    xs = ag.tensor(H, requires_grad=True)
    xs.name = "x"
    g = ag.randn(5, 2)
    mu = xs.mean(axis=0)
    mu.name = "mu"
    var = ((xs - mu) ** 2).mean(axis=0)
    var.name = "var"
    xhat = (xs - mu) / ag.sqrt(var + 1e-5)
    xhat.name = "x_hat"
    loss = (xhat * g).sum()
    loss.name = "loss"
    loss.backward()
    return loss, None


def rnn():
    ag.set_default_dtype(np.float64)
    W_ih = ag.randn(1, 3, requires_grad=True)
    W_ih.name = "W_ih"
    W_hh = (0.5 * ag.randn(3, 3)).requires_grad_()
    W_hh.name = "W_hh"
    w_out = ag.randn(3, 1, requires_grad=True)
    w_out.name = "w_out"
    h = ag.zeros((1, 3))
    h.name = "h0"
    for t, v in enumerate((1.0, -0.5, 2.0), start=1):
        with ag.scope(f"t{t}"):
            h = ag.tanh(ag.tensor([[v]]) @ W_ih + h @ W_hh)
            h.name = f"h{t}"
    loss = (h @ w_out).sum()
    loss.name = "loss"
    loss.backward()
    return loss, None


def transformer():
    ag.set_default_dtype(np.float64)
    block = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0,
                                       batch_first=True)
    tokens = ag.randn(2, 6, 16, requires_grad=True)
    y = block(tokens)
    loss = (y * ag.randn(*y.shape)).sum()
    loss.name = "loss"
    loss.backward()
    return loss, block


# the notebooks' own calls (collapse=0 for the CNN and the transformer), and the defaults
NOTEBOOK_OPTIONS = {mlp: {}, cnn: {"collapse": 0}, batchnorm: {}, rnn: {},
                    transformer: {"collapse": 0}}


@needs_dot
@pytest.mark.parametrize("build", list(NOTEBOOK_OPTIONS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("how", ["default", "notebook"])
def test_text_stays_at_least_9px_in_a_1000px_column(build, how):
    loss, _ = build()
    options = NOTEBOOK_OPTIONS[build] if how == "notebook" else {}
    svg = ag.draw_graph(loss, **options).svg()
    px = smallest_text_px(svg)
    assert px >= MIN_TEXT_PX, f"{build.__name__}: smallest text {px:.1f} px"


@needs_dot
def test_the_old_layout_was_not_readable():
    """The measure would have failed before: left to right, legend, ids and dtypes."""
    loss, _ = transformer()
    svg = ag.draw_graph(loss, rankdir="LR", collapse=0, legend=True, show_ids=True,
                        show_dtype=True).svg()
    assert smallest_text_px(svg) < MIN_TEXT_PX


def test_layout_direction_is_chosen_by_shape():
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    y = ag.Tensor(-3.0, requires_grad=True, name="y")
    small = (x + y) * x                                        # fits a column left to right
    assert "rankdir=LR" in ag.to_dot(small)
    loss, _ = batchnorm()                                      # a deep chain: top to bottom
    assert "rankdir=TB" in ag.to_dot(loss)
    wide = ag.stack([ag.Tensor(float(k), requires_grad=True) * x
                     for k in range(12)]).sum()               # wide and shallow
    assert "rankdir=LR" in ag.to_dot(wide, max_full=1)
    assert "rankdir=TB" in ag.to_dot(small, rankdir="TB")      # asked for: kept


def test_clusters_are_titled_like_pytorch_reprs_with_their_full_path():
    loss, _ = cnn()
    text = ag.to_dot(loss, collapse=None)
    assert 'subgraph "cluster_0" {' in text
    assert "label=<<b>0</b>&nbsp;&nbsp;Conv2d(1→8, 3×3)>" in text
    assert "Linear(64→10)" in text and "MaxPool2d(2×2)" in text
    folded = ag.to_dot(loss, collapse=0)
    box = next(ln for ln in folded.splitlines() if ln.strip().startswith('"module:3" ['))
    assert "<b>3</b>&nbsp;&nbsp;Conv2d(8→16, 3×3)" in box and "out (2, 16, 4, 4)" in box
    nested = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 1))
    out = nested(ag.tensor(np.ones((2, 3), np.float32))).sum()
    text = ag.to_dot(out, collapse=None)
    assert 'subgraph "cluster_0.0" {' in text and "<b>0.0</b>&nbsp;&nbsp;Linear(3→4)" in text
    assert "<b>0</b>&nbsp;&nbsp;Sequential>" in text
    lone = nn.Linear(3, 2)(ag.tensor(np.ones((1, 3), np.float32))).sum()
    assert "label=<<b>Linear(3→2)</b>>" in ag.to_dot(lone)


def test_descriptions_survive_the_model_and_keep_scopes_plain_strings():
    import copy
    loss, model = mlp()
    node = loss.grad_fn.inputs[0].grad_fn
    assert node.scope == "CrossEntropyLoss" and isinstance(node.scope, str)
    first = [t for t in ag.viz.trace(loss).tensors.values()
             if t.grad_fn is not None and t.grad_fn.scope == "0"][0]
    assert first.grad_fn.scope.describe() == "Linear(64→64)"
    del model
    import gc
    gc.collect()
    assert "Linear(64→64)" in ag.to_dot(loss, collapse=None)     # written at naming time
    assert type(copy.deepcopy(first.grad_fn.scope)) is str


def test_collapse_auto_folds_only_big_graphs_and_never_the_root():
    loss, _ = mlp()
    assert "module:" not in ag.to_dot(loss)                     # 13 boxes: drawn in full
    big = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(12)])
    out = big(ag.tensor(np.ones((2, 4), np.float32)))
    loss = (out * out).sum()
    loss.name = "loss"
    text = ag.to_dot(loss)
    assert '"module:0.0" [' in text and '"module:11.1" [' in text   # deepest level kept
    assert 'subgraph "cluster_3" {' in text
    assert f'"t{loss._index}" [' in text                            # the root stays a box
    assert '"module:0" [' in ag.to_dot(loss, collapse=0)
    assert "module:" not in ag.to_dot(loss, collapse=None)
    lone = nn.CrossEntropyLoss()(ag.randn(3, 4, requires_grad=True),
                                 ag.tensor(np.array([0, 1, 2])))
    text = ag.to_dot(lone, collapse=0)
    assert f'"t{lone._index}" [' in text and '"module:CrossEntropyLoss" [' in text


def test_unnamed_inputs_are_named_after_the_argument_they_feed():
    x = ag.tensor(np.ones((2, 3), np.float32))
    layer = nn.Linear(3, 2)
    out = layer(x).sum()
    line = next(ln for ln in ag.to_dot(out).splitlines() if f'"t{x._index}" [' in ln)
    assert "<b>x</b>" in line and "of linear" in line
    a = ag.Tensor(2.0, requires_grad=True, name="a")
    text = ag.to_dot((a * 3.0) ** 2.0)
    assert "<b>b</b>" in text and "of mul" in text and "of pow" in text
    named = ag.tensor(np.ones((1, 1, 4, 4), np.float32))
    named.name = "images"
    conv = nn.Conv2d(1, 2, 3)(named).sum()
    assert "<b>images (windows)</b>" in ag.to_dot(conv, collapse=None)
