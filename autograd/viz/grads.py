"""Where a drawing's gradients come from.

``draw_graph(..., grads=...)`` accepts:

* ``None`` (the default): each tensor's ``.grad``, which after ``loss.backward()``
  means the leaves (and tensors that called ``retain_grad()``).
* ``"all"``: every node's gradient. An observed backward runs first
  (``backprop_steps`` to the end, graph kept, every ``.grad`` put back as it was),
  so the picture is the course's circuit diagram while PyTorch's semantics stay:
  ``.grad`` of non-leaves is still None afterwards.
* a :class:`GradMap` (what ``all_grads(loss)`` returns), or any mapping from
  tensors to gradients, e.g. one filled by a ``retain_grads()`` context.

Every source answers the same questions: ``grad(key, tensor)`` (the gradient shown
in the box, plus a note), ``status(key)`` (only while stepping), ``edge_grad``
(the contribution highlighted in the current step) and ``edge_flow`` (what flowed
along an edge, for ``grad_flow`` and the circuit style).

>>> import autograd as ag
>>> x = ag.Tensor(2.0, requires_grad=True, name="x")
>>> y = x * x
>>> grads = all_grads(y * 3.0)
>>> float(grads[y]), float(grads[x]), y.retains_grad, x.grad is None
(3.0, 12.0, False, True)
"""
from collections.abc import Mapping

import numpy as np

from ..tensor import Tensor, quiet_grad
from .record import check_not_freed, output_keys, run_all  # noqa: F401 (check_not_freed)
from .trace import tensor_key, trace


class TensorGrads:
    """The default source: each tensor's ``.grad``."""

    caption = None

    def grad(self, key, tensor):
        """(gradient array or None, note shown after 'grad')."""
        g = quiet_grad(tensor) if isinstance(tensor, Tensor) else None
        return (None if g is None else g.data), ""

    def status(self, key):
        """'current', 'done' or None (only used while stepping)."""
        return None

    def edge_grad(self, src, dst, pos):
        """The gradient sent back along an edge in the current step, or None."""
        return None

    def edge_flow(self, src, dst, pos):
        """The gradient that flowed back along an edge (here: the source's .grad)."""
        return None


class GradMap(Mapping, TensorGrads):
    """Every node's gradient after one backward, keyed by tensor (read-only).

    ``grads[t]`` is the gradient of the root with respect to tensor ``t`` (a NumPy
    array); ``grads.edge(src, dst)`` is the part of it that came through the op
    producing ``dst`` (they differ where a tensor feeds several ops).
    """

    def __init__(self, by_key, tensors, edges=None):
        self._grads = by_key            # tensor key -> array
        self._tensors = tensors         # tensor key -> Tensor
        self._edges = edges or {}       # (src key, dst key, position) -> array

    # Mapping over tensors
    def __getitem__(self, tensor):
        key = tensor_key(tensor) if isinstance(tensor, Tensor) else tensor
        return self._grads[key]

    def __iter__(self):
        return (self._tensors[k] for k in self._grads if k in self._tensors)

    def __len__(self):
        return sum(1 for k in self._grads if k in self._tensors)

    def __repr__(self):
        return f"<GradMap of {len(self)} gradients>"

    def edge(self, src, dst, pos=None):
        """The gradient that flowed from ``dst``'s op back into ``src`` (summed over
        positions if ``src`` enters it more than once)."""
        a, b = tensor_key(src), tensor_key(dst)
        parts = [g for (s, d, p), g in self._edges.items()
                 if s == a and d == b and (pos is None or p == pos)]
        if not parts:
            raise KeyError(f"GradMap.edge: no gradient flowed from {b} into {a}")
        return sum(parts[1:], parts[0])

    # the drawing-source interface
    def grad(self, key, tensor):
        return self._grads.get(key), ""

    def edge_flow(self, src, dst, pos):
        g = self._edges.get((src, dst, pos))
        return g if g is not None else (self._grads.get(src) if not self._edges else None)


def as_source(grads, roots):
    """The drawing source for ``draw_graph``'s ``grads`` option."""
    if grads is None or (isinstance(grads, str) and grads == "leaves"):
        return TensorGrads()
    if isinstance(grads, str):
        if grads != "all":
            raise ValueError(f"draw_graph: grads must be None, 'all' or a mapping from "
                             f"tensors to gradients, got {grads!r}")
        if len(roots) != 1:
            raise ValueError(f"draw_graph: grads='all' runs the backward of one output; "
                             f"got {len(roots)} roots. Draw them one at a time, or draw "
                             "their sum")
        return all_grads(roots[0])
    if isinstance(grads, GradMap):
        return grads
    if isinstance(grads, Mapping):
        return _from_mapping(grads)
    raise TypeError(f"draw_graph: grads must be None, 'all' or a mapping from tensors to "
                    f"gradients, got {type(grads).__name__}")


