"""Training utilities: metrics, a history recorder, early stopping, and a fit loop.

* ``accuracy(scores, target)`` and ``top_k_accuracy(scores, target, k)``: fractions of
  samples classified correctly (``scores`` are logits or probabilities, classes on
  axis 1 as in ``nn.CrossEntropyLoss``).
* ``History``: one row of numbers per epoch (``train_loss``, ``val_acc``, ...), saved
  and restored through ``state_dict`` (so ``nn.save`` can checkpoint it), plotted
  with ``plot_history``.
* ``EarlyStopping(patience=3)``: the course's rule, stop once the validation loss
  has increased ``patience`` times in a row; ``criterion="best"`` instead stops after
  ``patience`` epochs without a new best (Keras/Lightning).
* ``train_epoch``, ``evaluate`` and ``fit``: the usual loop (zero_grad, forward, loss,
  backward, step) with a tqdm progress bar showing loss and accuracy (one printed line
  per epoch where tqdm is not installed).

>>> import numpy as np
>>> from glassgrad.training import accuracy, top_k_accuracy
>>> scores = np.array([[0.1, 0.9, 0.0], [0.8, 0.15, 0.05]])
>>> accuracy(scores, [1, 1]), top_k_accuracy(scores, [1, 1], k=2)
(0.5, 1.0)
"""
import math
import time

import numpy as np

import autograd as ag
from optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["accuracy", "top_k_accuracy", "RunningMean", "History", "EarlyStopping",
           "train_epoch", "evaluate", "fit", "plot_history"]


# ------------------------------------------------------------------------ metrics
def _labels_and_scores(scores, target, name):
    scores, target = np.asarray(scores), np.asarray(target)
    if scores.ndim == target.ndim + 1 and scores.ndim >= 2:
        if scores.shape[:1] + scores.shape[2:] != target.shape:
            raise ValueError(f"{name}: scores of shape {scores.shape} (classes on axis 1) "
                             f"do not match targets of shape {target.shape}")
        return scores, target
    if scores.shape == target.shape and scores.ndim >= 2 and target.dtype.kind == "f":
        return scores, target.argmax(axis=1)            # class-probability targets
    if scores.shape == target.shape:
        return None, target
    raise ValueError(f"{name}: expected scores of shape (N, C, ...) and integer targets "
                     f"of shape (N, ...), or predicted labels of the targets' shape; got "
                     f"{scores.shape} and {target.shape}")


def accuracy(scores, target):
    """Fraction of samples whose predicted class equals the target.

    ``scores``: (N, C, ...) logits or probabilities (prediction = argmax over axis 1,
    the first maximum on ties) or already-predicted labels of the targets' shape.
    ``target``: integer labels (N, ...), or class probabilities of the scores' shape.
    Tensors, arrays and lists are accepted; returns a Python float in [0, 1].
    """
    s, target = _labels_and_scores(scores, target, "accuracy")
    pred = np.asarray(scores) if s is None else s.argmax(axis=1)
    if pred.size == 0:
        raise ValueError("accuracy: no samples")
    return float(np.mean(pred == target))


def top_k_accuracy(scores, target, k=5):
    """Fraction of samples whose target is among the ``k`` highest scores.

    Ties are broken like ``argmax`` (lower class index first), so ``k=1`` equals
    ``accuracy``. ``scores``: (N, C, ...); ``target``: integer labels (N, ...).
    """
    s, target = _labels_and_scores(scores, target, "top_k_accuracy")
    if s is None:
        raise ValueError(f"top_k_accuracy needs scores with a class axis, got shape "
                         f"{np.shape(scores)} for targets of shape {target.shape}")
    n_classes = s.shape[1]
    if not 1 <= int(k) <= n_classes:
        raise ValueError(f"top_k_accuracy: k={k} must be between 1 and the number of "
                         f"classes ({n_classes})")
    ranking = np.argsort(-s, axis=1, kind="stable")[:, :int(k)]          # (N, k, ...)
    hits = (ranking == np.expand_dims(target, 1)).any(axis=1)
    return float(np.mean(hits))


