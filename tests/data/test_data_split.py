"""train_test_split: seeded, disjoint, exact sizes, stratified proportions."""
import numpy as np
import pytest

import autograd as ag
from nn.data import train_test_split


def data(n=100, classes=4):
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n) % classes
    return X, y


def test_sizes_disjoint_and_complete():
    X, y = data(101)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_te) == len(y_te) == 21 and len(X_tr) == len(y_tr) == 80   # ceil(20.2)
    ids_tr, ids_te = X_tr[:, 0] // 2, X_te[:, 0] // 2
    assert not set(ids_tr) & set(ids_te)
    assert sorted(np.concatenate([ids_tr, ids_te])) == list(range(101))
    assert np.array_equal(y_tr, ids_tr % 4)          # rows stay aligned across arrays


def test_seeded_reproducible_and_seed_dependent():
    X, y = data()
    a = train_test_split(X, y, test_size=0.3, seed=5)
    b = train_test_split(X, y, test_size=0.3, seed=5)
    c = train_test_split(X, y, test_size=0.3, seed=6)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_unseeded_uses_manual_seed():
    X, y = data()
    ag.manual_seed(0)
    a = train_test_split(X, test_size=10)
    ag.manual_seed(0)
    b = train_test_split(X, test_size=10)
    assert np.array_equal(a[1], b[1]) and len(a[1]) == 10


def test_train_size_and_no_shuffle():
    X, _ = data(10)
    tr, te = train_test_split(X, train_size=0.5, test_size=3, shuffle=False)
    assert tr[:, 0].tolist() == [0, 2, 4, 6, 8] and te[:, 0].tolist() == [10, 12, 14]
    tr, te = train_test_split(X, train_size=6, seed=0)
    assert len(tr) == 6 and len(te) == 4


def test_stratified_keeps_class_proportions():
    y = np.repeat(np.arange(3), [50, 30, 20])
    X = np.arange(100)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=1, stratify=y)
    assert np.bincount(y_te).tolist() == [10, 6, 4]
    assert np.bincount(y_tr).tolist() == [40, 24, 16]
    assert not set(X_tr) & set(X_te)
    assert np.array_equal(y[X_te], y_te)
    # classes are mixed, not grouped
    assert not np.array_equal(y_te, np.sort(y_te))


def test_stratified_rounding_sums_exactly():
    y = np.repeat(np.arange(10), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    _, y_te = train_test_split(y, test_size=0.2, seed=0, stratify=y)
    counts = np.bincount(y_te)
    assert len(y_te) == 360 and counts.sum() == 360
    assert np.all(np.abs(counts - np.bincount(y) * 0.2) <= 1)


def test_tensors_stay_tensors():
    X = ag.tensor(np.arange(12.0).reshape(6, 2))
    tr, te = train_test_split(X, test_size=2, seed=0)
    assert isinstance(tr, ag.Tensor) and tr.shape == (4, 2) and te.shape == (2, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(test_size=1.5), "in \\(0, 1\\)"),
    (dict(test_size=0), "between 1"),
    (dict(test_size=100), "between 1"),
    (dict(test_size=0.5, train_size=0.8), "exceed"),
    (dict(test_size="a"), "float or an int"),
    (dict(stratify=[0, 1]), "one label per sample"),
    (dict(stratify=np.arange(10) % 2, shuffle=False), "shuffle"),
    (dict(seed=-3), "seed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        train_test_split(np.arange(10), **kwargs)


def test_different_lengths():
    with pytest.raises(ValueError, match="different numbers"):
        train_test_split(np.arange(10), np.arange(9))
