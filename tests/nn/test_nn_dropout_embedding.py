"""Dropout (masks, scaling, seeding, train/eval) and Embedding against PyTorch."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import assert_close, load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")


def test_dropout_is_inverted_and_grad_uses_the_same_mask():
    x = ag.ones((200, 50), requires_grad=True)
    y = F.dropout(x, p=0.3, training=True)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.02
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, y.data)     # d(x*m/(1-p))/dx = m/(1-p)


def test_dropout_reproducible_with_manual_seed():
    x = ag.ones((10, 10))
    ag.manual_seed(5)
    a = nn.Dropout(0.5)(x).data
    ag.manual_seed(5)
    b = nn.Dropout(0.5)(x).data
    c = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_eval_and_edge_probabilities():
    x = ag.tensor(np.arange(12.0).reshape(3, 4))
    m = nn.Dropout(0.9).eval()
    assert m(x) is x or np.array_equal(m(x).data, x.data)
    assert np.array_equal(F.dropout(x, 0.0).data, x.data)
    assert not np.any(F.dropout(x, 1.0).data)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_dropout2d_zeroes_whole_channels():
    ag.manual_seed(1)
    x = ag.ones((8, 16, 3, 3))
    y = nn.Dropout2d(0.5)(x).data
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < 8 * 16
    assert np.array_equal(nn.Dropout2d(0.5).eval()(x).data, x.data)


def test_dropout_statistics_match_torch_expectation():
    x = ag.ones((100000,))
    y = F.dropout(x, 0.25).data
    assert abs(y.mean() - 1.0) < 0.02          # inverted dropout keeps the mean


def test_embedding_matches_torch_with_padding_and_freq(rng):
    for kw in (dict(), dict(padding_idx=1), dict(padding_idx=-1, scale_grad_by_freq=True)):
        m, tm = nn.Embedding(6, 3, **kw), tnn.Embedding(6, 3, **kw).double()
        with torch.no_grad():
            tm.weight.copy_(torch.randn(6, 3, dtype=torch.float64))   # non-zero padding row
        load_from_torch(m, tm)
        idx = np.array([[1, 2, 1, 5], [0, 5, 5, 3]])
        run_both(torch, m, tm, [idx])
        if "padding_idx" in kw:
            assert not np.any(m.weight.grad.data[kw["padding_idx"]])


def test_embedding_max_norm_renormalizes_like_torch():
    m, tm = nn.Embedding(5, 4, max_norm=1.0), tnn.Embedding(5, 4, max_norm=1.0).double()
    load_from_torch(m, tm)
    idx = np.array([0, 2, 2])
    run_both(torch, m, tm, [idx])
    assert_close(m.weight, tm.weight, "renormalised weight")


def test_embedding_defaults_and_errors():
    ag.manual_seed(0)
    m = nn.Embedding(1000, 8, padding_idx=0)
    assert not np.any(m.weight.data[0])
    assert abs(m.weight.data[1:].std() - 1) < 0.05
    with pytest.raises(IndexError, match="index out of range"):
        m(np.array([1000]))
    with pytest.raises(TypeError, match="integers"):
        m(np.array([1.5]))
    np.testing.assert_array_equal(m(ag.tensor([[3, 4]])).data, m(np.array([[3, 4]])).data)
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad
    assert repr(m) == "Embedding(1000, 8, padding_idx=0)"


@pytest.mark.parametrize("cls", ["Dropout", "Dropout2d"])
def test_dropout_eval_and_p0_match_torch(cls, rng):
    x = rng.standard_normal((2, 3, 4, 4))
    run_both(torch, getattr(nn, cls)(0.4).eval(), getattr(tnn, cls)(0.4).eval(), [x])
    run_both(torch, getattr(nn, cls)(0.0), getattr(tnn, cls)(0.0), [x])


def test_dropout_train_mode_mask_statistics_match_torch():
    x = np.ones((400, 50))
    ours = nn.Dropout(0.2)(ag.tensor(x)).data
    theirs = tnn.Dropout(0.2)(torch.tensor(x)).numpy()
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 1.25}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.02