class RunningMean:
    """A mean over batches weighted by their sizes: ``sum(v_i * n_i) / sum(n_i)``."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value, n=1):
        self.total += float(value) * n
        self.count += n
        return self

    @property
    def value(self):
        return self.total / self.count if self.count else math.nan


# ------------------------------------------------------------------------ history
class History:
    """Per-epoch metrics as columns: ``h.append(train_loss=0.3, val_acc=0.9)``.

    ``h["val_acc"]`` is that column as a list (NaN where a row did not log it),
    ``h.last()`` the newest row as a dict, ``h.best("val_loss")`` the (row, value)
    of the minimum. ``state_dict()`` gives ``{name: float64 array}`` for ``nn.save``.

    >>> h = History()
    >>> h.append(epoch=1, val_loss=0.5); h.append(epoch=2, val_loss=0.4)
    >>> h.best("val_loss"), len(h)
    ((1, 0.4), 2)
    """

    def __init__(self):
        self.columns = {}
        self._rows = 0

    def append(self, **metrics):
        for key in metrics:
            if key not in self.columns:
                self.columns[key] = [math.nan] * self._rows
        for key, column in self.columns.items():
            column.append(float(metrics[key]) if key in metrics else math.nan)
        self._rows += 1

    def __len__(self):
        return self._rows

    def __getitem__(self, key):
        if key not in self.columns:
            raise KeyError(f"History has no metric {key!r}; it has {sorted(self.columns)}")
        return list(self.columns[key])

    def __contains__(self, key):
        return key in self.columns

    def keys(self):
        return list(self.columns)

    def last(self, key=None):
        if not self._rows:
            raise IndexError("History is empty")
        if key is not None:
            return self[key][-1]
        return {k: v[-1] for k, v in self.columns.items()}

    def best(self, key, mode="min"):
        """``(row_index, value)`` of the smallest (``mode="min"``) or largest value."""
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: mode must be 'min' or 'max', got {mode!r}")
        values = np.array(self[key], dtype=np.float64)
        if np.all(np.isnan(values)):
            raise ValueError(f"History.best: no values logged for {key!r}")
        i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
        return i, float(values[i])

    def state_dict(self):
        return {key: np.array(col, dtype=np.float64) for key, col in self.columns.items()}

    def load_state_dict(self, state):
        columns = {key: [float(v) for v in np.asarray(col).reshape(-1)]
                   for key, col in state.items()}
        lengths = {len(col) for col in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"History.load_state_dict: columns have different lengths "
                             f"{sorted(lengths)}")
        self.columns = columns
        self._rows = lengths.pop() if lengths else 0
        return self

    def __repr__(self):
        return f"History({self._rows} rows: {', '.join(self.columns)})"


def plot_history(history, path=None, title=None):
    """Loss and accuracy curves (train and val) side by side; saves to ``path`` if given.

    Builds a ``matplotlib.figure.Figure`` directly, without pyplot: no display is
    needed (PNG files are drawn by the Agg renderer) and no global backend is changed,
    so it is safe in scripts, threads and notebooks (where the returned Figure shows
    inline). Returns the Figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    x = history["epoch"] if "epoch" in history else list(range(1, len(history) + 1))
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    for ax, what in zip(axes, ("loss", "acc")):
        for split, style in (("train", "-o"), ("val", "-s"), ("test", "-^")):
            key = f"{split}_{what}"
            if key in history:
                ax.plot(x, history[key], style, markersize=3, label=split)
        ax.set_xlabel("epoch")
        # whole epochs only, even for a 1-epoch run (min_n_ticks=1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_ylabel("loss" if what == "loss" else "accuracy")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


