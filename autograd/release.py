"""What a backward without ``retain_graph`` frees: the graph's intermediate values.

After ``loss.backward()`` the graph can no longer be backpropagated through again, but
it can still be drawn. The rule (PyTorch frees the same values; it just cannot draw):

* every node drops its saved arrays (``Node.release``);
* an intermediate tensor (made by an op) that nothing but the graph refers to is
  replaced in its consumers' inputs by a *released* stand-in: same shape, dtype, name,
  creation index and ``grad_fn`` (so the graph's structure is intact), but no values:
  its ``data`` is a zero-stride ``ReleasedArray`` costing one element (one per shape
  and dtype, shared), which drawings show as "freed by backward()". Its memory is
  returned at once;
* kept as they are: leaves (parameters, inputs), every tensor the user still holds
  (a variable, a list, a retained grad...), and all of a small graph's tensors (at most
  ``SMALL_GRAPH_BYTES`` of intermediates: a student drawing ``loss`` after
  ``backward()`` sees every value and gradient).

So in the usual loop ``loss = F.cross_entropy(model(xb), yb)`` the previous step's
activations are gone before the next forward starts, although ``loss`` still names
the previous graph until it is rebound: peak memory is one graph's, as in PyTorch.
"""
import operator
import sys

import numpy as np

from .tensor import Tensor

__all__ = ["ReleasedArray", "SMALL_GRAPH_BYTES", "release_intermediates", "is_released"]

SMALL_GRAPH_BYTES = 1 << 20      # graphs whose intermediates take at most this keep them


class ReleasedArray(np.ndarray):
    """The stand-in for an intermediate value freed by backward: right shape and dtype,
    one element of memory (zero strides), read-only."""


def released_like(data):
    """A ``ReleasedArray`` with ``data``'s shape and dtype: zero strides over one zero
    element held by a ``bytes`` object, so read-only. (Made by the ndarray constructor:
    ~10x cheaper than ``broadcast_to`` + ``view``, and a big backward releases
    hundreds; object dtypes, which cannot view bytes, take ``broadcast_to``.)"""
    dtype = data.dtype
    if dtype.hasobject or dtype.itemsize == 0:
        return np.broadcast_to(np.zeros((), dtype), np.shape(data)).view(ReleasedArray)
    return ReleasedArray(data.shape, dtype, bytes(dtype.itemsize), 0, (0,) * data.ndim)


def is_released(t):
    """True if ``t`` (a Tensor or an array) is a value freed by backward."""
    return isinstance(t, ReleasedArray) or isinstance(getattr(t, "data", None), ReleasedArray)


def _extra_references(entry):
    """References to ``entry[0]`` beyond the ``entry[1]`` graph inputs that name it
    (the entry, this frame and the call add a constant, calibrated below)."""
    x = entry[0]
    return sys.getrefcount(x) - entry[1]


def _calibrate():
    probe = Tensor.__new__(Tensor)
    holder = (probe,)  # noqa: F841 - one graph input naming the probe
    entry = [probe, 1, None]
    del probe
    return _extra_references(entry)


_UNHELD = _calibrate()


def _stand_in(x, released):
    """``x`` without its values (``Tensor._init``'s fields set directly: a stand-in takes
    ``x``'s creation index and uses up no new one, so later tensors keep their ids).
    ``released`` maps (shape, dtype) to a ``ReleasedArray``: read-only and valueless, one
    is shared by every stand-in of that shape and dtype in a release."""
    data = x.data
    key = (data.shape, data.dtype)
    stand_in = released.get(key)
    if stand_in is None:
        stand_in = released[key] = released_like(data)
    ghost = Tensor.__new__(Tensor)
    ghost.data, ghost._grad, ghost._ver = stand_in, None, 0
    ghost.requires_grad, ghost.grad_fn, ghost.name = x.requires_grad, x.grad_fn, x.name
    ghost._index, ghost._retains_grad, ghost._float = x._index, x._retains_grad, x._float
    return ghost


def _is_big(nodes):
    """True once the outputs of ``nodes`` (the graph's intermediates, roughly) take more
    than ``SMALL_GRAPH_BYTES``; a big graph answers after its first few big nodes, a
    small one costs one short step per node."""
    total = 0
    for node in nodes:
        out = node.out()
        if out is not None:
            total += out.data.nbytes
            if total > SMALL_GRAPH_BYTES:
                return True
    return False


_BY_INDEX = operator.itemgetter(3)     # an entry's creation index (see below)


def release_intermediates(nodes):
    """Replace, in the inputs of ``nodes`` (the nodes a backward just went through),
    every intermediate tensor nothing else refers to by a released stand-in (see the
    module docstring). Latest first, so that a view dies before its base is looked at."""
    if not _is_big(nodes):
        return
    entries = {}
    for node in nodes:
        xs = node._xs       # node.inputs, read from its slots (as engine.reachable does)
        if type(xs) is int:
            xs = (node._x0, node._x1) if xs == 2 else (node._x0,)
        for x in xs:
            if isinstance(x, Tensor) and x.grad_fn is not None:
                entry = entries.get(id(x))
                if entry is None:
                    entries[id(x)] = [x, 1, node, x._index]
                elif type(entry[2]) is list:
                    entry[1] += 1
                    entry[2].append(node)
                else:       # a second consumer: the consumers become a list
                    entry[1] += 1
                    entry[2] = [entry[2], node]
    xs = x = None       # the loop's last names would count as references below
    order = sorted(entries.values(), key=_BY_INDEX, reverse=True)
    entries.clear()
    released = {}
    for entry in order:
        if type(entry[0].data) is not np.ndarray or _extra_references(entry) > _UNHELD:
            entry[0] = entry[2] = None
            continue
        x = entry[0]
        ghost = _stand_in(x, released)
        consumers = entry[2]
        if type(consumers) is list:
            for node in consumers:
                node.replace_input(x, ghost)
        else:
            consumers.replace_input(x, ghost)
        entry[0] = entry[2] = consumers = None
        del x
