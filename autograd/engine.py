"""The backward walk: one iterative, topologically ordered pass over the graph.

1. Collect every node reachable from the roots (iterative depth-first search).
2. Visit them latest-created first. A node's inputs always exist before it, so
   every consumer of a tensor is created after the tensor's producer: descending
   creation index is a topological order (the one a ready-queue popping the latest
   node would give), found with one sort, deterministic, and it reads the forward
   pass backwards.
3. For each node: take its upstream gradient from a walk-local dict (popped, so it
   is freed as soon as it is used), call each input's VJP, unbroadcast the result
   once to the input's shape (and check it), then pass it to the producer of that
   input or accumulate it into the leaf's ``.grad`` (every walk sums a leaf's
   contributions first and adds the sum once, as PyTorch does: ``leaf_grads.py``). Contributions
   to a producer are summed into one fresh array, then added in place; the
   gradient of a basic slice ``x[i]`` is added into its place there without making
   ``index_add``'s zeros array (``slice_sums.py``).

``backprop_steps`` (the notebook stepper) runs this same generator with
``observe=True`` and receives one event per node.

Hooks (``hooks.py``) cost nothing until one is registered; then a ``HookPlan`` runs a
tensor's hooks when its gradient is complete and collects end-of-backward callbacks.
"""
import operator

import numpy as np

from . import anomaly, grad_mode, hooks
from .anomaly import MODE as ANOMALY
from .inplace import CLOCK, check_versions
from .leaf_grads import (accumulate_leaf, accumulate_leaves, end_view, show_leaves,
                         unshared)
from .ops import shape as shape_ops
from .ops.index import getitem as GETITEM
from .ops.registry import Primitive
from .release import release_intermediates
from .slice_sums import SliceSums, basic_slice_index, in_place_traced
from .tensor import Tensor, stored_grad


class Event:
    """What one step of the walk did (used by ``backprop_steps``): the node, the
    upstream gradient it received and the contribution sent to each input (reduced
    to that input's shape; None where none was needed). ``hook_changes`` lists
    (tensor, gradient before, after) for each tensor hook that changed a gradient
    during the step."""

    __slots__ = ("node", "grad_output", "input_grads", "hook_changes")

    def __init__(self, node, grad_output, input_grads, hook_changes=()):
        self.node = node
        self.grad_output = grad_output
        self.input_grads = input_grads
        self.hook_changes = hook_changes


def reachable(root_nodes):
    """Every node with a path into one of ``root_nodes`` (iterative, no recursion limit)."""
    seen = set(root_nodes)
    stack = list(seen)
    pop, push, add = stack.pop, stack.append, seen.add
    while stack:
        node = pop()
        xs = node._xs       # Node.inputs read from its slots (a property call per node)
        if type(xs) is int:
            xs = (node._x0, node._x1) if xs == 2 else (node._x0,)
        for x in xs:
            if isinstance(x, Tensor):
                parent = x.grad_fn
                if parent is not None and parent not in seen:
                    add(parent)
                    push(parent)
    return seen


def _needed_nodes(nodes, targets):
    """Nodes with a path to one of ``targets`` (only those are walked by ``grad``)."""
    needed = set()
    for node in sorted(nodes, key=_creation):   # producers before consumers
        for x in node.inputs:
            if isinstance(x, Tensor) and (id(x) in targets or x.grad_fn in needed):
                needed.add(node)
                break
    return needed


_creation = operator.attrgetter("index")


def _fit(gi, x, node):
    """Reduce a VJP result to ``x``'s shape (the one unbroadcast) and dtype, or fail."""
    data = x.data
    shape = data.shape
    if gi.shape != shape:
        try:
            gi = shape_ops.sum_to(gi, shape=shape)
        except ValueError:
            raise RuntimeError(
                f"backward: the gradient computed by '{node.name}' (node #{node.index}) has "
                f"shape {tuple(gi.shape)}, which cannot be reduced to its input's shape "
                f"{shape}; this is a bug in that op's VJP") from None
    if gi.dtype != data.dtype:
        gi = gi.astype(data.dtype)
    return gi


