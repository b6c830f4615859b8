"""``DataLoader``: mini-batches of a dataset, reshuffled every epoch.

One pass (``for xb, yb in loader``) is one epoch: each sample appears exactly once,
in ``ceil(n / batch_size)`` batches (``floor`` with ``drop_last=True``). With
``shuffle=True`` the order of epoch ``e`` is a fresh permutation:

* ``seed=s`` given: the permutation comes from ``np.random.default_rng([s, e])``, so a
  loader is reproducible on its own, its epochs differ, and ``set_epoch(e)`` (as in
  PyTorch's ``DistributedSampler``) replays the order of any epoch, which is what a
  resumed training run needs;
* no seed: it is drawn from ``autograd.get_rng()``, so ``ag.manual_seed`` controls it.

``sampler=`` (e.g. ``DistributedSampler``) replaces this order by the sampler's
indices (and cannot be combined with ``shuffle``). Batches are Tensors stacked along
a new first axis. For a ``TensorDataset`` (or a
``Subset`` of one) the loader indexes the arrays with the whole batch of indices at
once instead of stacking single samples.

>>> import numpy as np
>>> from nn.data import DataLoader, TensorDataset
>>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
>>> [yb.tolist() for _, yb in DataLoader(ds, batch_size=2)]
[[0, 1], [2, 3], [4]]
"""
import numbers

import numpy as np

import autograd as ag
from autograd import Tensor

from .dataset import Subset, TensorDataset

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples):
    """Stack a list of samples into a batch, field by field.

    Tensors and arrays are stacked along a new axis 0; Python ints become int64,
    Python floats the default float dtype; tuples, lists and dicts are collated per
    field; strings are returned as a list.
    """
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor(np.stack([s.data for s in samples]))
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor(np.stack([np.asarray(s) for s in samples]))
    if isinstance(first, bool):
        return Tensor(np.asarray(samples, dtype=bool))
    if isinstance(first, numbers.Integral):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.asarray(samples, dtype=ag.get_default_dtype()))
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        lengths = {len(s) for s in samples}
        if len(lengths) != 1:
            raise ValueError(f"default_collate: samples have different numbers of fields "
                             f"{sorted(lengths)}; every sample must have the same structure")
        return tuple(default_collate(list(field)) for field in zip(*samples))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__};"
                    " return Tensors, arrays, numbers, tuples or dicts from __getitem__, "
                    "or pass collate_fn=")


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"DataLoader: seed must be None or a non-negative int, got {seed!r}")
    return int(seed)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` samples.

    ``batch_size=None`` yields single samples without batching (as in PyTorch).
    ``len(loader)`` is the number of batches per epoch. See the module docstring for
    how ``shuffle`` and ``seed`` work.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 collate_fn=None, sampler=None):
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive int (or None for "
                             f"unbatched samples), got {batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: drop_last=True needs a batch_size")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with "
                             "shuffle; the sampler decides the order (e.g. "
                             "DistributedSampler(dataset, shuffle=True))")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = _check_seed(seed)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.epoch = 0          # the epoch the next ``iter()`` will produce

    def set_epoch(self, epoch):
        """Make the next pass produce the (seeded) order of epoch ``epoch`` (also the
        sampler's, if it has ``set_epoch``, as ``DistributedSampler`` has)."""
        self.epoch = int(epoch)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(self.epoch)

    def order(self, epoch=None):
        """The sample indices of one epoch, in the order they will be visited."""
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.seed is None:
            return ag.get_rng().permutation(n)
        epoch = self.epoch if epoch is None else int(epoch)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _fetcher(self):
        """A function from a batch of indices to a batch, or None for the slow path."""
        ds = self.dataset
        if self.collate_fn is not default_collate:
            return None
        if isinstance(ds, TensorDataset):
            return ds.take
        if isinstance(ds, Subset) and isinstance(ds.dataset, TensorDataset):
            base, indices = ds.dataset, ds.indices
            return lambda idx: base.take(indices[idx])
        return None

    def __iter__(self):
        order = self.order()        # drawn now, not at the first next()
        self.epoch += 1
        return self._batches(order)

    def _batches(self, order):
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        fetch = self._fetcher()
        stop = min(len(self) * self.batch_size, len(order))
        for start in range(0, stop, self.batch_size):
            idx = order[start:start + self.batch_size]
            if fetch is not None:
                yield fetch(idx)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])

    def __repr__(self):
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed}{sampler})")
