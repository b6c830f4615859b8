"""Hooks: PyTorch's ways of looking at (and changing) gradients during backward.

* ``t.register_hook(fn)``: ``fn(grad)`` runs when the gradient with respect to ``t``
  has been computed (for a leaf: the sum of every contribution of this backward,
  before it is added to ``.grad``). It may return a Tensor of the same shape and
  dtype that replaces the gradient from then on (what flows further back, what
  ``retain_grad()`` keeps, what reaches ``.grad``). Several hooks run in the order
  they were registered, each on the previous one's result.
* ``t.register_post_accumulate_grad_hook(fn)`` (leaves only): ``fn(t)`` runs once
  per backward, right after this backward's gradient was added to ``t.grad``; it
  must return None. ``autograd.grad`` accumulates nothing, so it does not run them.

Each registration returns a :class:`RemovableHandle`; ``handle.remove()`` (or leaving
``with handle:``) unregisters the hook. The engine's walk calls ``HookPlan`` below:
it holds back the contributions to a hooked leaf until the walk has passed the
leaf's last consumer (the consumer created first, since the walk visits nodes
latest-created first), so the hook sees the whole gradient once, as in PyTorch.

``queue_callback(fn)`` (PyTorch's ``Variable._execution_engine.queue_callback``)
runs ``fn()`` once the current backward has finished; DDP uses it to wait for its
last gradient buckets.

>>> import autograd as ag
>>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
>>> handle = x.register_hook(lambda g: g * 10)
>>> (x * 3).sum().backward()
>>> x.grad
tensor([30., 30.])
>>> handle.remove()
"""
import itertools
import weakref

import numpy as np

from .edits import CountedOrderedDict
from .inplace import share_version
from .ops.registry import Node
from .tensor import Tensor


class _Count:
    """How many tensor hooks are registered; the walk skips all hook work at zero."""
    tensor_hooks = 0


ACTIVE = _Count()


class RemovableHandle:
    """Removes one registered hook (``torch.utils.hooks.RemovableHandle``).

    ``remove()`` may be called any number of times; ``with handle: ...`` removes the
    hook when the block ends.
    """

    _ids = itertools.count()

    def __init__(self, hooks_dict, on_remove=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        self._on_remove = on_remove

    def remove(self):
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]
            if self._on_remove is not None:
                self._on_remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"


def hook_dict(items=()):
    """A new table of hooks (ordered; handles refer to it weakly; its edits counted
    for ``ag.compile``'s guards, see ``edits.py``)."""
    return CountedOrderedDict(items)


def add_hook(hooks_dict, hook, prepend=False, on_remove=None):
    """Insert ``hook`` in ``hooks_dict`` (a ``hook_dict()``; first if ``prepend``) and
    return its handle."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks_dict, on_remove)
    hooks_dict[handle.id] = hook
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle


def _hook_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def _add_tensor_hook(tensor, slot, hook):
    """Add ``hook`` to the tensor's table ``slot`` and count it in ``ACTIVE``.

    The table's ``live`` box counts its hooks; when the tensor is freed, its hooks no
    longer count (the box, not the table, is what the finalizer holds: a hook that
    refers to its tensor must not keep it alive)."""
    table = getattr(tensor, slot, None)
    if table is None:
        table = hook_dict()
        table.live = [0]
        setattr(tensor, slot, table)
        weakref.finalize(tensor, _forget, table.live)
    live = table.live

    def removed():
        live[0] -= 1
        ACTIVE.tensor_hooks -= 1
    handle = add_hook(table, hook, on_remove=removed)
    live[0] += 1
    ACTIVE.tensor_hooks += 1
    return handle


def _forget(live):
    ACTIVE.tensor_hooks -= live[0]
    live[0] = 0


def _not_in_a_trace(what):
    """A hook registered while ``ag.compile`` traces would not be registered by a
    replay: that call runs eagerly."""
    from .compile import state
    rec = state.ACTIVE[0]
    if rec is not None:
        rec.uncapturable(f"{what} inside a compiled function (a replay would not "
                         "register the hook)")


def register_hook(tensor, hook):
    """``Tensor.register_hook``: see the module docstring."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                           "gradient (create it with requires_grad=True, or register "
                           "the hook on a tensor computed from one)")
    _not_in_a_trace("Tensor.register_hook")
    return _add_tensor_hook(tensor, "_hooks", hook)


