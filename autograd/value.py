"""``Value``: a glassgrad tensor that follows micrograd's rules (the bridge from micrograd).

A ``Value`` is a :class:`Tensor` (every op, ``draw_graph``, ``backprop_steps``,
``explain`` and ``gradcheck`` work on it, and it mixes with Tensors), with micrograd's
defaults where micrograd has one:

=====================  =============================  ==================================
default                ``Value`` (micrograd)          ``Tensor`` (PyTorch)
=====================  =============================  ==================================
requires grad          yes, by default                with ``requires_grad=True``
Python numbers become  float64 (Python's float)       the default dtype (float32)
``.grad``              a number, 0 before backward    a Tensor, None before backward
``.data = 0.5``        stores a 0-d array             stores the float (don't)
gradient of results    kept on every node             leaves only (``retain_grad()``)
``backward()`` again   walks the graph again          an error: the graph was freed
``repr``               ``Value(data=2.0, grad=0.0)``  ``tensor(2., requires_grad=True)``
=====================  =============================  ==================================

Why: the micrograd lecture's code reads ``x.grad`` of every node as a number and
updates with ``p.data -= lr * p.grad``; PyTorch code expects Tensors and freed
graphs. Operators and methods of a Value give a Value; as soon as a plain Tensor
takes part the result is a Tensor (so PyTorch code gets PyTorch semantics back), and
the functions ``ag.relu(v)``, ``ag.exp(v)``... give Tensors too (write ``v.relu()``).

>>> from autograd import Value
>>> a, b = Value(-4.0), Value(2.0)
>>> c = a * b + b ** 3 + 10.0 / b
>>> c.backward()
>>> a.grad, b.grad
(2.0, 5.5)
>>> c
Value(data=5.0, grad=1.0)
"""
import numpy as np

from . import engine, functions as F
from .tensor import Tensor, set_stored_grad, stored_grad

# Writes look Tensor's slot up at each access (ag.compile swaps it while tracing); reads
# use the slot itself, and ag.compile swaps ``Value.data`` too (compile/seams.py).
_SLOTS = Tensor.__dict__
_DATA_SLOT = Tensor.__dict__["data"]


def _number(x):
    """A gradient as a number: a NumPy scalar for one element (a Python float to
    arithmetic and printing, with ``.item()`` for PyTorch habits), else the array."""
    return x[()] if x.ndim == 0 else x


class Value(Tensor):
    """A tensor with micrograd's defaults (see the module docstring for the table).

    ``Value(data, requires_grad=True, dtype=None, name=None, label=None)``: Python
    numbers and lists become float64; ``label`` is micrograd-lecture's name for ``name``.
    """

    __slots__ = ()
    _keeps_graph = True     # backward() and backprop_steps() keep the graph, as micrograd

    def __init__(self, data, requires_grad=True, dtype=None, name=None, label=None):
        if dtype is None and not isinstance(data, (Tensor, np.ndarray, np.generic)):
            dtype = np.float64          # micrograd's numbers are Python floats
        super().__init__(data, requires_grad=False, dtype=dtype, name=name or label)
        if requires_grad:
            if not self._float:         # Value(3) stays a number you can differentiate
                _SLOTS["data"].__set__(self, self.data.astype(np.float64))
                self._float = True
            self.requires_grad_(True)

    # ------------------------------------------------------------- micrograd's reads
    def _set_data(self, value):
        _SLOTS["data"].__set__(self, self._coerce(value))

    # Reads go straight to Tensor's slot (a C call: every op reads its operands' data,
    # and a Python getter made a micrograd-style MLP 1.2x slower); writes go through
    # ``_coerce`` so that ``p.data = 0.5`` stores an array.
    data = property(_DATA_SLOT.__get__, _set_data, doc=(
        "The value as a NumPy array (0-d for one number: it prints, formats, compares "
        "and computes as the number); ``v.data = 0.5`` and ``p.data -= lr * p.grad`` "
        "work as in micrograd."))

    def _coerce(self, value):
        """What ``v.data = value`` stores: an array (0-d for one number, so that in-place
        updates such as ``p.data -= lr * p.grad`` and the optimizers work on it); Python
        numbers and lists in the Value's floating dtype."""
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.ndarray):
            return value
        try:
            dtype = _SLOTS["data"].__get__(self, Tensor).dtype
        except AttributeError:          # being initialised
            dtype = None
        if isinstance(value, np.generic) or dtype is None or dtype.kind != "f":
            return np.asarray(value)
        return np.asarray(value, dtype=dtype)

    @property
    def grad(self):
        """d(root)/d(self) as a number (an array for a non-scalar Value); 0 before any
        backward or after ``v.grad = 0``."""
        g = stored_grad(self)
        if g is None:
            data = self.data
            return data.dtype.type(0) if data.ndim == 0 else np.zeros(data.shape, data.dtype)
        return _number(g.data)

    @grad.setter
    def grad(self, value):
        if value is None or isinstance(value, Tensor):
            set_stored_grad(self, value)
            return
        arr = np.asarray(value)
        if arr.ndim == 0 and arr == 0:          # micrograd's zero_grad: p.grad = 0
            set_stored_grad(self, None)
            return
        data = self.data
        if arr.shape != data.shape:
            try:
                arr = np.broadcast_to(arr, data.shape)
            except ValueError:
                raise ValueError(
                    f"Value.grad: cannot set a gradient of shape {arr.shape} on a Value of "
                    f"shape {data.shape}; give a number or an array of shape "
                    f"{data.shape}") from None
        set_stored_grad(self, Tensor(np.array(arr, dtype=data.dtype)))

    # ------------------------------------------------ micrograd's names for the graph
    @property
    def label(self):
        """micrograd-lecture's name for ``name``."""
        return self.name

    @label.setter
    def label(self, value):
        self.name = value

    @property
    def _prev(self):
        """The Values and Tensors this one was made from (micrograd's ``_prev``)."""
        if self.grad_fn is None:
            return set()
        return {x for x in self.grad_fn.inputs if isinstance(x, Tensor)}

    @property
    def _op(self):
        """The op that made this Value ('' for a leaf, micrograd's ``_op``)."""
        return "" if self.grad_fn is None else self.grad_fn.name

    # ------------------------------------------------------------------ backward
    def backward(self, gradient=None, retain_graph=True, create_graph=False, inputs=None):
        """Seed 1 (for one number) and accumulate into every node's ``.grad``.

        The graph is kept (as micrograd keeps it), so backward can run again; the
        gradients then add up, as they do in micrograd.
        """
        engine.backward(self, gradient, retain_graph=retain_graph,
                        create_graph=create_graph, inputs=inputs)

    def detach(self):
        out = Tensor.detach(self)
        out.__class__ = Value
        return out

    def __deepcopy__(self, memo):
        out = Value(self.data.copy(), requires_grad=self.requires_grad, name=self.name)
        grad = stored_grad(self)
        if grad is not None:
            set_stored_grad(out, grad.__deepcopy__(memo))
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (Value, (self.data, self.requires_grad, None, self.name))

    def __repr__(self):
        if self.data.ndim == 0:
            text = f"Value(data={float(self.data)!r}, grad={float(self.grad)!r}"
        else:
            text = f"Value(data={self.data.tolist()!r}, grad={self.grad.tolist()!r}"
        return text + (f", name={self.name!r})" if self.name else ")")

    __str__ = __repr__


