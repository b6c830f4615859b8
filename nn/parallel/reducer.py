"""Gradient averaging in flat buckets: which parameters share a bucket, and the reducer.

Bucket assignment (PyTorch's ``compute_bucket_assignment_by_size``): walk the
parameters that require grad in model order, keeping one open bucket per dtype; add
each parameter to its dtype's bucket and close the bucket once it holds at least its
size limit. The limits are 1 MiB for the first bucket of each dtype (when
``bucket_cap_mb`` is left at its default) and ``bucket_cap_mb`` MiB after that. The
buckets are then ordered by their first parameter and the list is reversed: bucket 0
holds the last layers, whose gradients backward produces first, and the small bucket
of the first layers goes last, so that little is left to send when backward ends.

The reducer sums each bucket over the ranks with one ``Iallreduce`` of a flat array
and divides by the number of ranks, so that after backward every rank holds

    grad_p = (1 / K) * sum_r grad_p^(r),

the gradient of the mean of the K ranks' losses. Each bucket also carries one counter
per parameter (1 where this rank produced a gradient): a parameter no rank used keeps
``grad = None``, as in a single process, and one used on some ranks only is averaged
with zeros from the others (PyTorch's ``find_unused_parameters=True`` behaviour).

Buckets are started strictly in bucket order, on every rank the same, because MPI
matches collectives by the order they are called in. ``mark_ready(i)`` is the entry
point for a per-parameter "gradient accumulated" hook (overlap with backward);
``finish()`` starts whatever has not been started and waits for everything.
"""
import time

import numpy as np

from autograd import Tensor

from . import comm as C

MIB = 1024 * 1024
DEFAULT_BUCKET_CAP_MB = 25
FIRST_BUCKET_BYTES = 1 * MIB


def bucket_size_limits(bucket_cap_mb):
    """Byte limits of the buckets: ``[first, later]`` (PyTorch's defaults for None)."""
    if bucket_cap_mb is None:
        return [FIRST_BUCKET_BYTES, DEFAULT_BUCKET_CAP_MB * MIB]
    if isinstance(bucket_cap_mb, bool) or not float(bucket_cap_mb) > 0:
        raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                         f"number of MiB, got {bucket_cap_mb!r}")
    return [int(float(bucket_cap_mb) * MIB)]


def assign_buckets(params, limits):
    """Lists of indices into ``params``, one per bucket, in reduction order."""
    result, open_buckets, limit_index = [], {}, {}
    for i, p in enumerate(params):
        key = np.dtype(p.dtype)
        bucket = open_buckets.setdefault(key, [[], 0])
        bucket[0].append(i)
        bucket[1] += p.data.nbytes
        k = limit_index.setdefault(key, 0)
        if bucket[1] >= limits[k]:
            result.append(bucket[0])
            del open_buckets[key]
            limit_index[key] = min(k + 1, len(limits) - 1)
    result.extend(b[0] for b in open_buckets.values() if b[0])
    result.sort(key=min)
    return result[::-1]


class Bucket:
    """Parameters reduced together: their offsets in one flat array of one dtype."""

    def __init__(self, index, members, params):
        self.index = index
        self.members = members                       # indices into the reducer's params
        self.dtype = np.dtype(params[members[0]].dtype)
        sizes = [params[i].data.size for i in members]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.numel = int(self.offsets[-1])
        self.nbytes = self.numel * self.dtype.itemsize
        self.reset()

    def reset(self):
        self.pending = len(self.members)             # gradients not yet marked ready
        self.request = None
        self.buffer = None
        self.stale = False          # a gradient changed after the bucket was packed


class Reducer:
    """Averages the gradients of ``params`` over ``comm`` in the given buckets."""

    def __init__(self, params, names, buckets, comm, timeout):
        self.params, self.names = params, names
        self.comm, self.timeout = comm, timeout
        self.world_size = comm.Get_size()
        self.buckets = [Bucket(k, members, params) for k, members in enumerate(buckets)]
        self.bucket_of = {}
        for b in self.buckets:
            for i in b.members:
                self.bucket_of[i] = b
        self.next_bucket = 0
        self.ready = [False] * len(params)
        self.stats = {"reductions": 0, "allreduce_calls": 0, "allreduce_bytes": 0,
                      "allreduce_seconds": 0.0}

    # ------------------------------------------------------------- per-step flow
    def mark_ready(self, i):
        """Parameter ``i``'s gradient is final for this backward (hook entry point)."""
        bucket = self.bucket_of[i]
        if self.ready[i]:                    # marked twice: a parameter used twice
            if bucket.request is not None:   # ... after its bucket was packed
                bucket.stale = True
            return
        self.ready[i] = True
        bucket.pending -= 1
        while (self.next_bucket < len(self.buckets)
               and self.buckets[self.next_bucket].pending == 0):
            self._start(self.buckets[self.next_bucket])
            self.next_bucket += 1

    def finish(self):
        """Start every bucket not yet started, wait for all, write the averages back."""
        t0 = time.perf_counter()
        for bucket in self.buckets[self.next_bucket:]:
            self._start(bucket)
        for bucket in self.buckets:
            what = (f"the gradient allreduce of bucket {bucket.index} ({bucket.numel} "
                    f"{bucket.dtype} values: {self._describe(bucket)})")
            C.wait(bucket.request, self.comm, self.timeout, what)
            if bucket.stale:       # a gradient grew after the bucket was sent: resend
                self._start(bucket)
                C.wait(bucket.request, self.comm, self.timeout, what)
            self._write_back(bucket)
        self.stats["allreduce_seconds"] += time.perf_counter() - t0
        self.stats["reductions"] += 1
        self._reset()

    def discard(self):
        """Drop a reduction that hooks started but no backward finished (a forward
        whose output was never backpropagated): wait for what was sent, keep nothing."""
        if self.next_bucket == 0 and not any(self.ready):
            return
        for bucket in self.buckets[:self.next_bucket]:
            C.wait(bucket.request, self.comm, self.timeout, "a discarded gradient bucket")
        self._reset()

    def _reset(self):
        for bucket in self.buckets:
            bucket.reset()
        self.next_bucket = 0
        self.ready = [False] * len(self.params)

    def _describe(self, bucket):
        names = [self.names[i] for i in bucket.members]
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3
                                       else "")

    def _start(self, bucket):
        """Pack the bucket's gradients (and used-counters) and start its allreduce."""
        k = len(bucket.members)
        flat = np.empty(bucket.numel + k, dtype=bucket.dtype)
        for j, i in enumerate(bucket.members):
            lo, hi = bucket.offsets[j], bucket.offsets[j + 1]
            grad = self.params[i].grad
            if grad is None:
                flat[lo:hi] = 0
                flat[bucket.numel + j] = 0
            else:
                flat[lo:hi] = grad.data.reshape(-1)
                flat[bucket.numel + j] = 1
        MPI = C.mpi()
        bucket.buffer = flat
        bucket.request = self.comm.Iallreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        self.stats["allreduce_calls"] += 1
        self.stats["allreduce_bytes"] += flat.nbytes

    def _write_back(self, bucket):
        flat, n = bucket.buffer, bucket.numel
        used = flat[n:]
        grads = flat[:n]
        grads /= self.world_size
        for j, i in enumerate(bucket.members):
            if used[j] == 0:
                continue                             # no rank produced one: stays None
            p = self.params[i]
            view = grads[bucket.offsets[j]:bucket.offsets[j + 1]].reshape(p.data.shape)
            if p.grad is None:
                p.grad = Tensor(view)
            else:
                p.grad.data = view
