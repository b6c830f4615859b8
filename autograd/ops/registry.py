"""The primitive registry and the graph node.

A primitive is one block: a forward on NumPy arrays, one VJP per input and a short
rule text. The VJPs are written with operators and registry functions only, so the
same code runs on arrays (a plain backward) and on Tensors (``create_graph=True``,
where it records a differentiable graph)::

    exp = defprimitive(
        "exp", np.exp,
        vjps=(lambda g, out, x: g * out,),
        rules=("d exp(x)/dx = exp(x)",),
    )

Calling a primitive with any Tensor argument records a ``Node``; calling it with
arrays only just runs the forward. That dispatch is what makes VJPs reusable.
"""
import weakref

import numpy as np

from .. import anomaly, grad_mode, scope
from ..anomaly import MODE as ANOMALY
from ..inplace import CLOCK
from ..tensor import Tensor, _creation

REGISTRY = {}
_SCOPES = scope._stack      # the innermost name is what a new node records


class Node(weakref.ref):
    """One recorded operation: the ``grad_fn`` of the tensors it produced. Every node is
    of this class; what differs is the ``op`` it records:

    * a ``Primitive`` (one VJP per input, below), the node of every built-in op;
    * a custom Function's op (``function.FunctionOp``: its ``backward`` is the VJP);
    * a tap (``hooks.TapOp``: an identity whose backward shows the gradients to a hook).

    An op has a ``name``, ``rules`` (the derivative texts drawings and ``explain``
    show) and ``input_grads(node, g, create_graph, wanted)``, the node's backward.

    ``inputs`` are the operands as given (Tensors, or arrays for constants),
    ``arrays`` what the backward needs from the forward (a primitive: its operands'
    arrays as the forward saw them; a Function: its ``ctx``), dropped by ``release``;
    ``params`` the non-tensor arguments, ``index`` the creation order and ``scope``
    the module path it was created in. The node *is* the weak reference to its (first)
    output Tensor (the consumer nodes hold that strongly): ``node.out()`` returns it,
    or None once it is gone. One object instead of a node plus a weakref keeps graphs
    lighter for Python's garbage collector, which walks every long-lived object. For
    the same reason one or two operands are kept in slots of the node (``inputs``
    builds their tuple when read): a tuple per node was a third of the objects the
    collector walked in a long graph (W3's 100,000-op chain: ~1.5 us per op of its
    full collections).

    A node with several outputs (``Node.of_outputs``: Functions, taps) also keeps a weak
    reference to each in ``outs`` (None for the usual one output); ``n_outputs``
    counts them, and the walk gives such a node a list of upstream gradients.
    """

    __slots__ = ("op", "_x0", "_x1", "_xs", "arrays", "params", "index", "scope", "freed",
                 "clock", "outs", "n_outputs", "__weakref__")
    __hash__ = object.__hash__     # identity (a weakref would hash and compare its referent)
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    out = weakref.ref.__call__

    def __new__(cls, op, inputs, params, out, arrays, outs=None):
        self = weakref.ref.__new__(cls, out)
        self.op = op
        n = len(inputs)             # the ``inputs`` setter, written out for the usual cases
        if n == 2:
            self._x0, self._x1 = inputs
            self._xs = 2
        elif n == 1:
            self._x0, self._xs = inputs[0], 1
        else:
            self.inputs = inputs
        self.arrays = arrays
        self.params = params
        self.index = out._index
        self.scope = _SCOPES[-1] if _SCOPES else None
        self.freed = False
        self.clock = CLOCK.count    # in-place writes so far (inplace.check_versions)
        self.outs = outs
        self.n_outputs = 1 if outs is None else len(outs)
        return self

    __init__ = object.__init__     # everything is set in __new__ (ref's __init__ takes 1-2 args)

    @property
    def inputs(self):
        """The operands as given, a tuple (see the class docstring)."""
        xs = self._xs
        if type(xs) is tuple:
            return xs
        return (self._x0, self._x1) if xs == 2 else (self._x0,)

    @inputs.setter
    def inputs(self, inputs):
        """One or two operands go to the slots ``_x0``, ``_x1`` (``_xs`` their count),
        others stay a tuple in ``_xs``."""
        n = len(inputs)
        if n == 2:
            self._x0, self._x1 = inputs
        elif n == 1:
            self._x0, self._x1 = inputs[0], None
        else:
            self._x0 = self._x1 = None
            self._xs = tuple(inputs)
            return
        self._xs = n

    def replace_input(self, old, new):
        """Put ``new`` wherever ``old`` is among the inputs (``release`` swapping in a
        stand-in), without building the tuple twice."""
        xs = self._xs
        if type(xs) is tuple:
            self._xs = tuple([new if y is old else y for y in xs])
            return
        if self._x0 is old:
            self._x0 = new
        if xs == 2 and self._x1 is old:
            self._x1 = new

    @classmethod
    def of_outputs(cls, op, inputs, outputs, arrays=None):
        """The node of an op with a list of output Tensors (a Function, a tap)."""
        return cls(op, tuple(inputs), {}, outputs[0], arrays,
                   tuple(weakref.ref(t) for t in outputs))

    @property
    def name(self):
        return self.op.name

    @property
    def next_functions(self):
        """The nodes that made the inputs (None for leaves and constants)."""
        return tuple(x.grad_fn if isinstance(x, Tensor) else None for x in self.inputs)

    def outputs(self):
        """The output Tensors in order (None for one that is gone)."""
        if self.outs is None:
            return (self(),)
        return tuple(ref() for ref in self.outs)

    def output_index(self, tensor):
        """The position of ``tensor`` among the outputs."""
        for k, t in enumerate(self.outputs()):
            if t is tensor:
                return k
        raise RuntimeError(f"{self.name}: tensor is not an output of this node")

    def rule(self, i):
        """The local derivative of the output with respect to input ``i``, in words."""
        rules = self.op.rules
        return rules[i] if i < len(rules) else rules[-1]

    def input_grads(self, g, create_graph, wanted):
        """One gradient per input (None where not ``wanted``) for upstream ``g`` (a list,
        one per output, for a node of several outputs): the op's backward. (The walk
        calls ``node.op.input_grads(node, ...)`` itself, one call fewer per node.)"""
        return self.op.input_grads(self, g, create_graph, wanted)

    def release(self):
        """Mark the node as used up by a backward without ``retain_graph`` and drop what
        its backward needed (the inputs stay, so the graph can still be drawn)."""
        self.freed = True
        self.arrays = None

    def moved(self, old, new, op=None):
        """This node with output ``old`` replaced by ``new`` (an in-place write gives a
        tensor's place in the graph to a new tensor), and ``op`` if given: a new node,
        which also becomes the ``grad_fn`` of the other outputs."""
        op = self.op if op is None else op
        if self.outs is None:
            node = Node(op, self.inputs, self.params, new, self.arrays)
        else:
            outs = tuple(weakref.ref(new) if ref() is old else ref for ref in self.outs)
            first = outs[0]()
            if first is None:       # gone: the new node refers to a tensor that dies here
                first = Tensor.__new__(Tensor)
                first._index = self.index
            node = Node(op, self.inputs, self.params, first, self.arrays, outs)
            for ref in outs:
                t = ref()
                if t is not None and t is not new and t.grad_fn is self:
                    t.grad_fn = node
        node.index, node.scope, node.clock, node.freed = (self.index, self.scope,
                                                          self.clock, self.freed)
        return node

    def __repr__(self):
        return f"<{self.op.name} node #{self.index}>"


