"""Stepping through backprop: the engine's own walk, one node per step.

``backprop_steps(loss)`` runs ``engine.walk(..., observe=True)`` lazily: taking a
step lets the walk process exactly one more node (pop its upstream gradient
``g``, apply its VJP, send each contribution to the node's inputs) and reports
what happened. Nothing here computes a gradient; the stepper only remembers the
walk's events so that any step can be drawn as it was at that moment. For a
node ``out = f(x_1, ..., x_n)`` the step shows the chain rule at work::

    contribution to x_i  =  g · ∂out/∂x_i      (the VJP, reduced to x_i's shape)
    grad(x_i)           +=  contribution        (summed over every consumer of x_i)

Where a tensor hook (``register_hook``) changed a gradient during a step, the step's
``hook_changes`` holds (tensor, before, after), the gradients shown from then on are
the hook's, and the picture writes the gradient from before the hook under it. A
module's backward hooks show the same way, at the step of the identity node that
runs them (``BackwardHookFunctionBackward``), for the input whose gradient changed.

>>> import autograd as ag
>>> a = ag.Tensor(2.0, requires_grad=True, name="a")
>>> b = ag.Tensor(3.0, requires_grad=True, name="b")
>>> for step in backprop_steps(a * b):
...     print(step.op, step.rule, [float(g) for g in step.input_grads])
mul d(a*b)/da = b; d(a*b)/db = a [3.0, 2.0]
"""
import numpy as np

from .. import engine
from ..hooks import TapNode
from .dot import dot_body
from .render import make_graph
from .trace import tensor_key


def _output_keys(node):
    """Keys of the live output tensors of ``node`` (several for a multi-output Function)."""
    refs = getattr(node, "outs", None) or (node.out,)
    return [tensor_key(t) for t in (r() for r in refs) if t is not None]


class BackpropRun:
    """The walk of one backward pass plus the record of what each step did."""

    def __init__(self, loss, gradient=None, retain_graph=False, watch=False):
        engine._check_root(loss, "backprop_steps")
        seed = engine._seed(loss, gradient, False, "backprop_steps")
        self.loss = loss
        self.steps = []
        self.history = {}          # key -> [(step index, gradient summed so far)]
        self.node_step = {}        # key of a node's output -> the step that processed it
        self.hooked = {}           # key -> (step index, gradient before a hook changed it)
        self.finished = False
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
        for key in _output_keys(node):
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
        step = Step(self, k, node, event.grad_output, list(event.input_grads), changes)
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
    changed what its identity tap passes on (``autograd.hooks.TapNode``)."""
    node = event.node
    if not isinstance(node, TapNode):
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

    def draw(self, **options):
        """The graph at this moment as a ``graphviz.Digraph``: nodes already done in
        green, this node highlighted with its upstream gradient, red edges labelled
        with the contributions it sends back, and every gradient known so far.
        Takes the options of ``draw_graph``."""
        body = dot_body((self._run.loss,), _state=StepState(self), **options)
        return make_graph(body, options.get("format", "svg"))

    def __repr__(self):
        return (f"<Step {self.index}: {self.op} #{self.grad_fn.index}, "
                f"{len(self.inputs)} inputs, rule {self.rule!r}>")


class StepState:
    """The drawing state at one step (the interface of ``dot.TensorGrads``)."""

    def __init__(self, step):
        self.step = step
        self.run = step._run
        self.current = set(_output_keys(step.grad_fn))
        self.caption = step.caption()
        self.consumers = {}

    def bind(self, graph):
        """Called by the renderer with the traced graph (to know each key's consumers)."""
        self.consumers = graph.consumers

    def grad(self, key, tensor):
        """The gradient summed so far; noted "so far" until every consumer pushed back."""
        k = self.step.index
        g = self.run.grad_at(key, k)
        if g is None:
            return None, ""
        steps = self.run.node_step
        consumers = self.consumers.get(key, ())
        final = all(steps.get(c, k + 1) <= k for c in consumers)
        return g, "" if final else "so far"

    def hook_before(self, key):
        """The gradient before a hook replaced it, if one did by this step."""
        changed = self.run.hooked.get(key)
        return changed[1] if changed is not None and changed[0] <= self.step.index else None

    def status(self, key):
        if key in self.current:
            return "current"
        s = self.run.node_step.get(key)
        return "done" if s is not None and s < self.step.index else None

    def edge_grad(self, src, dst, pos):
        if dst in self.current:
            return self.step.input_grads[pos]
        return None

    def edge_flow(self, src, dst, pos):
        """What flowed back along an edge by this step (None if its op is still to come)."""
        k = self.run.node_step.get(dst)
        if k is None or k > self.step.index:
            return None
        return self.run.steps[k].input_grads[pos]


def backprop_steps(loss, gradient=None, retain_graph=None):
    """Yield one :class:`Step` per node, in the order ``loss.backward()`` visits them.

    Each step is taken when you ask for it (the engine's walk runs one node per
    ``next``). Running it to the end leaves exactly the ``.grad`` values that
    ``loss.backward(gradient)`` would, and frees the graph unless ``retain_graph``
    (None: as ``loss.backward()`` would, i.e. a ``Value``'s graph is kept, as
    micrograd keeps it, and a Tensor's is freed).
    """
    if retain_graph is None:
        retain_graph = getattr(loss, "_keeps_graph", False)
    run = BackpropRun(loss, gradient, retain_graph)
    return iter(run)


__all__ = ["backprop_steps", "Step", "BackpropRun"]