def _freed_error(node):
    return RuntimeError(
        f"backward: trying to backward through the graph a second time: node "
        f"'{node.name}' (#{node.index}) was freed after the previous backward. Pass "
        "retain_graph=True to the first backward() if you need to go through it again.")


def walk(roots, seeds, *, retain_graph=False, create_graph=False, targets=None,
         observe=False, post_hooks=True):
    """Backpropagate ``seeds`` from ``roots``; a generator (see module docstring).

    Without ``targets`` gradients accumulate into leaves' ``.grad``. With ``targets``
    (a dict id(tensor) -> slot) nothing is accumulated; the gradient reaching each
    target is stored in ``targets[id(t)][1]``. ``post_hooks=False`` (a watching
    stepper) skips post-accumulate-grad hooks.
    """
    grads = {}
    root_nodes = [r.grad_fn for r in roots if r.grad_fn is not None]
    nodes = reachable(root_nodes)
    order = sorted(nodes, key=_creation, reverse=True)
    plan = (hooks.HookPlan(order, targets, post_hooks, observe)
            if hooks.ACTIVE.tensor_hooks else None)
    callbacks = []
    for root, seed in zip(roots, seeds):
        if root.grad_fn is None:
            if plan is not None and getattr(root, "_hooks", None) is not None:
                plan.deliver(root, seed, accumulate_leaf, create_graph)
                continue
        # a root made by a single-output node receives its gradient when that node is
        # visited (where retained grads and targets are read): not here as well
        if targets is not None and id(root) in targets and (
                root.grad_fn is None or root.grad_fn.n_outputs != 1):
            slot = targets[id(root)]
            slot[1] = seed if slot[1] is None else slot[1] + seed
        if root.grad_fn is None:
            if targets is None:
                accumulate_leaf(root, seed, create_graph)
                if plan is not None and getattr(root, "_post_hooks", None) and post_hooks:
                    hooks.run_post_accumulate_hooks(root)
        else:
            _send(grads, root, seed)
    needed = _needed_nodes(nodes, targets) if targets is not None else None
    done = []
    # VJPs record a graph exactly when create_graph, and hooks queue callbacks to this
    # walk. With observe=True the generator is suspended between nodes, so both are
    # switched per node (the caller keeps its own in between); otherwise once around
    # the whole loop.
    state, recording = grad_mode.STATE, bool(create_graph)
    recorder = hooks.RECORDERS[-1] if hooks.RECORDERS and targets is None else None
    args = (order, grads, targets, needed, create_graph, observe, recording, done, plan,
            callbacks, recorder)
    if observe:
        yield from _visit(*args)
    else:
        outer, state.enabled = state.enabled, recording
        outer_callbacks, hooks.CALLBACKS.current = hooks.CALLBACKS.current, callbacks
        try:
            if create_graph or targets is not None or plan is not None or \
                    recorder is not None:
                yield from _visit(*args)
            else:
                _visit_plain(order, grads, done)
        finally:
            state.enabled = outer
            hooks.CALLBACKS.current = outer_callbacks
    if not (retain_graph or create_graph):
        for node in done:
            node.release()
        release_intermediates(done)     # values only the graph holds (see release.py)
    if callbacks:
        hooks.run_callbacks(callbacks)


