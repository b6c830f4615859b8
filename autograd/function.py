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
input (None where there is none). The node it records behaves like a primitive's:
the walk, the renderer and the stepper treat both alike. Its backward is not itself
differentiable (a second derivative through it is zero).
"""
import weakref

import numpy as np

from . import anomaly, grad_mode, scope
from .inplace import CLOCK
from .tensor import Tensor


class Context:
    """Carries saved arrays and any attributes from forward to backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._freed = False

    def save_for_backward(self, *arrays):
        self._saved = tuple(np.asarray(a) if a is not None else None for a in arrays)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError("saved_tensors: they were freed after the first backward; "
                               "pass retain_graph=True to keep them")
        return self._saved


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
        arrays = []
        for gk, (shape, dtype) in zip(grads, self.out_meta):
            if gk is None:
                arrays.append(np.zeros(shape, dtype))
            else:
                arrays.append(gk.data if isinstance(gk, Tensor) else np.asarray(gk))
        with grad_mode.no_grad():
            result = self.op.backward(self.ctx, *arrays)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.inputs):
            raise RuntimeError(
                f"{self.name}.backward returned {len(result)} gradients but forward took "
                f"{len(self.inputs)} inputs; return one per input (None for non-tensors)")
        out = []
        for k, (r, w) in enumerate(zip(result, wanted)):
            if not w or r is None:
                out.append(None)
                continue
            r = np.asarray(r.data if isinstance(r, Tensor) else r)
            expected = self.inputs[k].shape
            if r.shape != expected and np.broadcast_shapes(r.shape, expected) != r.shape:
                raise RuntimeError(f"{self.name}.backward: gradient {k} has shape {r.shape}, "
                                   f"expected {expected}")
            out.append(Tensor(r) if create_graph else r)
        return out

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
