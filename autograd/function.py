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
input (None where there is none), each of that input's shape. The node it records is
a ``Node`` like a primitive's, whose op is the Function's ``FunctionOp``: the walk, the
renderer and the stepper treat both alike.

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

from . import anomaly, grad_mode
from .ops.registry import Node, Primitive, apply
from .tensor import Tensor


class Context:
    """Carries saved arrays and any attributes from forward to backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._out_meta = ()         # (shape, dtype) per output: zeros for a missing gradient
        self._as_tensors = None     # id(array) -> Tensor while a create_graph backward runs

    def save_for_backward(self, *arrays):
        self._saved = tuple(np.asarray(a) if a is not None else None for a in arrays)

    @property
    def saved_tensors(self):
        swap = self._as_tensors
        if swap is None:
            return self._saved
        return tuple(None if a is None else swap.get(id(a), a) for a in self._saved)


class FunctionOp:
    """The op a custom Function's node records (the node is a ``Node`` like any
    primitive's): the Function's ``backward`` is its VJP. The node's ``arrays`` is the
    call's ``ctx``, so ``release`` drops the saved arrays with it."""

    __slots__ = ("function", "name", "rules", "forward", "__weakref__")

    def __init__(self, function):
        self.function = function
        self.name = function.__name__
        self.rules = (f"{self.name}.backward (user-defined)",)
        self.forward = function.forward       # (its signature names the inputs in drawings)

    def input_grads(self, node, g, create_graph, wanted):
        """Run ``backward`` on the upstream gradients (zeros for an output that got none)
        and check what it returns: one gradient per input, of that input's shape."""
        ctx = node.arrays
        upstream = []
        for gk, (shape, dtype) in zip(g if node.n_outputs > 1 else [g], ctx._out_meta):
            if gk is None:
                gk = np.zeros(shape, dtype)
            elif not create_graph:
                gk = gk.data if isinstance(gk, Tensor) else np.asarray(gk)
            upstream.append(gk)
        if create_graph:
            result, on_arrays = self._backward_on_tensors(node, upstream)
        else:
            with grad_mode.no_grad():
                result, on_arrays = self.function.backward(ctx, *upstream), True
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(node.inputs):
            raise RuntimeError(
                f"{self.name}.backward returned {len(result)} gradients but forward took "
                f"{len(node.inputs)} inputs; return one per input (None for non-tensors)")
        return [self._checked_grad(node, k, r, create_graph, on_arrays)
                if w and r is not None else None
                for k, (r, w) in enumerate(zip(result, wanted))]

    def _backward_on_tensors(self, node, upstream):
        """Run backward on Tensors (saved arrays mapped back to the Tensors they came
        from), so that it records a graph; NumPy calls on Tensors raise TypeError, and
        then it runs on arrays, its result marked as not differentiable."""
        swap = {id(x.data): x for x in node.inputs if isinstance(x, Tensor)}
        for t in node.outputs():
            if t is not None:
                swap[id(t.data)] = t
        ctx = node.arrays
        ctx._as_tensors = swap
        try:
            tensors = [gk if isinstance(gk, Tensor) else Tensor(gk) for gk in upstream]
            return self.function.backward(ctx, *tensors), False
        except TypeError:
            pass
        finally:
            ctx._as_tensors = None
        arrays = [gk.data if isinstance(gk, Tensor) else gk for gk in upstream]
        with grad_mode.no_grad():
            return self.function.backward(ctx, *arrays), True

    def _checked_grad(self, node, k, r, create_graph, on_arrays):
        """Gradient ``k`` as the walk needs it, after checking its shape."""
        arr = np.asarray(r.data if isinstance(r, Tensor) else r)
        expected = node.inputs[k].shape
        if arr.shape != expected and not _sums_to(arr.shape, expected):
            raise RuntimeError(
                f"{self.name}.backward returned a gradient of shape {arr.shape} for input "
                f"{k}, which has shape {expected}; return one gradient per input, each of "
                f"its input's shape (or one that broadcasting sums back to it)")
        if not create_graph:
            return arr
        if isinstance(r, Tensor) and not on_arrays:
            return r
        return apply(_not_differentiable(self.name), (arr,) + node.inputs, {})

    def check_overwrite(self, node, t, opname):
        """Refuse an in-place write into output ``t`` if backward saved it (and still
        holds it: ``release`` dropped the ``ctx``)."""
        saved = () if node.arrays is None else node.arrays._saved
        if any(a is not None and np.shares_memory(a, t.data) for a in saved):
            raise RuntimeError(
                f"{opname}: the output of the custom Function '{self.name}' (shape "
                f"{t.shape}) was saved for its backward and would be modified in place; "
                "use the out-of-place op (inplace=False) or clone the output first")

    def __repr__(self):
        return f"<function op {self.name}>"


_OPS = weakref.WeakKeyDictionary()      # Function class -> its FunctionOp (one per class)


def _op_of(function):
    op = _OPS.get(function)
    if op is None:
        op = _OPS[function] = FunctionOp(function)
    return op


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
            ctx._out_meta = tuple((t.shape, t.dtype) for t in outputs)
            node = Node.of_outputs(_op_of(cls), args, outputs, ctx)
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
