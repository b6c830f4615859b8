"""One flat array per optimizer buffer: a group's step as a handful of NumPy calls.

An optimizer step that loops over parameters makes a dozen NumPy calls per parameter
(Adam: the two moments, the square root, the bias corrections, the quotient, the
update); for a model with many small tensors the Python around those calls is the
step's cost. Here a group keeps its gradients and its state buffers (``exp_avg``,
``momentum_buffer``, ...) each as one array with one view per parameter: the step
gathers the gradients into the flat gradient (one copy per parameter), runs the
update's arithmetic once on the flat arrays, and adds each parameter's slice of the
result into the parameter (``update_``: in place, version bumped). The parameters
themselves stay the arrays the modules hold.

The state stays PyTorch's: ``optimizer.state[p]["exp_avg"]`` is a Tensor of ``p``'s
shape (a view of the flat array), ``state_dict()`` exports copies, and a loaded state
(or one built by a step that could not use the flat arrays) is copied into them at the
next step. The arithmetic is the per-parameter loop's, element for element, so the two
give the same bits (tests/optim/test_flat_state.py); a group whose parameters differ in
dtype, lack a gradient or have different step counts takes the per-parameter loop, and
so does one of large parameters (``max_mean_size``), where the loop is faster.
"""
import numpy as np

from autograd import Tensor

from .optimizer import update_


class FlatGroup:
    """A group's flat gradient, scratch and state buffers, and their per-parameter views
    (``grads``, ``scratches``, ``views[name]``)."""

    __slots__ = ("key", "grad", "grads", "scratch", "scratches", "buffers", "views")

    def __init__(self, key, params, names, dtype):
        self.key = key
        sizes = [p.data.size for p in params]
        total = sum(sizes)
        self.grad = np.empty(total, dtype=dtype)
        self.grads = _split(self.grad, params, sizes)
        self.scratch = np.empty(total, dtype=dtype)
        self.scratches = _split(self.scratch, params, sizes)
        self.buffers, self.views = {}, {}
        for name in names:
            flat = self.buffers[name] = np.zeros(total, dtype=dtype)
            self.views[name] = _split(flat, params, sizes)


def _split(flat, params, sizes):
    views, start = [], 0
    for p, n in zip(params, sizes):
        views.append(flat[start:start + n].reshape(p.data.shape))
        start += n
    return views


def flat_group(opt, group, names, max_mean_size, first=None):
    """The ``FlatGroup`` of ``group`` with ``names`` buffers, holding the gradients and the
    current state, or None when the group must take the per-parameter loop: fewer than two
    parameters, a parameter without a gradient, mixed or non-float dtypes, a gradient of
    another dtype or shape, or state entries with different step counts or buffers.
    ``first`` is what an empty state starts with (``{"step": 0}``), before the buffers.

    Also None when the parameters hold more than ``max_mean_size`` values on average: the
    gather and the per-parameter add are two more passes over memory, which cost more
    than the loop's calls save on large arrays (the break-even, measured on one core:
    Adam ~4,096 values per parameter, momentum SGD ~256)."""
    params = group["params"]
    if len(params) < 2:
        return None
    if sum(p.data.size for p in params) > max_mean_size * len(params):
        return None
    dtype = params[0].data.dtype
    if dtype.kind != "f":
        return None
    steps = set()
    for p in params:
        grad = p.grad
        if grad is None or type(p.data) is not np.ndarray or p.data.dtype != dtype or \
                grad.data.dtype != dtype or grad.data.shape != p.data.shape:
            return None
        state = opt.state.get(p)
        if state:
            if any(name not in state for name in names):
                return None
            steps.add(("step", state.get("step")))
        else:
            steps.add("empty")
    if len(steps) != 1:
        return None
    cache = opt.__dict__.setdefault("_flat_groups", {})
    key = (tuple(map(id, params)), tuple(names), dtype)
    flat = cache.get(id(group))
    if flat is None or flat.key != key:
        flat = cache[id(group)] = FlatGroup(key, params, names, dtype)
    _adopt_state(opt, flat, params, names, first or {})
    maximize = group.get("maximize", False)
    for p, view in zip(params, flat.grads):
        if maximize:
            np.negative(p.grad.data, out=view)
        else:
            np.copyto(view, p.grad.data)
    return flat


def _adopt_state(opt, flat, params, names, first):
    """Make every state buffer of ``params`` a view of ``flat``'s arrays, copying in the
    values of any that is not (a first step, a loaded state dict, a per-parameter step)."""
    for k, p in enumerate(params):
        state = opt.state[p]
        if not state:
            state.update(first)
        for name in names:
            view = flat.views[name][k]
            held = state.get(name)
            if held is None:
                view[...] = 0
                state[name] = Tensor(view)
            elif held.data is not view:
                np.copyto(view, held.data, casting="same_kind")
                held.data = view


def scatter_(params, views, decay=None):
    """θ ← decay·θ + step for each parameter, its step one of ``views`` (of a flat
    array)."""
    for p, view in zip(params, views):
        update_(p, view, decay=decay)