def _from_mapping(mapping):
    by_key, tensors = {}, {}
    for t, g in mapping.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: the keys of grads must be Tensors, got "
                            f"{type(t).__name__}")
        if g is None:
            continue
        key = tensor_key(t)
        by_key[key] = np.asarray(getattr(g, "data", g))
        tensors[key] = t
    return GradMap(by_key, tensors)


def all_grads(root, gradient=None):
    """Every node's gradient of ``root`` as a :class:`GradMap`, by an observed backward.

    Nothing changes: the graph is kept and every ``.grad`` is put back as it was (so
    ``root.backward()`` still works afterwards, and non-leaves keep ``.grad`` None).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"all_grads: expected a Tensor, got {type(root).__name__}")
    if root.grad_fn is None:
        raise ValueError("all_grads: this tensor has no recorded operations (it is a leaf "
                         "or was made without gradients); build it from tensors with "
                         "requires_grad=True")
    run = run_all(root, gradient, accumulate=False, who="draw_graph(loss, grads='all')")
    graph = trace(root)
    by_key = {key: hist[-1][1] for key, hist in run.history.items()}
    edges = {}
    for step in run.steps:
        for dst in output_keys(step.grad_fn):
            for pos, (x, g) in enumerate(zip(step.inputs, step.input_grads)):
                if g is not None and isinstance(x, Tensor):
                    edges[(tensor_key(x), dst, pos)] = g
    return GradMap(by_key, dict(graph.tensors), edges)


class retain_grads:  # noqa: N801 - a context manager named like a function (no_grad)
    """Record every gradient of the backward passes run inside the block.

    ``with ag.retain_grads() as grads: loss.backward()`` is an ordinary backward
    (leaves' ``.grad`` accumulate as always) that also records each intermediate
    tensor's gradient: inside the block every non-leaf it reached has a ``.grad``
    (as if each had called ``retain_grad()``); when the block ends those are put
    back as they were (None), PyTorch's semantics, while ``grads`` keeps them all as
    a :class:`GradMap` for drawing: ``ag.draw_graph(loss, grads=grads)``. Several
    backward passes in one block add up, as ``.grad`` does. Hooks' replacements are
    what it records.

    >>> import autograd as ag
    >>> x = ag.Tensor(3.0, requires_grad=True)
    >>> h = x * x
    >>> with ag.retain_grads() as grads:
    ...     (h * 2.0).backward()
    ...     inside = float(h.grad)
    >>> inside, float(grads[h]), float(grads[x]), h.retains_grad, float(x.grad)
    (2.0, 2.0, 12.0, False, 12.0)
    """

    def __init__(self):
        self.grads = GradMap({}, {}, {})
        self._restore = {}              # key -> (tensor, its .grad before the block)

    def __enter__(self):
        from .. import hooks
        hooks.RECORDERS.append(self)
        return self.grads

    def __exit__(self, *exc):
        from .. import hooks
        hooks.RECORDERS.remove(self)
        for t, before in self._restore.values():
            t.grad = before
        self._restore.clear()
        return False

    def record(self, node, grad_output, input_grads):
        """Called by the engine after each node of a backward inside the block."""
        refs = getattr(node, "outs", None) or (node.out,)
        outs = [r() for r in refs]
        gs = grad_output if len(refs) > 1 else [grad_output]
        for t, g in zip(outs, gs):
            if t is None or g is None:
                continue
            key = self._add(t, g)
            if not t._retains_grad:
                self._restore.setdefault(key, (t, quiet_grad(t)))
                t.grad = Tensor(np.array(self.grads._grads[key], copy=True))
        dst = [tensor_key(t) for t in outs if t is not None]
        for pos, (x, gi) in enumerate(zip(node.inputs, input_grads)):
            if gi is None or not isinstance(x, Tensor):
                continue
            if x.grad_fn is None:
                self._add(x, gi)
            for d in dst:
                self._sum(self.grads._edges, (tensor_key(x), d, pos), gi)

    def _add(self, t, g):
        key = tensor_key(t)
        self.grads._tensors[key] = t
        self._sum(self.grads._grads, key, g)
        return key

    @staticmethod
    def _sum(table, key, g):
        g = np.array(getattr(g, "data", g), copy=True)
        old = table.get(key)
        table[key] = g if old is None else old + g
