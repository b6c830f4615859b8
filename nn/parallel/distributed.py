"""``DistributedDataParallel``: one model replica per MPI rank, gradients averaged.

The run, as in PyTorch: every rank builds the same model and wraps it; the wrapper
checks that the models match, copies rank 0's parameters and buffers to every rank,
and from then on every ``loss.backward()`` leaves each rank with the gradient
averaged over the ranks, so ``optimizer.step()`` makes the same update everywhere.
Each rank feeds its own share of every batch (``nn.data.DistributedSampler``), so K
ranks with B/K samples each take the steps one process takes with B samples.

How backward triggers the averaging without a change to the user's loop, as in
PyTorch: every parameter gets a ``register_post_accumulate_grad_hook`` that marks its
gradient ready. The engine calls it once per backward, when the parameter's whole
gradient of that backward is in ``.grad`` (after its last use, wherever in the loss it
was). A bucket's non-blocking ``Iallreduce`` starts as soon as its last gradient is
ready (buckets in order, see ``reducer.py``), overlapping communication with the rest
of the backward, and the first ready gradient queues an end-of-backward callback
(``autograd.hooks.queue_callback``) that starts what is left, waits, and writes the
averages into ``.grad``.

DDP records no graph node of its own (the forward returns the module's outputs as
they are) and defines no backward: the engine's two hooks are its only link to the
backward pass. As in PyTorch, every rank must therefore produce at least one
parameter gradient in a synced backward; a rank whose backward reaches no parameter
never joins the reduction, and the other ranks stop at the timeout with a message
naming the bucket they waited for. ``autograd.grad`` accumulates nothing, runs no
post-accumulate hook, and so averages nothing (as in PyTorch).

>>> # run under mpiexec -n 2 python script.py (see docs/distributed.md)
>>> # ddp = nn.parallel.DistributedDataParallel(model)
>>> # penalty = 1e-4 * sum((p * p).sum() for p in ddp.parameters())   # before or after
>>> # loss = loss_fn(ddp(xb), yb) + penalty
>>> # loss.backward(); opt.step()
"""
import contextlib

import numpy as np

import autograd as ag
from autograd.hooks import queue_callback

from ..module import Module
from . import comm as C
from .reducer import Reducer, assign_buckets, bucket_size_limits

__all__ = ["DistributedDataParallel", "consume_prefix_in_state_dict_if_present"]


def _describe(named):
    return [(name, tuple(t.shape), str(t.dtype)) for name, t in named]


