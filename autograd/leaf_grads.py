"""A leaf's ``.grad``: how the backward walk stores and accumulates it.

- A gradient nothing else refers to is adopted as ``.grad`` without a copy
  (``unshared``, reference counts calibrated at import), as PyTorch's AccumulateGrad
  steals a buffer no one else uses; otherwise ``.grad`` gets its own array, so no two
  gradients, the seed or a tensor's data ever share memory.
- Later gradients are added in place when only ``.grad`` refers to its array
  (``_add_into_grad``), else into a new one, so an array someone took keeps its values.
- Every walk that accumulates sums a leaf's contributions first and adds the sum once
  (``accumulate_leaves``): PyTorch's order, ``grad + (g1 + g2)``, whether or not a hook
  or a stepper watches (``show_leaves`` is the stepper's view meanwhile).
"""
import sys

import numpy as np

from . import grad_mode
from .tensor import Tensor, set_stored_grad, stored_grad


def accumulate_leaves(leaves, create_graph):
    """One accumulation per leaf, of the sum (as PyTorch's AccumulateGrad receives it),
    in every walk that accumulates, so a hook or a stepper changes no bit of a ``.grad``:
    a weight used by 25,000 nodes of a chain costs 25,000 scalar additions, not 25,000
    accumulations. The sum is adopted when only the walk held it and .grad was None."""
    for x, g, owned in leaves.values():
        accumulate_leaf(x, g, create_graph,
                         owned and not create_graph and stored_grad(x) is None)


def show_leaves(node, leaves, shown):
    """While a stepper watches, each leaf this node sent to shows its ``.grad`` as it
    stands: the value before the walk plus the sum so far. A leaf without one gets its
    ``.grad`` Tensor now, as a walk adding each contribution would (so creation indices,
    and the names pictures give, stay those of such a walk); one with a ``.grad`` keeps
    that Tensor, showing a new array until ``end_view`` puts the old one back."""
    for x in node.inputs:
        entry = leaves.get(id(x)) if isinstance(x, Tensor) else None
        if entry is None:
            continue
        entry[2] = False            # the stepper keeps each contribution: no sum in place
        total = getattr(entry[1], "data", entry[1])
        seen = shown.get(id(x))
        if seen is None:
            grad = stored_grad(x)
            if grad is None:
                grad = Tensor.__new__(Tensor)
                grad._init(np.array(total, dtype=x.data.dtype, copy=True))
                set_stored_grad(x, grad)
                shown[id(x)] = (x, grad, None)
                continue
            seen = shown[id(x)] = (x, grad, grad.data)
        x, grad, before = seen
        grad.data = np.array(total if before is None else before + total,
                             dtype=x.data.dtype, copy=True)


def end_view(shown, leaves, create_graph):
    """The stepper's view ends: a ``.grad`` made for it holds the sum (as
    ``accumulate_leaf`` would make it) and its leaf needs nothing more; an older
    ``.grad`` gets its own array back, for ``accumulate_leaves`` to add the sum once."""
    for x, grad, before in shown.values():
        if before is not None:
            grad.data = before
        elif create_graph:               # a Tensor in a graph: accumulate_leaf makes it
            set_stored_grad(x, None)
        else:
            total = leaves.pop(id(x))[1]
            grad.data = np.array(getattr(total, "data", total), dtype=x.data.dtype,
                                 copy=True)
    shown.clear()


def _reference_counts(items, k):
    """Reference counts of ``items[k]`` and of the array it views (0 if none)."""
    gi = items[k]
    base = gi.base
    return sys.getrefcount(gi), (0 if base is None else sys.getrefcount(base))


def _calibrate():
    """The counts ``_reference_counts`` sees for arrays nothing else refers to, measured
    once (so that the check does not depend on how an interpreter counts references)."""
    items = [np.empty(2)]
    gi = items[0]  # noqa: F841 - mirrors the walk's variable
    alone = _reference_counts(items, 0)[0]
    items = [np.empty(2)[::2]]
    gi = items[0]  # noqa: F841
    return alone, _reference_counts(items, 0)[1]


_ALONE, _BASE_ALONE = _calibrate()