class Primitive:
    """A differentiable NumPy function with its VJPs and rule texts (and, when declared
    with ``defprimitive``, its public function, Tensor methods and checks): the op of
    the nodes it records."""

    __slots__ = ("name", "forward", "vjps", "rules", "variadic", "doc", "public", "methods",
                 "cases", "fuzz")
    composite = False

    def __init__(self, name, forward, vjps, rules, doc=None, variadic=False):
        self.name = name
        self.variadic = variadic
        self.forward = forward
        self.vjps = tuple(vjps)
        self.rules = tuple(rules)
        self.doc = doc or forward.__doc__
        self.public, self.methods, self.cases, self.fuzz = None, (), (), None

    def __call__(self, *args, **params):
        for a in args:
            if isinstance(a, Tensor):
                return apply(self, args, params)
        return self.forward(*args, **params)

    def input_grads(self, node, g, create_graph, wanted):
        """The backward of ``node``: one VJP call per ``wanted`` input. On the plain
        path the VJPs see arrays; with ``create_graph`` they see the Tensors themselves
        and so record a differentiable graph. (``engine._visit_plain`` makes the plain
        calls itself, one Python call fewer per node: a change to how a VJP is called
        goes there too.)"""
        out = node.out()
        if create_graph:
            args, outv = node.inputs, out
        else:
            args, outv = node.arrays, (out.data if out is not None else None)
        params = node.params
        grads = []
        if self.variadic:
            vjp = self.vjps[0]
            for i, w in enumerate(wanted):
                grads.append(vjp(i, g, outv, args, **params) if w else None)  # O(1)
        else:
            for vjp, w in zip(self.vjps, wanted):
                grads.append(vjp(g, outv, *args, **params) if w else None)
        return grads

    def __repr__(self):
        return f"<primitive {self.name}>"


