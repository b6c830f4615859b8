"""Datasets: indexable collections of samples (PyTorch's map-style datasets).

A dataset is anything with ``__len__`` and ``__getitem__(i)``; ``DataLoader`` turns it
into shuffled mini-batches. ``TensorDataset`` wraps equally long arrays so that sample
``i`` is ``(a[i], b[i], ...)``; it is the fast path of the loader, which then indexes
the arrays with a whole batch of indices at once instead of stacking samples.

>>> import numpy as np
>>> from nn.data import TensorDataset
>>> ds = TensorDataset(np.zeros((5, 3)), np.arange(5))
>>> len(ds), ds[2][1]
(5, tensor(2))
"""
import numbers

import numpy as np

from autograd import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: override ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


def _as_array(x, what):
    """The numpy array behind a Tensor, array or nested list (no copy when possible)."""
    if isinstance(x, Tensor):
        return x.data
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"{what}: cannot turn a {type(x).__name__} into a numeric array")
    return arr


class TensorDataset(Dataset):
    """Samples ``(t[i] for t in tensors)`` from equally long Tensors or arrays.

    ``tensors`` may be ``autograd.Tensor``s or anything ``np.asarray`` accepts; they
    are kept as numpy arrays (dtypes unchanged) and every sample is returned as a
    tuple of Tensors, like ``torch.utils.data.TensorDataset``.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        arrays = tuple(_as_array(t, "TensorDataset") for t in tensors)
        for i, arr in enumerate(arrays):
            if arr.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs "
                                 "a first (sample) dimension")
        sizes = [arr.shape[0] for arr in arrays]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(arr.shape) for arr in arrays)
            raise ValueError(f"TensorDataset: all tensors must have the same first "
                             f"dimension (the number of samples), got shapes {shapes}")
        self.arrays = arrays

    @property
    def tensors(self):
        return tuple(Tensor(arr) for arr in self.arrays)

    def __getitem__(self, index):
        return tuple(Tensor(np.asarray(arr[index])) for arr in self.arrays)

    def take(self, indices):
        """A whole batch at once: ``tuple(Tensor(arr[indices]) for arr in arrays)``."""
        return tuple(Tensor(arr[indices]) for arr in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def __repr__(self):
        shapes = ", ".join(f"{arr.shape} {arr.dtype}" for arr in self.arrays)
        return f"TensorDataset({len(self)} samples: {shapes})"


class Subset(Dataset):
    """The samples ``dataset[i] for i in indices`` (a view, nothing is copied)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices out of range for a dataset of {n} samples")

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return int(self.indices.size)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative = np.cumsum([len(d) for d in self.datasets])

    def __len__(self):
        return int(self.cumulative[-1])

    def __getitem__(self, index):
        index = int(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
        which = int(np.searchsorted(self.cumulative, index, side="right"))
        start = 0 if which == 0 else int(self.cumulative[which - 1])
        return self.datasets[which][index - start]


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` are sample counts or fractions summing to 1 (the remainder of the
    rounding goes to the first subsets, as in PyTorch). ``seed`` gives a reproducible
    split; without it the permutation is drawn from ``autograd.get_rng()``.
    """
    from .split import _generator

    n = len(dataset)
    lengths = list(lengths)
    if all(isinstance(x, float) for x in lengths) and abs(sum(lengths) - 1) < 1e-6:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples")
    perm = _generator(seed).permutation(n)
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
