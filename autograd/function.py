"""Custom differentiable operations, PyTorch style.

>>> class Cube(ag.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return 3 * x ** 2 * g
>>> y = Cube.apply(ag.tensor([2.0], requires_grad=True))

``forward`` receives and returns NumPy arrays (a tuple for several outputs);
``backward`` receives one upstream gradient per output and returns one gradient per
input (None where there is none), each of that input's shape. The node it records
behaves like a primitive's: the walk, the renderer and the stepper treat both alike.

A plain backward runs on arrays. Under ``backward(create_graph=True)`` it runs on
Tensors instead: the upstream gradients are Tensors and ``ctx.saved_tensors`` gives
back the input (or output) Tensors for the arrays that were saved, so a backward
written with glassgrad operations (``*``, ``**``, ``ag.exp``...) records a graph and
double backward works. A backward that cannot (it calls NumPy functions, or returns
arrays) still gives the first derivative, and a second derivative through it raises
an error that names the Function instead of silently being zero.
"""
import weakref

import numpy as np

from . import anomaly, grad_mode, scope
from .inplace import CLOCK
from .ops.registry import Primitive, apply
from .tensor import Tensor


class Context:
    """Carries saved arrays and any attributes from forward to backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._freed = False
        self._as_tensors = None     # id(array) -> Tensor while a create_graph backward runs

    def save_for_backward(self, *arrays):
        self._saved = tuple(np.asarray(a) if a is not None else None for a in arrays)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError("saved_tensors: they were freed after the first backward; "
                               "pass retain_graph=True to keep them")
        swap = self._as_tensors
        if swap is None:
            return self._saved
        return tuple(None if a is None else swap.get(id(a), a) for a in self._saved)


class FunctionNode:
    """The graph node of a custom Function (possibly several outputs)."""

    def __init__(self, cls, ctx, inputs, outputs):
        self.op = cls
        self.ctx = ctx
        self.inputs = tuple(inputs)
        self.params = {}
        self.outs = tuple(weakref.ref(t) for t in outputs)
        self.out_meta = tuple((t.shape, t.dtype) for t in outputs)
        self.n_outputs = len(outputs)
        self.index = outputs[0]._index
        self.scope = scope.current_scope()
        self.freed = False
        self.clock = CLOCK.count    # in-place writes so far (inplace.check_versions)

    @property
    def name(self):
        return self.op.__name__

    def out(self):
        return self.outs[0]()

    def output_index(self, tensor):
        for k, ref in enumerate(self.outs):
            if ref() is tensor:
                return k
        raise RuntimeError(f"{self.name}: tensor is not an output of this node")

    @property
    def next_functions(self):
        return tuple(x.grad_fn if isinstance(x, Tensor) else None for x in self.inputs)

    def rule(self, i):
        return f"{self.name}.backward (user-defined)"

    def input_grads(self, g, create_graph, wanted):
        grads = g if self.n_outputs > 1 else [g]
        upstream = []
        for gk, (shape, dtype) in zip(grads, self.out_meta):
            if gk is None:
                gk = np.zeros(shape, dtype)
            elif not create_graph:
                gk = gk.data if isinstance(gk, Tensor) else np.asarray(gk)
            upstream.append(gk)
        if create_graph:
            result, on_arrays = self._backward_on_tensors(upstream)
        else:
            with grad_mode.no_grad():
                result, on_arrays = self.op.backward(self.ctx, *upstream), True
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.inputs):
            raise RuntimeError(
                f"{self.name}.backward returned {len(result)} gradients but forward took "
                f"{len(self.inputs)} inputs; return one per input (None for non-tensors)")
        return [self._checked_grad(k, r, create_graph, on_arrays) if w and r is not None
                else None for k, (r, w) in enumerate(zip(result, wanted))]

    def _backward_on_tensors(self, upstream):
        """Run backward on Tensors (saved arrays mapped back to the Tensors they came
        from), so that it records a graph; NumPy calls on Tensors raise TypeError, and
        then it runs on arrays, its result marked as not differentiable."""
        swap = {id(x.data): x for x in self.inputs if isinstance(x, Tensor)}
        for ref in self.outs:
            t = ref()
            if t is not None:
                swap[id(t.data)] = t
        ctx = self.ctx
        ctx._as_tensors = swap
        try:
            tensors = [gk if isinstance(gk, Tensor) else Tensor(gk) for gk in upstream]
            return self.op.backward(ctx, *tensors), False
        except TypeError:
            pass
        finally:
            ctx._as_tensors = None
        arrays = [gk.data if isinstance(gk, Tensor) else gk for gk in upstream]
        with grad_mode.no_grad():
            return self.op.backward(ctx, *arrays), True

    def _checked_grad(self, k, r, create_graph, on_arrays):
        """Gradient ``k`` as the walk needs it, after checking its shape."""
        arr = np.asarray(r.data if isinstance(r, Tensor) else r)
        expected = self.inputs[k].shape
        if arr.shape != expected and not _sums_to(arr.shape, expected):
            raise RuntimeError(
                f"{self.name}.backward returned a gradient of shape {arr.shape} for input "
                f"{k}, which has shape {expected}; return one gradient per input, each of "
                f"its input's shape (or one that broadcasting sums back to it)")
        if not create_graph:
            return arr
        if isinstance(r, Tensor) and not on_arrays:
            return r
        return apply(_not_differentiable(self.name), (arr,) + self.inputs, {})

    def release(self):
        """After a backward without retain_graph: drop the saved arrays (their memory
        is the one thing only backward needed); the graph structure stays drawable."""
        self.freed = True
        self.ctx._freed = True
        self.ctx._saved = ()

    def __repr__(self):
        return f"<{self.name} node #{self.index}>"


class Function:
    """Base class for custom ops: define static ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx, *arrays, **kwargs):
        raise NotImplementedError("Function subclasses must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("Function subclasses must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = Context(needs)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        with grad_mode.no_grad():
            result = cls.forward(ctx, *arrays, **kwargs)
        multi = isinstance(result, tuple)
        outputs = []
        for r in (result if multi else (result,)):
            t = Tensor.__new__(Tensor)
            t._init(np.asarray(r.data if isinstance(r, Tensor) else r))
            outputs.append(t)
        if grad_mode.is_grad_enabled() and any(needs):
            node = FunctionNode(cls, ctx, args, outputs)
            for t in outputs:
                if t._float:
                    t.requires_grad = True
                    t.grad_fn = node
        if anomaly.MODE.enabled:
            anomaly.after_forward(cls.__name__, arrays, kwargs, outputs, outputs[0].grad_fn)
        return tuple(outputs) if multi else outputs[0]


def _sums_to(shape, target):
    """True if a gradient of ``shape`` sums back to ``target`` (``target`` broadcasts
    to ``shape``), as the walk does for a broadcast operand."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(shape)
    except ValueError:
        return False


def _refuse_second_order(name):
    def vjp(i, g, out, inputs):
        raise RuntimeError(
            f"{name}.backward is not differentiable, so a second derivative through it "
            f"cannot be computed: it ran on NumPy arrays (it calls NumPy functions or "
            f"returns arrays). Write it with glassgrad operations on the Tensors it "
            f"receives (ctx.saved_tensors, the gradients) to make double backward work.")
    return vjp


def _not_differentiable(name):
    """A pass-through op for a gradient that a Function's backward computed on arrays:
    its value is the gradient, its inputs the Function's, and differentiating it
    raises (instead of a silent zero second derivative)."""
    return Primitive(f"{name}.backward", lambda value, *inputs: value,
                     vjps=(_refuse_second_order(name),),
                     rules=(f"{name}.backward is not differentiable",), variadic=True)
