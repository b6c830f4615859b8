"""``DistributedSampler``: each of K ranks takes its own share of a dataset (PyTorch's).

One epoch's order is a permutation of the n indices (``shuffle=True``: seeded by
``seed + epoch``; else 0..n-1). To give every rank the same number of samples it is
then padded by repeating its start up to ``total = K * ceil(n / K)`` indices, or, with
``drop_last=True``, cut to ``K * floor(n / K)``. Rank r takes every K-th index from
position r: ``order[r:total:K]``. So with a loader batch of b per rank, local batch k
of the K ranks together is ``order[kKb:(k+1)Kb]``, the batch of Kb a single process
would see.

The permutation is the one ``torch.randperm(n, generator=torch.Generator().manual_seed(
seed + epoch))`` gives (``randperm``), so the index lists equal PyTorch's sampler's.
Call ``set_epoch(epoch)`` before each epoch (``DataLoader.set_epoch`` forwards it),
or every epoch repeats the same order.

>>> from nn.data import DistributedSampler
>>> [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False))
...  for r in (0, 1)]
[[0, 2, 4], [1, 3, 0]]
"""
import math
import numbers

import numpy as np

__all__ = ["DistributedSampler", "randperm"]

_MT_N = 624


def _mt19937_seeded(seed):
    """NumPy's MT19937 in the state ``std::mt19937(seed)`` starts from (init_genrand),
    which is how ``torch.Generator().manual_seed(seed)`` seeds its engine (lower 32
    bits of the seed)."""
    key = [int(seed) & 0xFFFFFFFF]
    for j in range(1, _MT_N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    bit_generator = np.random.MT19937()
    bit_generator.state = {"bit_generator": "MT19937",
                           "state": {"key": np.array(key, dtype=np.uint32), "pos": _MT_N}}
    return bit_generator


def randperm(n, seed):
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` in NumPy.

    PyTorch's CPU randperm (for n below 2**32 / 20) is a Fisher-Yates shuffle driven by
    raw 32-bit MT19937 draws: for i = 0 .. n-2, swap position i with position
    i + (draw_i mod (n - i)).
    """
    n = int(n)
    perm = np.arange(n, dtype=np.int64)
    if n < 2:
        return perm
    if n >= (2 ** 32 - 1) // 20:
        raise ValueError(f"randperm: n={n} is too large for PyTorch's small-n algorithm")
    draws = _mt19937_seeded(seed).random_raw(n - 1)
    offsets = (draws % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
    for i, z in enumerate(offsets.tolist()):
        j = i + z
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"DistributedSampler: {name} must be an int >= {minimum}, got "
                         f"{value!r}")
    return int(value)


class DistributedSampler:
    """The indices of this rank's share of ``dataset`` for one epoch (see module doc).

    ``num_replicas`` / ``rank`` default to the size of and this process's rank in
    MPI's ``COMM_WORLD`` (which needs mpi4py); give both to use the sampler without
    MPI. ``len(sampler)`` is the number of indices per rank per epoch.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ..parallel import comm
            world = comm.world()
            num_replicas = world.Get_size() if num_replicas is None else num_replicas
            rank = world.Get_rank() if rank is None else rank
        self.num_replicas = _check_int(num_replicas, "num_replicas", 1)
        if isinstance(rank, bool) or not isinstance(rank, numbers.Integral):
            raise ValueError(f"DistributedSampler: rank must be an int, got {rank!r}")
        if not 0 <= rank < self.num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {self.num_replicas - 1}]")
        self.rank = int(rank)
        self.seed = _check_int(seed, "seed", 0)
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def indices(self):
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        order = randperm(n, self.seed + self.epoch) if self.shuffle else np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            order = np.resize(order, self.total_size)     # repeats from the start
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the order of epoch ``epoch`` (seed + epoch) from now on."""
        self.epoch = int(epoch)

    def __repr__(self):
        return (f"DistributedSampler({len(self.dataset)} samples, num_replicas="
                f"{self.num_replicas}, rank={self.rank}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, epoch={self.epoch})")
