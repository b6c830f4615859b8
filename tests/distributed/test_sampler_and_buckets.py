"""In-process checks (no MPI needed): DistributedSampler and randperm against PyTorch,
DataLoader(sampler=), and DDP's bucket assignment against PyTorch's."""
import itertools

import numpy as np
import pytest
import torch
import torch.distributed as tdist
from torch.utils.data import DistributedSampler as TorchSampler

from autograd import Tensor
from nn.data import DataLoader, DistributedSampler, TensorDataset
from nn.data.distributed import randperm
from nn.parallel.reducer import assign_buckets, bucket_size_limits


@pytest.mark.parametrize("n", [0, 1, 2, 7, 100, 1797])
@pytest.mark.parametrize("seed", [0, 1, 12345, 2 ** 32 + 7])
def test_randperm_equals_torch(n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    assert randperm(n, seed).tolist() == torch.randperm(n, generator=g).tolist()


CASES = list(itertools.product([1, 5, 10, 11, 48], [1, 2, 3, 4, 7], [False, True],
                               [False, True], [0, 3], [0, 2]))


@pytest.mark.parametrize("n, k, shuffle, drop_last, seed, epoch", CASES)
def test_sampler_equals_torch(n, k, shuffle, drop_last, seed, epoch):
    """Every rank's index list and length, with padding or drop_last, any epoch."""
    data = list(range(n))
    for rank in range(k):
        ours = DistributedSampler(data, num_replicas=k, rank=rank, shuffle=shuffle,
                                  seed=seed, drop_last=drop_last)
        theirs = TorchSampler(data, num_replicas=k, rank=rank, shuffle=shuffle, seed=seed,
                              drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert ours.total_size == theirs.total_size


def test_epochs_differ_and_ranks_partition_the_data():
    samplers = [DistributedSampler(range(12), num_replicas=3, rank=r, seed=1)
                for r in range(3)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(sum(epoch0, [])) == list(range(12))
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != epoch0


@pytest.mark.parametrize("kwargs, message", [
    ({"num_replicas": 2, "rank": 2}, "Invalid rank 2, rank should be in the interval [0, 1]"),
    ({"num_replicas": 2, "rank": -1}, "Invalid rank -1"),
    ({"num_replicas": 0, "rank": 0}, "num_replicas must be an int >= 1"),
    ({"num_replicas": 2, "rank": 0.5}, "rank must be an int"),
    ({"num_replicas": 2, "rank": 0, "seed": -1}, "seed must be an int >= 0"),
])
def test_sampler_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DistributedSampler(range(4), **kwargs)


def test_dataloader_uses_the_sampler():
    ds = TensorDataset(np.arange(10.0)[:, None], np.arange(10))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, seed=4)
    loader = DataLoader(ds, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    loader.set_epoch(5)                               # forwarded to the sampler
    assert sampler.epoch == 5
    got = np.concatenate([yb.numpy() for _, yb in loader])
    assert got.tolist() == list(sampler)
    assert isinstance(next(iter(loader))[0], Tensor)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, batch_size=2, shuffle=True, sampler=sampler)
    assert "sampler=DistributedSampler" in repr(loader)


def _params(shapes_dtypes):
    return [Tensor(np.zeros(shape, dtype)) for shape, dtype in shapes_dtypes]


@pytest.mark.parametrize("shapes, cap_mb", [
    ([((300, 300), np.float32), ((300,), np.float32), ((10,), np.float64),
      ((600, 600), np.float32), ((5,), np.float32)], None),
    ([((256, 64), np.float32), ((256,), np.float32), ((10, 256), np.float32),
      ((10,), np.float32)], None),
    ([((256, 64), np.float64), ((256,), np.float64), ((10, 256), np.float64),
      ((10,), np.float64)], 0.01),
    ([((1000, 1000), np.float32), ((3,), np.float32), ((1000, 1000), np.float32)], 1),
])
def test_bucket_assignment_equals_torch(shapes, cap_mb):
    """PyTorch's assignment (model order, per dtype, first bucket 1 MiB by default),
    then reversed: bucket 0 holds the last layers."""
    limits = bucket_size_limits(cap_mb)
    tensors = [torch.zeros(shape, dtype=torch.float64 if dtype == np.float64
                           else torch.float32) for shape, dtype in shapes]
    theirs, _ = tdist._compute_bucket_assignment_by_size(tensors, limits)
    assert assign_buckets(_params(shapes), limits) == list(reversed(theirs))


@pytest.mark.parametrize("cap", [0, -1, True, "x"])
def test_bucket_cap_must_be_positive(cap):
    with pytest.raises((ValueError, TypeError)):
        bucket_size_limits(cap)