def unshared(input_grads, k):
    """True if ``input_grads[k]`` (also held by the walk's variable) and the memory it
    views are referenced by nothing else: not the upstream gradient, not another
    input's gradient, not a tensor's data. A leaf can then adopt it as its ``.grad``
    without a copy, as PyTorch's AccumulateGrad steals a buffer no one else uses.
    """
    own, base_refs = _reference_counts(input_grads, k)     # before binding any name
    gi = input_grads[k]
    if type(gi) is not np.ndarray or not gi.flags.writeable or own > _ALONE:
        return False
    base = gi.base
    return base is None or (type(base) is np.ndarray and base_refs <= _BASE_ALONE)


def writable(t):
    """``t`` with its data made a writable ndarray (a sum of 0-d arrays is a NumPy
    scalar, a VJP may return a read-only broadcast view): ``.grad`` is always writable."""
    data = t.data
    if type(data) is not np.ndarray or not data.flags.writeable:
        t.data = np.array(data, copy=True)
    return t


def accumulate_leaf(leaf, g, create_graph, owned=False):
    """leaf.grad += g (a fresh array the first time, so no two grads share memory;
    ``owned`` says nothing else refers to ``g``, which is then adopted as is).

    With ``create_graph`` the gradient is a Tensor in a graph: the first one is a
    differentiable copy (PyTorch's clone), never the Tensor a VJP or the caller gave,
    so two leaves' grads are never one object and a later backward never changes the
    caller's ``gradient=`` tensor; later ones are added out of place."""
    grad = stored_grad(leaf)      # the Tensor behind .grad (a Value reads it as a number)
    if create_graph:
        if not isinstance(g, Tensor):
            g = Tensor(np.asarray(g))
        if grad is not None:
            set_stored_grad(leaf, writable(grad + g))
        elif g.requires_grad and grad_mode.STATE.enabled:
            set_stored_grad(leaf, writable(g * 1))
        else:
            set_stored_grad(leaf, Tensor(np.array(g.data, copy=True)))
        return
    if isinstance(g, Tensor):
        g = g.data
    if grad is None:
        grad = Tensor.__new__(Tensor)
        owned = owned and g.dtype == leaf.data.dtype
        grad._init(g if owned else np.array(g, dtype=leaf.data.dtype, copy=True))
        set_stored_grad(leaf, grad)
    elif grad.grad_fn is not None or grad.data.shape != leaf.data.shape:
        set_stored_grad(leaf, writable(Tensor(grad.data + g)))
    else:
        _add_into_grad(grad, g)


def _add_into_grad(grad, g):
    """``grad += g``: in place when nothing but ``grad`` refers to its array (or to the
    array that one views), as PyTorch's AccumulateGrad does (W6m's recurrent weights
    receive 50 gradients per step: 50 new 512x128 sums otherwise); else a new array, so
    that an array someone took from ``.grad`` before (``explain`` restoring it, a user's
    ``g = w.grad.numpy()``, a graph that saved it) keeps its values."""
    if _grad_alone(grad):                     # (before any name here binds the array)
        data = grad.data
        if type(data) is np.ndarray and data.flags.writeable and \
                np.result_type(data, g) == data.dtype:
            np.add(data, g, out=data)
            return
    grad.data = np.asarray(grad.data + g)     # a sum of 0-d arrays is a NumPy scalar


def _grad_references(holder):
    """Reference counts of ``holder.data`` and of the array it views (0 if none)."""
    data = holder.data
    base = data.base
    return sys.getrefcount(data), (0 if base is None else sys.getrefcount(base))


class _Holder:
    __slots__ = ("data",)      # a slot, as Tensor's


def _calibrate_grad():
    """What ``_grad_references`` sees for an array held by one slot alone, and for the
    base of a view held so (measured once, as ``_calibrate``)."""
    alone, view = _Holder(), _Holder()
    alone.data, view.data = np.empty(2), np.empty(4)[::2]
    return _grad_references(alone)[0], _grad_references(view)[1]


_GRAD_ALONE, _GRAD_BASE_ALONE = _calibrate_grad()


def _grad_alone(grad):
    """True if only ``grad`` refers to its array and to the memory that array views."""
    own, base_refs = _grad_references(grad)
    if own > _GRAD_ALONE:
        return False
    base = grad.data.base
    return base is None or (type(base) is np.ndarray and base_refs <= _GRAD_BASE_ALONE)