class Composite:
    """An op written with other ops (no VJP of its own): its public function, the
    Tensor methods it provides and its checks. Declared with ``defcomposite``."""

    __slots__ = ("name", "public", "doc", "methods", "cases", "fuzz")
    composite = True

    def __init__(self, name, public):
        self.name = name
        self.public = public
        self.doc = public.__doc__
        self.methods, self.cases, self.fuzz = (), (), None

    def __repr__(self):
        return f"<composite {self.name}>"


DECLARED = {}      # op name -> Primitive or Composite: every op with a public function
PUBLIC = {}        # public name (and alias) -> function: what ``ag.<name>`` is
_REFLECTED = {"__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rpow__", "__rmatmul__"}


def defprimitive(name, forward, vjps, rules, doc=None, variadic=False, *, coerce=None,
                 public=None, method=False, aliases=(), cases=(), fuzz=None):
    """Declare a primitive in one block and return it. ``vjps[i](g, out, *inputs, **params)``.

    A ``variadic`` primitive (any number of tensor inputs) gives a single VJP that
    also receives the input position and the inputs as one tuple (so that n calls on
    an n-input node cost O(n), not O(n²)): ``vjps[0](i, g, out, inputs, **params)``.

    The rest of the block makes it a public op: ``coerce`` (a rule of ``ops.coerce``
    such as ``float_unary``) generates ``ag.<name>`` from the primitive, or ``public``
    gives that function written out; ``method`` makes it a Tensor method (True: under
    its name; or the names, operators included, e.g. ``("add", "__add__", "__radd__")``);
    ``aliases`` are more public names; ``cases`` (``spec.Case``) are gradchecked to
    first and second order and ``fuzz`` (``spec.Fuzz``) is fuzzed against NumPy by the
    registry-driven tests. Without ``coerce``/``public`` the primitive is internal:
    other ops build on it, and only the registry (``ag.ops``) names it.
    """
    if name in REGISTRY:
        raise ValueError(f"defprimitive: a primitive named {name!r} is already registered")
    if len(rules) == 0:
        raise ValueError(f"defprimitive {name!r}: give at least one rule text")
    prim = Primitive(name, forward, vjps, rules, doc, variadic)
    if coerce is not None and public is not None:
        raise ValueError(f"defprimitive {name!r}: give coerce= or public=, not both")
    if coerce is not None:
        public = coerce(prim)
        public.__doc__ = doc or f"Elementwise {name}; {prim.rules[0]}."
    if public is not None:
        public.__name__ = public.__qualname__ = name
    _declare(prim, public, method, aliases, cases, fuzz)     # checks all, then records
    REGISTRY[name] = prim
    return prim


def defcomposite(name=None, *, method=False, aliases=(), cases=(), fuzz=None):
    """Declare a composite op (built from other ops, no VJP of its own) as a decorator
    on its public function, with the same fields as ``defprimitive``'s public part.

    >>> @defcomposite(method=False)
    ... def cube_plus_one(x):
    ...     return x * x * x + 1
    >>> DECLARED["cube_plus_one"].composite
    True
    >>> undeclare("cube_plus_one")
    """
    def declare(fn):
        _declare(Composite(name or fn.__name__, fn), fn, method, aliases, cases, fuzz)
        return fn
    return declare