def _visit(order, grads, targets, needed, create_graph, observe, recording, done, plan,
           callbacks, recorder):
    """The loop of ``walk``: each node in ``order`` applies its VJPs once."""
    state = grad_mode.STATE
    summed = set()   # nodes whose pending gradient is a fresh sum only ``grads`` refers to
    slices = SliceSums()
    # the slice path skips the node's VJP call: not where hooks or a recorder watch it
    in_place_slices = not (create_graph or observe) and plan is None and recorder is None
    leaves = {} if targets is None else None     # as in _visit_plain: summed, then added
    shown = {} if observe and leaves is not None else None   # a stepper's leaves: .grad before
    for node in order:
        if node.freed:
            raise _freed_error(node)
        g = grads.pop(node, None)
        if g is None:   # no gradient reached this node
            if plan is not None and node in plan.flush_at:
                plan.flush(node, accumulate_leaf, create_graph)
            continue
        if node in slices.pending:
            slices.finish(node, g)
        if node.clock < CLOCK.count:    # some tensor was written in place since
            check_versions(node)
        done.append(node)
        if node.op is GETITEM and in_place_slices and \
                _slice_sent(node, g, grads, summed, slices, targets, needed):
            continue
        if observe:
            outer, state.enabled = state.enabled, recording
            outer_callbacks, hooks.CALLBACKS.current = hooks.CALLBACKS.current, callbacks
        try:
            if plan is not None:
                g = plan.output_hooks(node, g, create_graph)
            if node.n_outputs == 1:
                out = node.out()
                if out is not None:         # its own gradient, where someone asked
                    if out._retains_grad:
                        accumulate_leaf(out, g, create_graph)
                    if targets is not None and id(out) in targets:
                        slot = targets[id(out)]
                        slot[1] = g if slot[1] is None else slot[1] + g
            inputs = node.inputs
            if needed is None:
                wanted = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
            else:
                wanted = [isinstance(x, Tensor) and x.requires_grad and (
                    id(x) in targets or x.grad_fn in needed) for x in inputs]
            input_grads = node.op.input_grads(node, g, create_graph, wanted)
            if ANOMALY.enabled:
                anomaly.after_backward(node, g, input_grads)
            if not observe and recorder is None:
                del g   # used up; dropping it lets a leaf adopt a gradient that views it
            _send_input_grads(node, input_grads, grads, summed, targets, plan, create_graph,
                              leaves)
            if shown is not None:
                show_leaves(node, leaves, shown)
            if recorder is not None:
                recorder.record(node, g, input_grads)
            if plan is not None and node in plan.flush_at:
                plan.flush(node, accumulate_leaf, create_graph)
        finally:
            if observe:
                state.enabled = outer
                hooks.CALLBACKS.current = outer_callbacks
        if observe:
            changes = plan.take_changes() if plan is not None else ()
            yield Event(node, g, input_grads, changes)
    if shown:
        end_view(shown, leaves, create_graph)    # then accumulated as backward() does
    if leaves:
        outer, state.enabled = state.enabled, recording
        try:
            accumulate_leaves(leaves, create_graph)
        finally:
            state.enabled = outer


def _visit_plain(order, grads, done):
    """``_visit`` for a plain ``backward()`` (no hooks, recorder, targets, stepper or
    ``create_graph``): the same steps, with a primitive's VJPs called here instead of
    through ``Primitive.input_grads`` (a 100,000-node chain pays each call per node)."""
    summed = set()
    slices = SliceSums()
    pending = slices.pending
    leaves = {}     # id(leaf) -> [leaf, the sum of its gradients, whether only it holds it]
    pop, append = grads.pop, done.append
    for node in order:
        if node.freed:
            raise _freed_error(node)
        g = pop(node, None)
        if g is None:   # no gradient reached this node
            continue
        if pending and node in pending:
            slices.finish(node, g)
        if node.clock < CLOCK.count:    # some tensor was written in place since
            check_versions(node)
        append(node)
        op = node.op
        if op is GETITEM and _slice_sent(node, g, grads, summed, slices, None, None):
            continue
        out = node() if node.n_outputs == 1 else None
        if out is not None and out._retains_grad:
            accumulate_leaf(out, g, False)
        inputs = n = node._xs       # node.inputs, read from its slots as in reachable
        if type(n) is int:
            inputs = (node._x0, node._x1) if n == 2 else (node._x0,)
        if type(op) is Primitive:   # Primitive.input_grads, inlined
            args, params = node.arrays, node.params
            outv = out.data if out is not None else None
            vjps = op.vjps
            if op.variadic:
                vjp = vjps[0]
                input_grads = [vjp(i, g, outv, args, **params)
                               if isinstance(x, Tensor) and x.requires_grad else None
                               for i, x in enumerate(inputs)]
            elif n == 2 and len(vjps) == 2:     # written out: a comprehension is a call
                x0, x1 = inputs
                input_grads = [
                    vjps[0](g, outv, *args, **params)
                    if isinstance(x0, Tensor) and x0.requires_grad else None,
                    vjps[1](g, outv, *args, **params)
                    if isinstance(x1, Tensor) and x1.requires_grad else None]
            elif n == 1 and len(vjps) == 1:
                x0 = inputs[0]
                input_grads = [vjps[0](g, outv, *args, **params)
                               if isinstance(x0, Tensor) and x0.requires_grad else None]
            else:
                input_grads = [vjp(g, outv, *args, **params)
                               if isinstance(x, Tensor) and x.requires_grad else None
                               for vjp, x in zip(vjps, inputs)]
        else:
            wanted = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
            input_grads = op.input_grads(node, g, False, wanted)
        if ANOMALY.enabled:
            anomaly.after_backward(node, g, input_grads)
        del g   # used up; dropping it lets a leaf adopt a gradient that views it
        _send_input_grads(node, input_grads, grads, summed, None, None, False, leaves,
                          inputs)
    accumulate_leaves(leaves, False)


