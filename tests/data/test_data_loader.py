"""DataLoader and datasets: every sample once per epoch, seeded reshuffles, batching."""
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor
from nn.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                     default_collate, random_split)


def make_ds(n=23, d=3):
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(X, y)


class ListDataset(Dataset):
    """A plain map-style dataset (exercises the slow, stacking path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float64), int(i)


def epoch_labels(loader):
    return np.concatenate([yb.numpy() for _, yb in loader])


@pytest.mark.parametrize("make", [make_ds, lambda: ListDataset(23)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 50])
def test_each_sample_exactly_once_per_epoch(make, shuffle, batch_size):
    loader = DataLoader(make(), batch_size=batch_size, shuffle=shuffle, seed=3)
    for _ in range(3):
        labels = epoch_labels(loader)
        assert np.array_equal(np.sort(labels), np.arange(23))
    assert len(list(loader)) == len(loader) == -(-23 // batch_size)


def test_features_stay_with_their_labels():
    loader = DataLoader(make_ds(), batch_size=4, shuffle=True, seed=1)
    for xb, yb in loader:
        assert np.array_equal(xb.numpy()[:, 0], yb.numpy() * 3)


def test_unshuffled_order_is_sequential():
    assert np.array_equal(epoch_labels(DataLoader(make_ds(), batch_size=4)), np.arange(23))


def test_seeded_shuffles_reproducible_and_differ_across_epochs():
    a = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=7)
    b = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=7)
    epochs_a = [epoch_labels(a) for _ in range(3)]
    epochs_b = [epoch_labels(b) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b):
        assert np.array_equal(ea, eb)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert not np.array_equal(epochs_a[1], epochs_a[2])
    assert not np.array_equal(epochs_a[0], np.arange(23))
    other = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=8)
    assert not np.array_equal(epoch_labels(other), epochs_a[0])


def test_set_epoch_replays_an_epoch():
    a = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=7)
    epochs = [epoch_labels(a) for _ in range(3)]
    b = DataLoader(make_ds(), batch_size=5, shuffle=True, seed=7)
    b.set_epoch(2)
    assert np.array_equal(epoch_labels(b), epochs[2])
    assert np.array_equal(a.order(1), epochs[1])


def test_unseeded_shuffle_follows_manual_seed():
    loader = DataLoader(make_ds(), batch_size=5, shuffle=True)
    ag.manual_seed(123)
    first = [epoch_labels(loader) for _ in range(2)]
    ag.manual_seed(123)
    second = [epoch_labels(loader) for _ in range(2)]
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])
    ag.manual_seed(124)
    assert not np.array_equal(epoch_labels(loader), first[0])


def test_order_is_drawn_at_iter_time():
    loader = DataLoader(make_ds(), batch_size=5, shuffle=True)
    ag.manual_seed(5)
    it = iter(loader)
    ag.manual_seed(99)          # must not change the epoch already started
    labels = np.concatenate([yb.numpy() for _, yb in it])
    ag.manual_seed(5)
    assert np.array_equal(labels, epoch_labels(loader))


@pytest.mark.parametrize("shuffle", [False, True])
def test_drop_last(shuffle):
    loader = DataLoader(make_ds(), batch_size=5, shuffle=shuffle, drop_last=True, seed=0)
    batches = list(loader)
    assert len(batches) == len(loader) == 4
    assert all(xb.shape == (5, 3) and yb.shape == (5,) for xb, yb in batches)
    labels = np.concatenate([yb.numpy() for _, yb in batches])
    assert len(np.unique(labels)) == 20


def test_batch_shapes_and_dtypes():
    batches = list(DataLoader(make_ds(), batch_size=10))
    assert [xb.shape for xb, _ in batches] == [(10, 3), (10, 3), (3, 3)]
    xb, yb = batches[0]
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert not xb.requires_grad


def test_slow_path_collates_like_fast_path():
    xb, yb = next(iter(DataLoader(ListDataset(7), batch_size=3)))
    assert xb.shape == (3, 2) and xb.dtype == np.float64
    assert yb.dtype == np.int64 and yb.tolist() == [0, 1, 2]


def test_subset_of_tensor_dataset_fast_path():
    sub = Subset(make_ds(), [4, 2, 9])
    xb, yb = next(iter(DataLoader(sub, batch_size=3)))
    assert yb.tolist() == [4, 2, 9] and xb.shape == (3, 3)


def test_unbatched():
    samples = list(DataLoader(make_ds(5), batch_size=None))
    assert len(samples) == 5 and samples[3][1].item() == 3 and samples[3][0].shape == (3,)


def test_default_collate_structures():
    batch = default_collate([{"a": 1.5, "b": (np.zeros(2), 3)}, {"a": 2.5, "b": (np.ones(2), 4)}])
    assert batch["a"].dtype == ag.get_default_dtype()
    assert batch["b"][0].shape == (2, 2) and batch["b"][1].tolist() == [3, 4]
    assert default_collate(["x", "y"]) == ["x", "y"]
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_tensor_dataset_checks_and_items():
    ds = TensorDataset(ag.tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 1])
    x, y = ds[1]
    assert x.tolist() == [3.0, 4.0] and y.item() == 1
    assert len(ds) == 2 and "2 samples" in repr(ds)
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("kwargs", [dict(batch_size=0), dict(batch_size=2.5),
                                    dict(batch_size=None, drop_last=True),
                                    dict(seed=-1), dict(seed="a")])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="DataLoader"):
        DataLoader(make_ds(), **kwargs)


def test_random_split_and_concat():
    ds = make_ds(10)
    a, b = random_split(ds, [7, 3], seed=0)
    ids = sorted([a[i][1].item() for i in range(7)] + [b[i][1].item() for i in range(3)])
    assert ids == list(range(10))
    a2, _ = random_split(ds, [0.7, 0.3], seed=0)
    assert np.array_equal(a.indices, a2.indices)
    with pytest.raises(ValueError, match="sum to"):
        random_split(ds, [5, 3])
    both = ConcatDataset([make_ds(3), make_ds(2)])
    assert len(both) == 5 and both[4][1].item() == 1 and both[-5][1].item() == 0
    assert len(make_ds(3) + make_ds(4)) == 7