def register_post_accumulate_grad_hook(tensor, hook):
    """``Tensor.register_post_accumulate_grad_hook``: see the module docstring."""
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors (they run after a leaf's .grad is updated); use "
                           "register_hook for an intermediate tensor")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                           "gradient (create it with requires_grad=True)")
    _not_in_a_trace("Tensor.register_post_accumulate_grad_hook")
    return _add_tensor_hook(tensor, "_post_hooks", hook)


def _as_tensor(g):
    if isinstance(g, Tensor):
        return g
    t = Tensor.__new__(Tensor)
    t._init(np.asarray(g))
    return t


def run_tensor_hooks(tensor, g, create_graph):
    """Apply ``tensor``'s hooks to its gradient ``g`` (an array, or a Tensor when
    ``create_graph``); return the gradient to use from now on."""
    for hook in list(tensor._hooks.values()):
        arg = _as_tensor(g)
        result = hook(arg)
        if result is None or result is arg:
            continue
        name = _hook_name(hook)
        if not isinstance(result, Tensor):
            raise TypeError(f"hook '{name}' returned a {type(result).__name__}; a tensor "
                            "hook must return None or a Tensor (the new gradient)")
        if result.shape != arg.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value: the gradient "
                               f"has shape {arg.shape}, the hook returned shape "
                               f"{result.shape}; return a gradient of the same shape")
        if result.dtype != arg.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                               f"{arg.dtype} got {result.dtype}); return a gradient of "
                               "the same dtype")
        g = result if create_graph else result.data
    return g


def run_post_accumulate_hooks(tensor):
    """Call ``tensor``'s post-accumulate-grad hooks (after its ``.grad`` was updated)."""
    for hook in list(tensor._post_hooks.values()):
        if hook(tensor) is not None:
            raise RuntimeError(f"Tensor post accumulate grad hooks should return None "
                               f"(hook '{_hook_name(hook)}' returned a value); change "
                               "tensor.grad in place instead")


def _hooked(t):
    return bool(getattr(t, "_hooks", None)) or bool(getattr(t, "_post_hooks", None))


class HookPlan:
    """What the walk does for hooks in one backward (made only when hooks exist).

    ``leaves``: ids of the hooked leaves whose gradient this walk delivers;
    ``flush_at``: node -> leaves whose last consumer it is; ``pending``: id -> [leaf,
    gradient summed so far]. ``changes`` collects (tensor, before, after) for the
    stepper when ``observe`` is set.
    """

    def __init__(self, order, targets, post_hooks, observe):
        self.targets, self.post_hooks, self.observe = targets, post_hooks, observe
        last = {}
        for node in order:                       # latest-created first
            for x in node.inputs:
                if (isinstance(x, Tensor) and x.grad_fn is None and x.requires_grad
                        and _hooked(x) and (targets is None or id(x) in targets)):
                    last[id(x)] = (x, node)      # overwritten until the earliest consumer
        self.leaves = set(last)
        self.flush_at = {}
        for x, node in last.values():
            self.flush_at.setdefault(node, []).append(x)
        self.pending = {}
        self.changes = []

    def output_hooks(self, node, g, create_graph):
        """Run the hooks of ``node``'s output tensors on their gradients ``g``."""
        if node.n_outputs == 1:
            out = node.out()
            if out is not None and getattr(out, "_hooks", None):
                g = self._run(out, g, create_graph)
            return g
        for k, t in enumerate(node.outputs()):
            if t is not None and g[k] is not None and getattr(t, "_hooks", None):
                g[k] = self._run(t, g[k], create_graph)
        return g

    def _run(self, t, g, create_graph):
        before = np.array(getattr(g, "data", g), copy=True) if self.observe else None
        g = run_tensor_hooks(t, g, create_graph)
        if self.observe:
            after = np.asarray(getattr(g, "data", g))
            if not np.array_equal(before, after):
                self.changes.append((t, before, after.copy()))
        return g

    def add(self, leaf, g):
        """Hold back a contribution to a hooked leaf until its last consumer."""
        slot = self.pending.get(id(leaf))
        if slot is None:
            self.pending[id(leaf)] = [leaf, g]
        else:
            slot[1] = slot[1] + g

    def flush(self, node, accumulate, create_graph):
        """After ``node``: hand each leaf it was the last consumer of its gradient."""
        for leaf in self.flush_at.get(node, ()):
            slot = self.pending.pop(id(leaf), None)
            if slot is not None:
                self.deliver(leaf, slot[1], accumulate, create_graph)

    def deliver(self, leaf, g, accumulate, create_graph):
        """Tensor hooks, then ``.grad += g`` (or the grad() target), then post hooks."""
        if getattr(leaf, "_hooks", None):
            g = self._run(leaf, g, create_graph)
        if self.targets is not None:
            slot = self.targets.get(id(leaf))
            if slot is not None:
                slot[1] = g if slot[1] is None else slot[1] + g
            return
        accumulate(leaf, g, create_graph)
        if self.post_hooks and getattr(leaf, "_post_hooks", None):
            run_post_accumulate_hooks(leaf)

    def take_changes(self):
        changes, self.changes = self.changes, []
        return changes


