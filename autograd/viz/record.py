"""Recording a backward pass: the engine's own walk, one node per step, remembered.

``BackpropRun`` runs ``engine.walk(..., observe=True)`` lazily and keeps what each
step did (the upstream gradient, each input's contribution, the gradient summed so
far at every tensor). It draws nothing: ``steps.py`` (the stepper, whose steps draw
themselves), ``explain.py`` (the table) and ``grads.py`` (``grads="all"`` drawings)
build on it, so the drawing code can use all three without an import cycle.
"""
import numpy as np

from .. import engine
from ..hooks import TapOp
from ..tensor import Tensor, quiet_grad, set_stored_grad
from .trace import tensor_key, trace


def output_keys(node):
    """Keys of the live output tensors of ``node`` (several for a multi-output Function)."""
    refs = getattr(node, "outs", None) or (node.out,)
    return [tensor_key(t) for t in (r() for r in refs) if t is not None]


class BackpropRun:
    """The walk of one backward pass plus the record of what each step did."""

    def __init__(self, loss, gradient=None, retain_graph=False, watch=False,
                 step_type=None):
        engine._check_root(loss, "backprop_steps")
        seed = engine._seed(loss, gradient, False, "backprop_steps")
        self.loss = loss
        self.steps = []
        self.history = {}          # key -> [(step index, gradient summed so far)]
        self.node_step = {}        # key of a node's output -> the step that processed it
        self.hooked = {}           # key -> (step index, gradient before a hook changed it)
        self.finished = False
        self._step_type = step_type or Step     # steps.Step: one that draws itself
        self._record(tensor_key(loss), -1, seed)
        # watching (explain, grads="all") runs tensor hooks, whose results it shows, but
        # not post-accumulate-grad hooks, which act on a .grad it puts back afterwards
        self._walk = engine.walk([loss], [seed], retain_graph=retain_graph, observe=True,
                                 post_hooks=not watch)

    def _record(self, key, k, g):
        hist = self.history.setdefault(key, [])
        hist.append((k, g if not hist else hist[-1][1] + g))

    def grad_at(self, key, k):
        """The gradient that had reached ``key`` by the end of step ``k`` (or None)."""
        found = None
        for s, g in self.history.get(key, ()):
            if s > k:
                break
            found = g
        return found

    def advance(self):
        """Let the engine process one more node; return its Step (None when done)."""
        if self.finished:
            return None
        try:
            event = next(self._walk)
        except StopIteration:
            self.finished = True
            return None
        k = len(self.steps)
        node = event.node
        for x, gi in zip(node.inputs, event.input_grads):   # as applied, in x's shape
            if gi is not None:
                self._record(tensor_key(x), k, gi)
        for key in output_keys(node):
            self.node_step[key] = k
        for t, before, after in event.hook_changes:     # tensor hooks: the new total
            key = tensor_key(t)
            total = self.grad_at(key, k)
            self._record(key, k, after - (before if total is None else total))
            self.hooked.setdefault(key, (k, before))
        changes = list(event.hook_changes)
        for x, before, after in _module_hook_changes(event):
            key = tensor_key(x)                # what x's gradient would be without them
            self.hooked.setdefault(key, (k, self.grad_at(key, k) - after + before))
            changes.append((x, before, after))
        step = self._step_type(self, k, node, event.grad_output, list(event.input_grads),
                               changes)
        self.steps.append(step)
        return step

    def __iter__(self):
        yield from self.steps
        while True:
            step = self.advance()
            if step is None:
                return
            yield step


def _module_hook_changes(event):
    """(input, gradient passed in, gradient passed on) where a module's backward hook
    changed what its identity tap passes on (``autograd.hooks.TapOp``)."""
    node = event.node
    if not isinstance(node.op, TapOp):
        return []
    grads = event.grad_output if node.n_outputs > 1 else [event.grad_output]
    found = []
    for x, g, gi in zip(node.inputs, grads, event.input_grads):
        if gi is None:
            continue
        before = np.zeros_like(gi) if g is None else np.asarray(getattr(g, "data", g))
        after = np.asarray(getattr(gi, "data", gi))
        if not np.array_equal(before, after):
            found.append((x, before, after))
    return found


class Step:
    """One node of the backward walk, after its VJP was applied.

    ``index`` (0 = the loss), ``node`` (the tensor whose gradient is pushed back),
    ``grad_fn`` (its graph node), ``op``, ``grad_output`` (the upstream gradient
    ``g`` that reached it; a list for a multi-output Function), ``inputs`` (the
    node's inputs), ``input_grads`` (each input's contribution ``g · ∂out/∂x_i``,
    reduced to its shape; None where none is needed), ``rules`` (the local
    derivative text for each input), ``rule`` (those of the inputs that got a
    gradient, joined with "; ") and ``hook_changes`` ((tensor, before, after) for
    each tensor hook that changed a gradient in this step).
    """

    def __init__(self, run, index, grad_fn, grad_output, input_grads, hook_changes=()):
        self._run = run
        self.index = index
        self.grad_fn = grad_fn
        self.node = grad_fn.out()
        self.op = grad_fn.name
        self.grad_output = grad_output
        self.inputs = tuple(grad_fn.inputs)
        self.input_grads = input_grads
        self.hook_changes = hook_changes
        self.rules = tuple(grad_fn.rule(i) for i in range(len(self.inputs)))
        wanted = [r for r, g in zip(self.rules, input_grads) if g is not None]
        self.rule = "; ".join(dict.fromkeys(wanted or self.rules))

    def caption(self):
        name = getattr(self.node, "name", None)
        who = f"{name} = {self.op}" if name else self.op
        hooked = ", ".join(dict.fromkeys(t.name or f"#{t._index}"
                                         for t, _, _ in self.hook_changes))
        return (f"backprop step {self.index}: {who}   {self.rule}"
                + (f"   (a hook changed the gradient of {hooked})" if hooked else ""))

    def __repr__(self):
        return (f"<Step {self.index}: {self.op} #{self.grad_fn.index}, "
                f"{len(self.inputs)} inputs, rule {self.rule!r}>")


def check_not_freed(root, who):
    """Raise a clear error if an earlier backward freed part of ``root``'s graph."""
    for t in trace(root).tensors.values():
        node = t.grad_fn
        if node is not None and node.freed:
            raise RuntimeError(
                f"{who} runs its own (observed) backward of this output, but an earlier "
                f"backward already freed its graph (node '{node.name}' #{node.index}): "
                "loss.backward() or backprop_steps(loss) run to the end. Call "
                f"{who} first, or pass retain_graph=True to that backward (or to "
                "backprop_steps).")


def run_all(loss, gradient=None, accumulate=False, who="explain(loss)", step_type=None):
    """Run every step of the backward of ``loss`` and return the BackpropRun.

    Without ``accumulate`` the graph is kept and every tensor's ``.grad`` restored.
    A graph that an earlier backward freed is refused with a message naming ``who``.
    """
    if isinstance(loss, Tensor):
        check_not_freed(loss, who)
    saved = []
    if not accumulate:
        for t in trace(loss).tensors.values():
            g = quiet_grad(t)
            saved.append((t, g, None if g is None else g.data))
    run = BackpropRun(loss, gradient, retain_graph=not accumulate, watch=not accumulate,
                      step_type=step_type)
    try:
        for _ in run:
            pass
    finally:
        for t, g, data in saved:
            set_stored_grad(t, g)
            if g is not None:
                g.data = data
    return run