def _send_input_grads(node, input_grads, grads, summed, targets, plan, create_graph,
                      leaves=None, inputs=None):
    """Send each input's gradient on: into a leaf's ``.grad`` (adopted without a copy when
    nothing else holds it; held back when the leaf has hooks; into ``grad()``'s slot; or,
    given ``leaves``, summed there and accumulated once at the end of the walk), or
    added to the gradient waiting at the input's producer (in place when the walk made
    that sum). ``gi`` is the only name bound to a gradient here, as ``leaf_grads._calibrate`` expects.
    ``inputs`` is ``node.inputs`` when the caller has it already."""
    if inputs is None:
        inputs = node.inputs
    for k in range(len(inputs)):
        gi = input_grads[k]
        if gi is None:
            continue
        x = inputs[k]
        data = x.data
        if gi.shape != data.shape or gi.dtype != data.dtype:
            gi = input_grads[k] = _fit(gi, x, node)   # as applied, for observers
        parent = x.grad_fn
        if parent is None:
            if plan is not None and id(x) in plan.leaves:
                plan.add(x, gi)          # held back for the leaf's hooks
            elif leaves is not None:
                entry = leaves.get(id(x))
                if entry is None:
                    # asked before the list is built: inside [x, gi, ...] the elements
                    # already evaluated hold gi once more, and unshared never says yes
                    owned = type(gi) is np.ndarray and unshared(input_grads, k)
                    leaves[id(x)] = [x, gi, owned]
                elif entry[2] and (type(gi) is np.ndarray or in_place_traced(gi)) and \
                        not _given_earlier(entry[1], input_grads, k):
                    np.add(entry[1], gi, out=entry[1])      # a sum only the walk holds
                else:
                    total = entry[1] = entry[1] + gi
                    entry[2] = type(total) is np.ndarray or in_place_traced(total)
            elif targets is None:
                owned = (stored_grad(x) is None and not create_graph
                         and unshared(input_grads, k))
                accumulate_leaf(x, gi, create_graph, owned)
            else:
                slot = targets.get(id(x))
                if slot is not None:
                    slot[1] = gi if slot[1] is None else slot[1] + gi
        elif parent.n_outputs == 1:
            old = grads.get(parent)
            if old is None:
                grads[parent] = gi
            elif parent in summed:       # a sum this walk made: add in place
                np.add(old, gi, out=old)
            else:
                grads[parent] = old = old + gi
                if type(old) is np.ndarray or in_place_traced(old):
                    summed.add(parent)
        else:
            _send(grads, x, gi)


def _given_earlier(array, input_grads, k):
    """True if ``array`` is this node's gradient for an input before position ``k`` (a
    leaf used twice, ``x * x``, adopted it there): a recorder or a stepper's event still
    reads it after the node, so the next contribution must not be added into it."""
    for j in range(k):
        if input_grads[j] is array:
            return True
    return False


