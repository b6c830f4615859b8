"""A short real training run on the digits with nn + optim, through glassgrad.training.fit."""
import numpy as np
import pytest

import autograd as ag
import nn

if not hasattr(nn, "Sequential"):
    pytest.skip("nn core is not merged on this branch yet", allow_module_level=True)
optim = pytest.importorskip("optim")

from nn.data import DataLoader, TensorDataset, load_digits, train_test_split  # noqa: E402
from glassgrad.training import EarlyStopping, History, evaluate, fit  # noqa: E402


def digits_split(seed=0):
    X, y = load_digits()
    return train_test_split(X / 16, y, test_size=0.2, seed=seed, stratify=y)


def test_mlp_three_epochs_beats_90_percent():
    X_tr, X_te, y_tr, y_te = digits_split()
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    train = DataLoader(TensorDataset(X_tr, y_tr), batch_size=32, shuffle=True, seed=0)
    test = DataLoader(TensorDataset(X_te, y_te), batch_size=256)
    loss_fn = nn.CrossEntropyLoss()
    untrained = evaluate(model, test, loss_fn)
    h = fit(model, opt, loss_fn, train, 3, test, progress=False)
    result = evaluate(model, test, loss_fn)
    assert untrained["acc"] < 0.3
    assert result["acc"] > 0.90
    assert h["val_acc"][-1] == pytest.approx(result["acc"])
    assert h["train_loss"][0] > h["train_loss"][-1]


def test_training_is_reproducible_from_seeds():
    X_tr, _, y_tr, _ = digits_split()
    weights = []
    for _ in range(2):
        ag.manual_seed(3)
        model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
        opt = optim.Adam(model.parameters(), lr=1e-2)
        loader = DataLoader(TensorDataset(X_tr[:256], y_tr[:256]), batch_size=64,
                            shuffle=True, seed=1)
        fit(model, opt, nn.CrossEntropyLoss(), loader, 2, progress=False)
        weights.append(np.array(model.state_dict()["0.weight"], copy=True))
    assert np.array_equal(weights[0], weights[1])


def test_early_stopping_restores_best_module_weights():
    X_tr, X_te, y_tr, y_te = digits_split()
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = optim.SGD(model.parameters(), lr=0.5)
    small = DataLoader(TensorDataset(X_tr[:40], y_tr[:40]), batch_size=40)  # overfits
    val = DataLoader(TensorDataset(X_te, (y_te + 1) % 10), batch_size=512)   # wrong labels
    es = EarlyStopping(patience=2)
    h = fit(model, opt, nn.CrossEntropyLoss(), small, 50, val, early_stopping=es,
            progress=False, history=History())
    assert es.should_stop and len(h) < 50
    es.restore(model)
    res = evaluate(model, val, nn.CrossEntropyLoss())
    assert res["loss"] == pytest.approx(es.best, rel=1e-5)
