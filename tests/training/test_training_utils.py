"""Metrics, History, EarlyStopping and the fit loop (with a tiny hand-made model)."""
import math

import numpy as np
import pytest

import autograd as ag
from nn.data import DataLoader, TensorDataset
from glassgrad.training import (EarlyStopping, History, RunningMean, accuracy, evaluate, fit,
                         plot_history, top_k_accuracy)


# ------------------------------------------------------------------------ metrics
def test_accuracy_from_logits_labels_and_tensors():
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [1.0, 1.0, 0.0]])
    target = np.array([0, 1, 1, 1])
    assert accuracy(scores, target) == 0.5          # the tie in row 4 goes to class 0
    assert accuracy(ag.tensor(scores), ag.tensor(target)) == 0.5
    assert accuracy(np.array([0, 1, 2, 0]), target) == 0.5     # predicted labels
    probs = np.eye(3)[[0, 1, 1, 0]]
    assert accuracy(scores, probs) == 0.75           # probability targets


def test_accuracy_with_spatial_class_axis():
    scores = np.zeros((2, 3, 4))                      # (N, C, L)
    scores[:, 2] = 1.0
    target = np.full((2, 4), 2)
    target[0, 0] = 0
    assert accuracy(scores, target) == 7 / 8


def test_top_k_accuracy():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 7))
    target = rng.integers(0, 7, 50)
    assert top_k_accuracy(scores, target, k=1) == accuracy(scores, target)
    assert top_k_accuracy(scores, target, k=7) == 1.0
    by_hand = np.mean([t in np.argsort(-s)[:3] for s, t in zip(scores, target)])
    assert top_k_accuracy(scores, target, k=3) == pytest.approx(by_hand)
    values = [top_k_accuracy(scores, target, k) for k in range(1, 8)]
    assert values == sorted(values)
    # ties broken like argmax: all-equal scores put class 0 first
    assert top_k_accuracy(np.zeros((2, 4)), [0, 1], k=1) == 0.5
    assert top_k_accuracy(np.zeros((2, 4)), [1, 3], k=2) == 0.5


@pytest.mark.parametrize("call", [
    lambda: accuracy(np.zeros((4, 3)), np.zeros(5, int)),
    lambda: accuracy(np.zeros((4, 3, 2)), np.zeros((4, 3), int)),
    lambda: top_k_accuracy(np.zeros((4, 3)), np.zeros(4, int), k=4),
    lambda: top_k_accuracy(np.zeros(4), np.zeros(4, int)),
])
def test_metric_errors(call):
    with pytest.raises(ValueError):
        call()


def test_running_mean_weights_by_batch_size():
    m = RunningMean()
    assert math.isnan(m.value)
    m.update(1.0, 3).update(0.0, 1)
    assert m.value == 0.75


# ------------------------------------------------------------------------ history
def test_history_columns_best_and_state_dict():
    h = History()
    h.append(epoch=1, train_loss=1.0, val_loss=0.9)
    h.append(epoch=2, train_loss=0.5, val_loss=0.7, lr=0.1)
    h.append(epoch=3, train_loss=0.4, val_loss=0.8)
    assert len(h) == 3 and h["epoch"] == [1.0, 2.0, 3.0]
    assert math.isnan(h["lr"][0]) and h["lr"][1] == 0.1 and math.isnan(h["lr"][2])
    assert h.best("val_loss") == (1, 0.7) and h.best("train_loss", mode="max") == (0, 1.0)
    assert h.last("val_loss") == 0.8 and h.last()["epoch"] == 3
    assert "val_loss" in h and "foo" not in h
    state = h.state_dict()
    assert all(isinstance(v, np.ndarray) and v.shape == (3,) for v in state.values())
    h2 = History().load_state_dict(state)
    h2.append(epoch=4, train_loss=0.3)
    assert len(h2) == 4 and h2["train_loss"][-1] == 0.3 and math.isnan(h2["val_loss"][-1])
    with pytest.raises(KeyError, match="no metric"):
        h["nope"]
    with pytest.raises(IndexError):
        History().last()
    with pytest.raises(ValueError, match="different lengths"):
        History().load_state_dict({"a": np.zeros(2), "b": np.zeros(3)})