def _slice_sent(node, g, grads, summed, slices, targets, needed):
    """For a ``getitem`` node with a basic index whose input has a one-output producer:
    add ``g`` into that producer's gradient in place (``SliceSums.add``); True if done."""
    if node.n_outputs != 1 or ANOMALY.enabled or (
            type(g) is not np.ndarray and not in_place_traced(g)):
        return False
    index = basic_slice_index(node)
    if index is None:
        return False
    x = node.inputs[0]
    if not isinstance(x, Tensor) or not x.requires_grad:
        return False
    parent = x.grad_fn
    if parent is None or parent.n_outputs != 1:
        return False
    if needed is not None and not (id(x) in targets or parent in needed):
        return False
    out = node.out()
    if out is not None and (out._retains_grad or (targets is not None and id(out) in targets)):
        return False
    if targets is not None and id(x) in targets:
        return False
    shape = node.arrays[0].shape
    if shape != x.data.shape or g.dtype != x.data.dtype:
        return False
    return slices.add(grads, summed, parent, shape, index, g)


def _send(grads, tensor, g):
    """Add ``g`` to the upstream gradient waiting at ``tensor``'s producer."""
    node = tensor.grad_fn
    if node.n_outputs == 1:
        old = grads.get(node)
        grads[node] = g if old is None else old + g
    else:
        slots = grads.get(node)
        if slots is None:
            slots = grads[node] = [None] * node.n_outputs
        k = node.output_index(tensor)
        slots[k] = g if slots[k] is None else slots[k] + g


def _seed(root, gradient, create_graph, opname):
    """The starting gradient for a root: ones for a scalar, else the given one."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"{opname}: grad can be implicitly created only for scalar outputs; this "
                f"output has shape {root.shape}. Pass gradient= (a tensor of that shape), "
                "or reduce it first, e.g. loss.sum().backward()")
        seed = np.ones(root.shape, dtype=root.dtype)
    else:
        seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if seed.shape != root.shape:
            raise RuntimeError(
                f"{opname}: gradient has shape {seed.shape} but the output has shape "
                f"{root.shape}; they must match")
        seed = seed.astype(root.dtype, copy=False)
        if create_graph and isinstance(gradient, Tensor):
            return gradient
    return Tensor(seed) if create_graph else seed


def _check_root(root, opname, k=0):
    if not isinstance(root, Tensor):
        raise TypeError(f"{opname}: expected a Tensor output, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"{opname}: element {k} of the outputs does not require grad and has no "
            "grad_fn; make the inputs with requires_grad=True (and not under no_grad). "
            "(A function under ag.compile returns values without their graph: call "
            "backward() inside it.)")


def backward(root, gradient=None, retain_graph=False, create_graph=False, inputs=None):
    """``root.backward()``: accumulate d(root)/d(leaf) into every leaf's ``.grad``."""
    _check_root(root, "backward")
    seed = _seed(root, gradient, create_graph, "backward")
    if inputs is None:
        for _ in walk([root], [seed], retain_graph=retain_graph, create_graph=create_graph):
            pass
        return
    got = grad([root], inputs, [seed], retain_graph=retain_graph,
               create_graph=create_graph, allow_unused=True)
    for t, g in zip(_as_list(inputs), got):
        if g is not None:
            accumulate_leaf(t, g, create_graph)
            if getattr(t, "_post_hooks", None):
                hooks.run_post_accumulate_hooks(t)


def _as_list(x):
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple.

    Nothing is accumulated into ``.grad``. With ``create_graph=True`` the results are
    part of a graph and can be differentiated again.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, (Tensor, np.ndarray)) \
            else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} "
                         "outputs; give one per output (None for scalar outputs)")
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {k} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {k} (shape {t.shape}) does not require grad; "
                               "create it with requires_grad=True")
    for k, o in enumerate(outputs):
        _check_root(o, "grad", k)
    seeds = [_seed(o, g, create_graph, "grad") for o, g in zip(outputs, grad_outputs)]
    targets = {id(t): [t, None] for t in inputs}
    if retain_graph is None:
        retain_graph = create_graph
    for _ in walk(outputs, seeds, retain_graph=retain_graph, create_graph=create_graph,
                  targets=targets):
        pass
    result = []
    for k, t in enumerate(inputs):
        g = targets[id(t)][1]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it")
        if g is not None and not isinstance(g, Tensor):
            g = Tensor(np.array(g, dtype=t.dtype, copy=True))
        result.append(g)
    return tuple(result)