# ------------------------------------------------------------------ early stopping
class EarlyStopping:
    """Decide after each epoch whether to stop, from a monitored value (val loss).

    ``criterion="increase"`` (default, the course's rule): count consecutive epochs in
    which the value got worse than the epoch before (``v_t > v_{t-1} + min_delta`` for
    ``mode="min"``); stop when the count reaches ``patience``. ``criterion="best"``:
    count epochs without a new best (``v_t >= best - min_delta``), stop at ``patience``.

    ``step(value, model)`` returns True when training should stop; with a model it
    keeps a copy of the best ``state_dict`` (``restore(model)`` loads it back).

    >>> es = EarlyStopping(patience=3)
    >>> [es.step(v) for v in [1.0, 0.8, 0.9, 0.85, 0.9, 1.0, 1.1]]
    [False, False, False, False, False, False, True]
    """

    def __init__(self, patience=3, mode="min", min_delta=0.0, criterion="increase"):
        if isinstance(patience, bool) or int(patience) != patience or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {patience!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if criterion not in ("increase", "best"):
            raise ValueError(f"EarlyStopping: criterion must be 'increase' or 'best', got "
                             f"{criterion!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.patience, self.mode = int(patience), mode
        self.min_delta, self.criterion = float(min_delta), criterion
        self.reset()

    def reset(self):
        self.best = math.nan
        self.best_epoch = 0
        self.previous = math.nan
        self.counter = 0            # consecutive bad epochs so far
        self.epoch = 0              # number of values seen
        self.should_stop = False
        self.best_state = None

    def _worse(self, value, reference):
        """True when ``value`` is not better than ``reference`` by more than min_delta."""
        if math.isnan(reference):
            return False
        sign = 1.0 if self.mode == "min" else -1.0
        if self.criterion == "increase":
            return sign * (value - reference) > self.min_delta
        return sign * (reference - value) <= self.min_delta

    def _is_best(self, value):
        if math.isnan(self.best):
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def step(self, value, model=None):
        value = float(value)
        if math.isnan(value):
            raise ValueError("EarlyStopping.step: the monitored value is NaN (the "
                             "training diverged; lower the learning rate)")
        self.epoch += 1
        reference = self.previous if self.criterion == "increase" else self.best
        self.counter = self.counter + 1 if self._worse(value, reference) else 0
        if self._is_best(value):
            self.best, self.best_epoch = value, self.epoch
            if model is not None:
                self.best_state = {k: np.array(v, copy=True)
                                   for k, v in model.state_dict().items()}
        self.previous = value
        self.should_stop = self.counter >= self.patience
        return self.should_stop

    __call__ = step

    def restore(self, model):
        """Load the best weights seen into ``model`` (needs ``step(value, model)``)."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore: no weights saved; pass the model "
                               "to step(value, model)")
        model.load_state_dict(self.best_state)
        return model

    def state_dict(self):
        state = {"best": self.best, "best_epoch": self.best_epoch,
                 "previous": self.previous, "counter": self.counter, "epoch": self.epoch,
                 "should_stop": int(self.should_stop)}
        if self.best_state is not None:
            state["best_state"] = dict(self.best_state)
        return state

    def load_state_dict(self, state):
        self.best, self.previous = float(state["best"]), float(state["previous"])
        self.best_epoch, self.counter = int(state["best_epoch"]), int(state["counter"])
        self.epoch, self.should_stop = int(state["epoch"]), bool(int(state["should_stop"]))
        best_state = state.get("best_state")
        self.best_state = None if best_state is None else {
            k: np.asarray(v) for k, v in best_state.items()}
        return self

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, mode={self.mode!r}, "
                f"criterion={self.criterion!r}, counter={self.counter}, best={self.best:.4g})")


# ------------------------------------------------------------------------- loops
def _set_mode(model, training):
    """Switch train/eval mode if the model has one; return the previous mode."""
    previous = getattr(model, "training", None)
    if training and hasattr(model, "train"):
        model.train()
    elif not training and hasattr(model, "eval"):
        model.eval()
    return previous


def _restore_mode(model, previous):
    if previous is not None and hasattr(model, "train"):
        model.train(previous)


def make_train_step(model, loss_fn, optimizer):
    """``step(xb, yb) -> (loss, out)``: zero_grad, forward, loss, backward, optimizer step
    (the function ``fit(compile=True)`` hands to ``ag.compile``)."""
    def train_step(xb, yb):
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        return loss, out
    return train_step


def train_epoch(model, loader, loss_fn, optimizer, bar=None, step=None):
    """One pass over ``loader``: zero_grad, forward, loss, backward, step per batch.

    Returns ``{"loss": mean loss, "acc": accuracy}`` over the epoch (means weighted by
    batch size). ``bar``: an optional tqdm bar advanced once per batch, whose postfix
    shows the running loss and accuracy. ``step``: the function doing one batch (by
    default ``make_train_step(model, loss_fn, optimizer)``; ``fit`` passes a compiled
    one).
    """
    _set_mode(model, True)
    if step is None:
        step = make_train_step(model, loss_fn, optimizer)
    loss_mean, acc_mean = RunningMean(), RunningMean()
    for xb, yb in loader:
        loss, out = step(xb, yb)
        n = len(yb)
        loss_mean.update(loss.item(), n)
        acc_mean.update(accuracy(out.data, yb), n)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss_mean.value:.4f}", acc=f"{acc_mean.value:.4f}",
                            refresh=False)
    return {"loss": loss_mean.value, "acc": acc_mean.value}


def evaluate(model, loader, loss_fn=None):
    """Mean loss (if ``loss_fn``) and accuracy of ``model`` over ``loader``.

    Runs in eval mode under ``no_grad`` and puts the model back in the mode it was.
    Returns ``{"loss": ..., "acc": ...}`` (loss is NaN without a loss_fn).
    """
    previous = _set_mode(model, False)
    loss_mean, acc_mean = RunningMean(), RunningMean()
    try:
        with ag.no_grad():
            for xb, yb in loader:
                out = model(xb)
                n = len(yb)
                if loss_fn is not None:
                    loss_mean.update(loss_fn(out, yb).item(), n)
                acc_mean.update(accuracy(out.data, yb), n)
    finally:
        _restore_mode(model, previous)
    return {"loss": loss_mean.value, "acc": acc_mean.value}


class _EpochLines:
    """Progress without tqdm: the part of a tqdm bar that ``fit`` uses, printing one
    line per epoch (``set_postfix(..., refresh=True)``) instead of drawing a bar."""

    def __init__(self, desc=""):
        self.desc = desc

    def update(self, n=1):
        pass

    def set_description(self, desc, refresh=True):
        self.desc = desc

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        if refresh:
            values = {**(ordered_dict or {}), **kwargs}
            print(f"{self.desc}: " + ", ".join(f"{k} {v}" for k, v in values.items()),
                  flush=True)

    def write(self, message):
        print(message, flush=True)

    def close(self):
        pass


def _make_bar(progress, total, initial_desc):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:                     # tqdm is optional: plain lines instead
        return _EpochLines(initial_desc)
    return tqdm(total=total, desc=initial_desc, unit="batch", dynamic_ncols=True)


def _scheduler_step(scheduler, monitored):
    if scheduler is None:
        return
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


def fit(model, optimizer, loss_fn, train_loader, epochs, val_loader=None, *,
        history=None, early_stopping=None, scheduler=None, start_epoch=0, progress=True,
        on_epoch_start=None, on_epoch_end=None, compile=False):  # noqa: A002
    """Train for epochs ``start_epoch+1 .. epochs``; return the ``History``.

    Each epoch: ``train_loader.set_epoch(epoch)`` (a seeded loader then shuffles a
    resumed run like an uninterrupted one), ``on_epoch_start(epoch)`` (e.g. to
    reseed), ``train_epoch``, ``evaluate`` on ``val_loader``, one row ``epoch,
    train_loss, train_acc, val_loss, val_acc, lr, time`` in ``history``, a scheduler
    step (``ReduceLROnPlateau`` gets the monitored loss), ``early_stopping.step(
    val_loss, model)`` (the train loss without a val_loader), ``on_epoch_end(epoch,
    history)`` (e.g. to save a checkpoint), then a stop if early stopping says so.
    Epochs are counted from 1. One tqdm bar covers all batches of the run (without
    tqdm installed, one printed line per epoch). ``compile=True`` runs each batch
    through ``ag.compile(make_train_step(...))``: the same numbers, replayed as flat
    NumPy once two batches traced alike.
    """
    history = History() if history is None else history
    step = make_train_step(model, loss_fn, optimizer)
    if compile:
        step = ag.compile(step)
    total = max(0, epochs - start_epoch) * len(train_loader)
    bar = _make_bar(progress, total, f"epoch {start_epoch + 1}/{epochs}")
    try:
        for epoch in range(start_epoch, epochs):
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{epochs}", refresh=False)
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)
            if on_epoch_start is not None:
                on_epoch_start(epoch + 1)
            t0 = time.perf_counter()
            train = train_epoch(model, train_loader, loss_fn, optimizer, bar, step)
            row = {"epoch": epoch + 1, "train_loss": train["loss"], "train_acc": train["acc"]}
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn)
                row.update(val_loss=val["loss"], val_acc=val["acc"])
            groups = getattr(optimizer, "param_groups", None)
            if groups:
                row["lr"] = groups[0]["lr"]
            row["time"] = time.perf_counter() - t0
            history.append(**row)
            monitored = row.get("val_loss", row["train_loss"])
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in row.items()
                                 if k.endswith(("loss", "acc"))}, refresh=True)
            _scheduler_step(scheduler, monitored)
            stop = early_stopping is not None and early_stopping.step(monitored, model)
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, history)
            if stop:
                message = (f"early stopping after epoch {epoch + 1}: {early_stopping.counter}"
                           f" bad epochs in a row ({early_stopping.criterion!r} criterion; "
                           f"best {early_stopping.best:.4f} at epoch "
                           f"{early_stopping.best_epoch})")
                if bar is not None:
                    bar.write(message)
                elif progress:
                    print(message)
                break
    finally:
        if bar is not None:
            bar.close()
    return history