def _declare(op, public, method, aliases, cases, fuzz):
    """Record the public part of a declaration: names, Tensor methods, checks. Nothing
    is recorded unless every name is free."""
    cases = tuple(c.bound_to(op if public is None else public) for c in cases)
    if public is None:
        if method or aliases or fuzz is not None:
            raise ValueError(f"{op.name}: method=, aliases= and fuzz= need a public "
                             f"function (coerce= or public=)")
        op.cases = cases
        return
    names = (op.name,) + tuple(aliases)
    methods = (op.name,) if method is True else (method,) if isinstance(
        method, str) else tuple(method or ())
    taken = [n for n in names if n in PUBLIC]
    if taken:
        raise ValueError(f"{op.name}: the public name(s) {taken} are already declared; "
                         f"pick another name")
    for attr in methods:
        if attr in Tensor.__dict__:
            raise ValueError(f"{op.name}: Tensor already has an attribute {attr!r}; "
                             f"declare the op with another method name (or method=False)")
    op.public, op.methods, op.cases, op.fuzz = public, methods, cases, fuzz
    for attr in methods:
        _install_method(attr, public)
    DECLARED[op.name] = op
    for n in names:
        PUBLIC[n] = public


def undeclare(name):
    """Remove a declared op: its registry entry, public names and Tensor methods (for a
    notebook cell run twice, or a test that declares an op for a while)."""
    op = DECLARED.pop(name, None) or REGISTRY.get(name)      # (a primitive may be internal)
    if op is None:
        raise KeyError(f"undeclare: no op named {name!r} is declared")
    REGISTRY.pop(name, None)
    for public_name in [n for n, fn in PUBLIC.items() if op.public is not None
                        and fn is op.public]:
        del PUBLIC[public_name]
    for attr in op.methods:
        delattr(Tensor, attr)


def _install_method(attr, fn):
    """``Tensor.<attr>`` = ``fn``; reflected operators (``__radd__``) swap the operands."""
    if attr in _REFLECTED:
        def method(self, other):
            return fn(other, self)
        method.__name__ = attr
    else:
        method = fn
    setattr(Tensor, attr, method)


def _forward_error(op, arrays, err):
    """The message for a failed forward: the op, every input shape and the cause."""
    shapes = " and ".join(str(np.shape(a)) for a in arrays)
    return f"{op.name}: cannot apply to inputs of shapes {shapes}: {err}"


_new_tensor = Tensor.__new__
_next_index = _creation.__next__


def apply(op, args, params):
    """Run ``op`` forward on the arrays of ``args`` and record a Node if needed."""
    n = len(args)
    if n == 2:      # (written out for one and two operands: a comprehension is a call)
        a, b = args
        arrays = (a.data if isinstance(a, Tensor) else a, b.data if isinstance(b, Tensor)
                  else b)
    elif n == 1:
        a = args[0]
        arrays = (a.data if isinstance(a, Tensor) else a,)
    else:
        arrays = tuple([a.data if isinstance(a, Tensor) else a for a in args])
    try:
        data = op.forward(*arrays, **params)
    except (ValueError, IndexError, TypeError) as err:
        cls = TypeError if isinstance(err, TypeError) else type(err)   # e.g. UFuncTypeError
        raise cls(_forward_error(op, arrays, err)) from None
    out = _new_tensor(Tensor)       # Tensor._init, written out (one call fewer per op)
    out.data = data
    out._grad = out.grad_fn = out.name = None
    out.requires_grad = out._retains_grad = False
    out._index = _next_index()
    out._float = floating = data.dtype.kind == "f"
    out._ver = 0
    if floating and grad_mode.STATE.enabled:
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                out.requires_grad = True
                out.grad_fn = Node(op, args, params, out, arrays)
                break
    if ANOMALY.enabled:
        anomaly.after_forward(op.name, arrays, params, (out,), out.grad_fn)
    return out
