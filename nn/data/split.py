"""``train_test_split``: a seeded (optionally stratified) split of equally long arrays.

Sizes follow scikit-learn: a float ``test_size`` gives ``n_test = ceil(test_size * n)``,
a float ``train_size`` gives ``n_train = floor(train_size * n)``; by default the train
set is the rest. With ``stratify=labels`` every class keeps its share: class ``c`` with
``n_c`` samples sends ``n_c * n_test / n`` of them to the test set, rounded by the
largest-remainder rule so that the totals are exact.

>>> import numpy as np
>>> from nn.data import train_test_split
>>> X, y = np.arange(20).reshape(10, 2), np.arange(10) % 2
>>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0, stratify=y)
>>> sorted(y_te.tolist())
[0, 1]
"""
import math
import numbers

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["train_test_split"]


def _generator(seed):
    """``np.random.default_rng(seed)`` for an int seed, the shared one for None."""
    if seed is None:
        return ag.get_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None or a non-negative int, got {seed!r}")
    return np.random.default_rng(int(seed))


def _count(size, n, name, rounding):
    """Turn a fraction or a count into a number of samples out of ``n``."""
    if isinstance(size, bool):
        raise TypeError(f"train_test_split: {name} must be a float or an int, got {size!r}")
    if isinstance(size, numbers.Integral):
        if not 0 < size < n:
            raise ValueError(f"train_test_split: {name}={size} must be between 1 and "
                             f"{n - 1} for {n} samples")
        return int(size)
    if isinstance(size, numbers.Real):
        if not 0.0 < size < 1.0:
            raise ValueError(f"train_test_split: a float {name} must be in (0, 1), "
                             f"got {size}")
        return int(rounding(size * n))
    raise TypeError(f"train_test_split: {name} must be a float or an int, got {size!r}")


def _sizes(n, test_size, train_size):
    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = None if test_size is None else _count(test_size, n, "test_size", math.ceil)
    n_train = None if train_size is None else _count(train_size, n, "train_size", math.floor)
    if n_test is None:
        n_test = n - n_train
    if n_train is None:
        n_train = n - n_test
    if n_train + n_test > n:
        raise ValueError(f"train_test_split: train ({n_train}) + test ({n_test}) samples "
                         f"exceed the {n} available")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"train_test_split: with {n} samples this gives {n_train} train "
                         f"and {n_test} test samples; both must be at least 1")
    return n_train, n_test


def _allocate(counts, total):
    """Split ``total`` over classes proportionally to ``counts`` (largest remainder)."""
    share = counts * (total / counts.sum())
    out = np.minimum(np.floor(share).astype(np.int64), counts)
    remainder = share - out
    for c in np.argsort(-remainder, kind="stable"):
        if out.sum() >= total:
            break
        if out[c] < counts[c]:
            out[c] += 1
    return out


def _stratified_indices(labels, n_train, n_test, rng):
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(classes))
    test_counts = _allocate(counts, n_test)
    train_counts = _allocate(counts - test_counts, n_train)
    train, test = [], []
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse == c))
        test.append(members[:test_counts[c]])
        train.append(members[test_counts[c]:test_counts[c] + train_counts[c]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _take(arr, idx):
    if isinstance(arr, Tensor):
        return Tensor(arr.data[idx])
    return np.asarray(arr)[idx]


def train_test_split(*arrays, test_size=None, train_size=None, seed=None, shuffle=True,
                     stratify=None):
    """Split equally long arrays into ``[a_train, a_test, b_train, b_test, ...]``.

    ``arrays``: numpy arrays, lists or Tensors with the samples on axis 0 (Tensors come
    back as Tensors, everything else as numpy arrays). ``test_size``/``train_size``:
    fractions in (0, 1) or sample counts; the default is a 25% test set. ``seed``: an
    int for a reproducible split (None draws from ``autograd.get_rng()``).
    ``shuffle=False`` takes the first ``n_train`` samples for training and the next
    ``n_test`` for testing. ``stratify``: class labels (one per sample) whose
    proportions both parts keep.
    """
    if not arrays:
        raise ValueError("train_test_split: give at least one array")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"train_test_split: the arrays have different numbers of samples "
                         f"{lengths}")
    n = lengths[0]
    n_train, n_test = _sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    elif stratify is not None:
        labels = np.asarray(stratify.data if isinstance(stratify, Tensor) else stratify)
        if labels.shape != (n,):
            raise ValueError(f"train_test_split: stratify has shape {labels.shape}, "
                             f"expected one label per sample ({n},)")
        train, test = _stratified_indices(labels, n_train, n_test, _generator(seed))
    else:
        perm = _generator(seed).permutation(n)
        test, train = perm[:n_test], perm[n_test:n_test + n_train]
    out = []
    for arr in arrays:
        out.extend((_take(arr, train), _take(arr, test)))
    return out