def _first_difference(mine, theirs, rank, kind):
    """Words for how rank ``rank``'s (name, shape, dtype) list differs from rank 0's."""
    counts = ""
    if len(mine) != len(theirs):
        counts = f"rank {rank} has {len(theirs)} {kind} where rank 0 has {len(mine)}"
    for a, b in zip(mine, theirs):
        if a != b:
            first = (f"{kind[:-1]} {b[0]!r} of shape {b[1]} ({b[2]}) on rank {rank} where "
                     f"rank 0 has {a[0]!r} of shape {a[1]} ({a[2]})")
            return f"{counts}; the first difference: {first}" if counts else first
    if counts:
        extra = theirs[len(mine):] or mine[len(theirs):]
        return f"{counts}; the first one not on both: {extra[0][0]!r}"
    return None


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over an MPI communicator (PyTorch's DDP).

    ``module``: the model, built the same way on every rank. ``process_group`` (or
    ``comm``): an mpi4py communicator, default ``MPI.COMM_WORLD``.
    ``broadcast_buffers`` / ``forward_sync_buffers``: copy rank 0's buffers (e.g.
    BatchNorm running statistics) to every rank at the start of each training
    forward (default True). ``bucket_cap_mb``: the size of the gradient buckets
    (default 25, with a 1 MiB first bucket). ``timeout``: seconds any collective may
    wait before the job is aborted (default ``GLASSGRAD_DIST_TIMEOUT`` or 300).
    ``init_sync=False`` skips the construction-time check and broadcast.

    ``find_unused_parameters``, ``gradient_as_bucket_view``, ``static_graph`` and
    ``check_reduction`` are accepted for PyTorch compatibility: the averaging always
    handles parameters without a gradient (they keep ``grad = None`` when no rank
    produced one), and gradients always end up as views of the reduced buckets.
    ``device_ids`` and ``output_device`` must be None (glassgrad runs on the CPU).

    ``ddp.module`` is the wrapped model; ``ddp.state_dict()`` keys start with
    ``module.`` as in PyTorch (``ddp.module.state_dict()`` gives the plain keys).
    ``ddp.reducer.stats`` counts reductions, allreduce calls, bytes and seconds.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, *, comm=None,
                 timeout=None, forward_sync_buffers=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module to wrap, got "
                            f"{type(module).__name__}")
        if device_ids or output_device is not None:
            raise ValueError(f"DistributedDataParallel: device_ids={device_ids!r} and "
                             f"output_device={output_device!r} must be None: glassgrad "
                             "runs on the CPU, one model per MPI rank")
        if comm is not None and process_group is not None:
            raise ValueError("DistributedDataParallel: pass the communicator as comm= or "
                             "process_group=, not both")
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module "
                               "doesn't have any parameter that requires a gradient.")
        self.module = module
        self.comm = C.world(comm if comm is not None else process_group)
        self.timeout = C.check_timeout(timeout, "DistributedDataParallel")
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self.dim = dim
        # PyTorch 2.13: forward_sync_buffers replaces broadcast_buffers and always
        # syncs buffers at construction; broadcast_buffers=False skips both
        if forward_sync_buffers is not None:
            self.broadcast_buffers, init_buffers = bool(forward_sync_buffers), True
        else:
            self.broadcast_buffers = broadcast_buffers is None or bool(broadcast_buffers)
            init_buffers = self.broadcast_buffers
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if self.world_size > 1:
            C.abort_on_error(self.comm)
        if init_sync and self.world_size > 1:
            self._verify_same_model()
            self._broadcast([p for _, p in module.named_parameters()], "parameters")
            if init_buffers:
                self._broadcast(self._buffers_to_sync(), "buffers")
        names, params = [n for n, _ in named], [p for _, p in named]
        buckets = assign_buckets(params, bucket_size_limits(bucket_cap_mb))
        self.bucket_cap_mb = bucket_cap_mb
        self.reducer = Reducer(params, names, buckets, self.comm, self.timeout)
        self._ready_hook_handles = self._register_ready_hooks(params)

    # ------------------------------------------------------------ construction
    def _verify_same_model(self):
        """Every rank must hold the same parameter and buffer names, shapes, dtypes."""
        mine = {"parameters": _describe(self.module.named_parameters()),
                "buffers": _describe((n, b) for n, b in self.module.named_buffers()
                                     if b is not None)}
        everyone = C.allgather(mine, self.comm, self.timeout,
                               "the model check at DistributedDataParallel construction")
        for rank, theirs in enumerate(everyone[1:], 1):
            for kind in ("parameters", "buffers"):
                diff = _first_difference(everyone[0][kind], theirs[kind], rank, kind)
                if diff is not None:
                    raise RuntimeError(
                        f"DistributedDataParallel: the model on rank {rank} differs from "
                        f"rank 0's: {diff}. Every rank must build the same model (same "
                        "layers, sizes and dtypes, in the same order) before wrapping it.")

    def _buffers_to_sync(self):
        return [b for b in self.module.buffers() if b is not None]

    def _broadcast(self, tensors, what):
        """Overwrite ``tensors`` in place with rank 0's, one flat message per dtype."""
        groups = {}
        for t in tensors:
            groups.setdefault(np.dtype(t.dtype), []).append(t)
        for dtype, group in groups.items():
            flat = np.concatenate([t.data.reshape(-1) for t in group]).astype(dtype)
            C.broadcast_(flat, self.comm, self.timeout, f"the broadcast of rank 0's {what}")
            if self.rank == 0:
                continue
            start = 0
            for t in group:
                n = t.data.size
                t.data[...] = flat[start:start + n].reshape(t.data.shape)
                start += n

    def _register_ready_hooks(self, params):
        """Overlap: mark each gradient ready once backward has accumulated it."""
        handles = []
        for i, p in enumerate(params):
            def hook(_param, i=i):
                if self._expect_backward:
                    self._queue_reduction()
                    self.reducer.mark_ready(i)
            handles.append(p.register_post_accumulate_grad_hook(hook))
        return handles

    _expect_backward = False
    _reduction_queued = False

    def _queue_reduction(self):
        """Have the running backward finish the reduction when it ends (once)."""
        if not self._reduction_queued:
            self._reduction_queued = True
            queue_callback(self._reduce_gradients)

    # ----------------------------------------------------------------- running
    def forward(self, *inputs, **kwargs):
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = self._buffers_to_sync()
            if buffers and self.world_size > 1:
                self._broadcast(buffers, "buffers")
        sync = ag.is_grad_enabled() and self.require_backward_grad_sync
        if sync:
            self.reducer.discard()       # hooks of a backward that never finished
            self._reduction_queued = False
        out = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = self._expect_backward = sync
        return out

    def _reduce_gradients(self):
        for p in self.reducer.params:
            if p.grad is not None and p.grad.grad_fn is not None:
                raise RuntimeError("DistributedDataParallel: backward(create_graph=True) "
                                   "is not supported (the averaged gradients would "
                                   "leave the graph); differentiate the module itself "
                                   "(ddp.module) for higher-order gradients")
        self._expect_backward = self._reduction_queued = False
        self.reducer.finish()

    @contextlib.contextmanager
    def no_sync(self):
        """Accumulate gradients locally: backward of forwards run inside this context
        does not average them. The first backward after it (of a forward outside it)
        averages everything accumulated, so A-1 steps under ``no_sync()`` and one
        outside give the gradient of one step on all A micro-batches."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return (f"world_size={self.world_size}, rank={self.rank}, buckets="
                f"{len(self.reducer.buckets)}, broadcast_buffers={self.broadcast_buffers}")


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` (e.g. ``"module."``) from the keys that have it, in place.

    Loads a ``DistributedDataParallel`` checkpoint into the plain model (PyTorch's
    ``torch.nn.modules.utils`` helper of the same name):

    >>> sd = {"module.fc.weight": 1, "module.fc.bias": 2}
    >>> consume_prefix_in_state_dict_if_present(sd, "module.")
    >>> list(sd)
    ['fc.weight', 'fc.bias']
    """
    for key in list(state_dict):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