def _is_plain_tensor(x):
    return isinstance(x, Tensor) and not isinstance(x, Value)


def _to_value(out):
    """Make an op's result a Value whose gradient is kept (micrograd keeps every
    node's); results that are not Tensors (tuples of them: split) are converted
    item by item."""
    if type(out) is Tensor:
        out.__class__ = Value
        if out.grad_fn is not None:
            out._retains_grad = True
    elif isinstance(out, (tuple, list)):
        for o in out:
            _to_value(o)
    return out


def _keeps_value(method):
    """``method`` of Tensor, giving a Value unless a plain Tensor is an operand."""
    def value_method(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        if not args and not kwargs:     # v.relu(), v.tanh(), v.sum()
            return _to_value(out)
        for a in args:
            if _is_plain_tensor(a):
                return out
        for a in kwargs.values():
            if _is_plain_tensor(a):
                return out
        return _to_value(out)
    value_method.__name__ = method.__name__
    value_method.__qualname__ = f"Value.{method.__name__}"
    value_method.__doc__ = method.__doc__
    return value_method


def _binary(fn, reflected):
    """A binary operator straight onto its function (``a * b`` is ``F.mul(a, b)``): the
    common case, a number or a Value, without ``*args`` or Tensor's own operator."""
    def value_op(self, other):
        out = fn(other, self) if reflected else fn(self, other)
        if isinstance(other, Tensor) and not isinstance(other, Value):
            return out
        out.__class__ = Value
        if out.grad_fn is not None:
            out._retains_grad = True
        return out
    return value_op


BINARY = {"add": F.add, "sub": F.sub, "mul": F.mul, "truediv": F.div, "pow": F.pow,
          "matmul": F.matmul}
# every other Tensor method that makes a tensor from this one (comparisons and logical
# ops give boolean Tensors, which have no gradient: they stay Tensors)
METHODS = ("__neg__ __abs__ __getitem__ astype to float double exp log sqrt sin cos tanh "
           "sigmoid relu abs sign clip maximum minimum sum mean var std max min logsumexp "
           "softmax log_softmax reshape transpose permute swapaxes flatten squeeze "
           "unsqueeze expand broadcast_to split pad matmul pow neg prod cumsum view "
           "expand_as log1p square softplus erf dot sub add mul div").split()


def _install():
    for name, fn in BINARY.items():
        for reflected, dunder in ((False, f"__{name}__"), (True, f"__r{name}__")):
            op = _binary(fn, reflected)
            op.__name__, op.__qualname__ = dunder, f"Value.{dunder}"
            setattr(Value, dunder, op)
    for name in METHODS:
        method = getattr(Tensor, name, None)
        if method is not None and name not in Value.__dict__:
            setattr(Value, name, _keeps_value(method))


_install()