# Observers of every backward while a ``retain_grads()`` block runs (innermost last):
# objects with ``record(node, grad_output, input_grads)``.
RECORDERS = []


# ----------------------------------------------------------- end-of-backward callbacks
class _Callbacks:
    current = None        # the list of the walk whose node is being processed


CALLBACKS = _Callbacks()


def queue_callback(fn):
    """Run ``fn()`` when the backward that is running now has finished (from a hook or
    a Function's backward only, as PyTorch's ``queue_callback``)."""
    if CALLBACKS.current is None:
        raise RuntimeError("queue_callback: final callbacks can only be installed during "
                           "the backward pass (from a hook or a Function's backward)")
    CALLBACKS.current.append(fn)


def run_callbacks(callbacks):
    """Run (and drop) the callbacks a walk collected; ones they queue run too."""
    outer, CALLBACKS.current = CALLBACKS.current, callbacks
    try:
        while callbacks:
            callbacks.pop(0)()
    finally:
        CALLBACKS.current = outer


# ------------------------------------------------------------------ gradient taps
class TapOp:
    """The op of a ``tap`` node (a ``Node`` like any other): an identity whose backward
    shows the gradients of its outputs to ``on_grads`` (a list, None where no gradient
    came; zeros instead with ``materialize``) and passes on what it returns. Being an
    identity, it also works under ``create_graph``."""

    __slots__ = ("name", "rules", "on_grads", "materialize")

    def __init__(self, name, on_grads, materialize=False):
        self.name = name
        self.rules = (f"identity (the gradient passes through {name}'s hooks)",)
        self.on_grads = on_grads
        self.materialize = materialize

    def input_grads(self, node, g, create_graph, wanted):
        grads = list(g) if node.n_outputs > 1 else [g]
        if self.materialize:        # as a Function's backward sees them: zeros, not None
            grads = [np.zeros_like(x.data) if gk is None else gk
                     for gk, x in zip(grads, node.inputs)]
        grads = self.on_grads(grads, create_graph)
        return [gk if w else None for gk, w in zip(grads, wanted)]

    def check_overwrite(self, node, t, opname):
        """An in-place write into a tap's output is fine: the tap saved nothing."""

    def __repr__(self):
        return f"<tap {self.name}>"


def tap(tensors, on_grads, name="BackwardHookFunctionBackward", materialize=False):
    """New tensors equal to (and sharing the data of) ``tensors``, whose gradients go
    through ``on_grads(grads, create_graph)`` on the way back (see ``TapOp``); with
    ``materialize`` a missing gradient is passed as zeros."""
    outputs = []
    for t in tensors:
        out = Tensor.__new__(Tensor)
        out._init(t.data)
        out.name = t.name
        share_version(out, t)       # an in-place write to the copy counts as one to t
        outputs.append(out)
    node = Node.of_outputs(TapOp(name, on_grads, materialize), tensors, outputs)
    for t, out in zip(tensors, outputs):
        if t.requires_grad:
            out.requires_grad = True
            out.grad_fn = node
    return outputs


def as_hook_arg(g):
    """A gradient as a hook sees it: a Tensor (or None)."""
    return None if g is None else _as_tensor(g)


def from_hook_result(value, like, create_graph, who):
    """A hook's replacement gradient as the walk carries it, checked against ``like``."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        value = Tensor(np.asarray(value)) if isinstance(value, np.ndarray) else value
    if not isinstance(value, Tensor):
        raise TypeError(f"{who} returned a {type(value).__name__} where a gradient "
                        "(Tensor or None) was expected")
    if like is not None and value.shape != like.shape:
        raise RuntimeError(f"{who} has changed the size of a gradient: expected shape "
                           f"{like.shape}, got {value.shape}")
    return value if create_graph else value.data