def test_plot_history_writes_png(tmp_path):
    h = History()
    for e in range(1, 4):
        h.append(epoch=e, train_loss=1 / e, val_loss=1.2 / e, train_acc=0.5 + e / 10,
                 val_acc=0.4 + e / 10)
    path = tmp_path / "curves.png"
    plot_history(h, path, title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ early stopping
def run_es(values, **kwargs):
    es = EarlyStopping(**kwargs)
    for i, v in enumerate(values, 1):
        if es.step(v):
            return i, es
    return None, es


def test_stops_after_patience_consecutive_increases():
    # 3 increases, but not in a row, then 3 in a row: stops at the third one
    values = [1.0, 0.9, 0.95, 0.97, 0.8, 0.85, 0.9, 0.95, 0.5]
    stopped, es = run_es(values, patience=3)
    assert stopped == 8 and es.counter == 3 and es.best == 0.8 and es.best_epoch == 5


def test_increase_criterion_ignores_slow_drift_above_best():
    values = [0.5, 1.0, 0.9, 0.8, 0.7, 0.6]         # never below the best, never rising
    assert run_es(values, patience=2)[0] is None
    assert run_es(values, patience=2, criterion="best")[0] == 3


@pytest.mark.parametrize("patience", [1, 2, 4])
def test_patience_counts(patience):
    values = [1.0] + [1.0 + 0.1 * i for i in range(1, 10)]
    assert run_es(values, patience=patience)[0] == 1 + patience


def test_min_delta_and_max_mode():
    # rises smaller than min_delta do not count
    assert run_es([1.0, 1.01, 1.02, 1.03, 1.04], patience=2, min_delta=0.05)[0] is None
    # mode="max" (e.g. accuracy): drops count
    assert run_es([0.5, 0.6, 0.55, 0.5], patience=2, mode="max")[0] == 4
    assert run_es([0.5, 0.6, 0.6, 0.6], patience=2, mode="max", criterion="best")[0] == 4


class Holder:
    """Stands in for a Module: a state_dict of one array."""

    def __init__(self):
        self.w = np.zeros(2)

    def state_dict(self):
        return {"w": self.w}

    def load_state_dict(self, state):
        self.w = np.array(state["w"])


def test_best_weights_kept_restored_and_checkpointed():
    model, es = Holder(), EarlyStopping(patience=2)
    for i, v in enumerate([0.9, 0.5, 0.6, 0.7]):
        model.w = np.full(2, float(i))
        stop = es.step(v, model)
    assert stop and es.best_epoch == 2
    es.restore(model)
    assert model.w.tolist() == [1.0, 1.0]
    clone = EarlyStopping(patience=2).load_state_dict(es.state_dict())
    assert clone.counter == 2 and clone.should_stop and clone.best == 0.5
    assert clone.best_state["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="no weights"):
        EarlyStopping().restore(model)


@pytest.mark.parametrize("kwargs", [dict(patience=0), dict(patience=1.5), dict(mode="up"),
                                    dict(criterion="worse"), dict(min_delta=-1)])
def test_early_stopping_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        EarlyStopping(**kwargs)


def test_nan_is_an_error():
    with pytest.raises(ValueError, match="NaN"):
        EarlyStopping().step(float("nan"))


# ------------------------------------------------------------------- the fit loop
class Softmax:
    """Multinomial logistic regression written with autograd only (no nn needed)."""

    def __init__(self, d, c, rng):
        self.W = ag.tensor(rng.normal(0, 0.01, (d, c)), requires_grad=True)
        self.b = ag.zeros(c, requires_grad=True)
        self.training = True

    def __call__(self, x):
        return x @ self.W + self.b

    def train(self, mode=True):
        self.training = mode

    def eval(self):
        self.training = False

    def state_dict(self):
        return {"W": self.W.data, "b": self.b.data}


def cross_entropy(logits, target):
    logp = ag.log_softmax(logits, axis=1)
    return -logp[np.arange(len(target)), target.numpy()].mean()


class PlainSGD:
    def __init__(self, params, lr):
        self.params, self.param_groups = params, [{"lr": lr}]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            p.data -= self.param_groups[0]["lr"] * p.grad.data


def blobs(n, rng):
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
    return (centres[y] + rng.normal(0, 0.5, (n, 2))).astype(np.float32), y


def test_fit_learns_and_records_history():
    rng = np.random.default_rng(0)
    X, y = blobs(300, rng)
    model = Softmax(2, 3, rng)
    opt = PlainSGD([model.W, model.b], lr=0.5)
    train = DataLoader(TensorDataset(X[:240], y[:240]), batch_size=32, shuffle=True, seed=0)
    val = DataLoader(TensorDataset(X[240:], y[240:]), batch_size=64)
    seen = []
    h = fit(model, opt, cross_entropy, train, 5, val, progress=False,
            on_epoch_end=lambda e, hist: seen.append((e, len(hist))))
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    assert h["epoch"] == [1, 2, 3, 4, 5] and h["lr"] == [0.5] * 5
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h["val_acc"][-1] > 0.9
    model.train()
    res = evaluate(model, val, cross_entropy)
    assert model.training                          # mode restored
    assert res["acc"] == pytest.approx(h["val_acc"][-1])
    assert res["loss"] == pytest.approx(h["val_loss"][-1], rel=1e-5)


def test_fit_early_stopping_and_resume_offsets():
    rng = np.random.default_rng(1)
    X, y = blobs(100, rng)
    model = Softmax(2, 3, rng)
    opt = PlainSGD([model.W, model.b], lr=0.5)
    train = DataLoader(TensorDataset(X, y), batch_size=25)
    wrong = DataLoader(TensorDataset(X, (y + 1) % 3), batch_size=100)   # learning hurts
    es = EarlyStopping(patience=2)
    h = fit(model, opt, cross_entropy, train, 30, wrong, early_stopping=es, progress=False)
    assert len(h) == 3 and es.should_stop            # epochs 2 and 3 both increased
    assert h["val_loss"][0] < h["val_loss"][1] < h["val_loss"][2]
    h2 = fit(model, opt, cross_entropy, train, 4, start_epoch=2, progress=False)
    assert h2["epoch"] == [3, 4] and "val_loss" not in h2


def test_fit_with_progress_bar_runs(capsys):
    rng = np.random.default_rng(2)
    X, y = blobs(64, rng)
    model = Softmax(2, 3, rng)
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    fit(model, PlainSGD([model.W, model.b], 0.1), cross_entropy, loader, 2, loader,
        progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss" in err and "acc" in err
