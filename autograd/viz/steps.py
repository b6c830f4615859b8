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
from .dot import dot_body
from .record import BackpropRun, output_keys
from .record import Step as RecordedStep
from .render import make_graph


class Step(RecordedStep):
    """One node of the backward walk, after its VJP was applied (see
    ``record.Step`` for its fields); ``draw()`` shows the graph at that moment."""

    def draw(self, **options):
        """The graph at this moment as a ``graphviz.Digraph``: nodes already done in
        green, this node highlighted with its upstream gradient, red edges labelled
        with the contributions it sends back, and every gradient known so far.
        Takes the options of ``draw_graph``."""
        body = dot_body((self._run.loss,), _state=StepState(self), **options)
        return make_graph(body, options.get("format", "svg"))


class StepState:
    """The drawing state at one step (the interface of ``dot.TensorGrads``)."""

    def __init__(self, step):
        self.step = step
        self.run = step._run
        self.current = set(output_keys(step.grad_fn))
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
    run = BackpropRun(loss, gradient, retain_graph, step_type=Step)
    return iter(run)


__all__ = ["backprop_steps", "Step", "BackpropRun"]
