"""With the default float32, layers, losses and functional forms stay float32 even when
options (class weights, pos_weight, running stats, NumPy targets) come as float64
NumPy arrays; and a small model trains."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


pytestmark = pytest.mark.usefixtures("float32")

W3 = np.array([1.0, 2.0, 0.5])
T = np.array([0, 2, 1, 1])


def _cases():
    x = ag.randn(4, 3, requires_grad=True)
    y = ag.rand(4, 3)
    y64 = y.data.astype(np.float64)
    return x, [
        ("cross_entropy", lambda: F.cross_entropy(x, T, weight=W3, label_smoothing=0.1)),
        ("cross_entropy-probs", lambda: F.cross_entropy(x, y64 / y64.sum(1, keepdims=True),
                                                         weight=W3)),
        ("nll_loss", lambda: F.nll_loss(x, T, weight=W3)),
        ("bce", lambda: F.binary_cross_entropy(y, y64, weight=W3)),
        ("bce_logits", lambda: F.binary_cross_entropy_with_logits(x, y64, weight=W3,
                                                                  pos_weight=W3)),
        ("multi_margin", lambda: F.multi_margin_loss(x, T, weight=W3, p=2)),
        ("kl_div", lambda: F.kl_div(x, y64, reduction="batchmean")),
        ("mse-weight", lambda: F.mse_loss(x, y64, weight=np.ones((4, 3)))),
        ("batch_norm-eval", lambda: F.batch_norm(x, np.zeros(3), np.ones(3), np.ones(3),
                                                 np.zeros(3))),
        ("batch_norm-train", lambda: F.batch_norm(x, None, None, training=True)),
        ("layer_norm", lambda: F.layer_norm(x, (3,), np.ones(3), np.zeros(3))),
        ("group_norm", lambda: F.group_norm(x.reshape(4, 3, 1), 3, np.ones(3), np.zeros(3))),
        ("prelu", lambda: F.prelu(x, np.array([0.25]))),
        ("gelu", lambda: F.gelu(x)), ("elu", lambda: F.elu(x)),
        ("softplus", lambda: F.softplus(x, beta=2)), ("dropout", lambda: F.dropout(x, 0.3)),
        ("mlp", lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.GELU(),
                                      nn.Dropout(), nn.Linear(4, 3))(x)),
        ("embedding", lambda: nn.Embedding(5, 3, padding_idx=0)(T)),
        ("loss-modules", lambda: nn.CrossEntropyLoss(weight=W3)(x, T)
         + nn.BCEWithLogitsLoss(pos_weight=W3)(x, y64)),
    ]


def test_everything_stays_float32():
    x, cases = _cases()
    for name, make in cases:
        out = make()
        assert out.dtype == np.float32, name
        x.grad = None
        if out.requires_grad:
            out.sum().backward()
        assert x.grad is None or x.grad.dtype == np.float32, name


def test_a_small_classifier_learns():
    X = ag.randn(64, 2)
    y = (X.data[:, 0] * X.data[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(150):
        loss = loss_fn(model(X), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        with ag.no_grad():
            for p in model.parameters():
                p.data -= 0.5 * p.grad.data
    assert loss.item() < 0.5 * first
    assert loss.dtype == np.float32
