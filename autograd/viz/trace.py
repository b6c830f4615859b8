"""Step 1 of rendering: collect the tensors and edges reachable from some roots.

The walk is iterative (a breadth-first queue), so a 100,000-node chain is no
problem, and it visits tensors nearest the roots first, which is the order in
which a size-limited drawing keeps them. Keys are stable creation indices
(``t<tensor._index>``; constants ``c<node.index>_<input position>``), never
``id()``, so the same program always gives the same DOT text.

>>> import autograd as ag
>>> a = ag.Tensor(2.0, requires_grad=True, name="a")
>>> g = trace(a * 3.0)
>>> [g.kind(k) for k in g.tensors], [g.kind(k) for k in g.constants]
(['root', 'leaf'], ['const'])
"""
from collections import deque

from ..tensor import Tensor

KINDS = ("root", "op", "param", "leaf", "const")


def tensor_key(t):
    return f"t{t._index}"


def is_parameter(t):
    """A Tensor flagged with ``_is_param`` (``nn.Parameter`` sets it on its class)."""
    return bool(getattr(t, "_is_param", False))


class GraphTrace:
    """Tensors, constants and edges of a graph, in breadth-first order from the roots.

    ``tensors``: key -> Tensor; ``constants``: key -> (value, node, position);
    ``edges``: (source key, consumer tensor key, input position) triples;
    ``producers``: consumer key -> its input keys in order; ``consumers``:
    key -> consumer keys; ``roots``: the root keys.
    """

    def __init__(self, roots):
        self.roots = []
        self.tensors = {}
        self.constants = {}
        self.edges = []
        self.consumers = {}
        self.order = []         # every key in discovery order (nearest the roots first)
        self._collect(roots)

    def _collect(self, roots):
        queue = deque()
        for r in roots:
            if not isinstance(r, Tensor):
                raise TypeError(f"trace: expected Tensors as roots, got {type(r).__name__}")
            key = tensor_key(r)
            if key not in self.tensors:
                self.tensors[key] = r
                self.roots.append(key)
                self.order.append(key)
                queue.append(r)
        tensors, constants, edges = self.tensors, self.constants, self.edges
        consumers, order = self.consumers, self.order
        while queue:
            t = queue.popleft()
            node = t.grad_fn
            if node is None:
                continue
            dst = tensor_key(t)
            for pos, x in enumerate(node.inputs):
                if isinstance(x, Tensor):
                    src = tensor_key(x)
                    if src not in tensors:
                        tensors[src] = x
                        order.append(src)
                        queue.append(x)
                else:
                    src = f"c{node.index}_{pos}"
                    if src not in constants:
                        constants[src] = (x, node, pos)
                        order.append(src)
                edges.append((src, dst, pos))
                consumers.setdefault(src, []).append(dst)

    def __len__(self):
        return len(self.tensors) + len(self.constants)

    def kind(self, key):
        """One of KINDS: the root, an op result, a parameter, a leaf that requires
        grad, or a constant (a non-Tensor input, or a tensor without requires_grad)."""
        if key in self.constants:
            return "const"
        t = self.tensors[key]
        if key in self.roots:
            return "root"
        if t.grad_fn is not None:
            return "op"
        if is_parameter(t):
            return "param"
        return "leaf" if t.requires_grad else "const"

    def scope(self, key):
        """The module path a node belongs to (None outside every module).

        An op result belongs to the scope its node was created in. A constant belongs
        to its consumer's scope; a parameter to the innermost scope shared by all of its
        consumers (so a Linear's weight sits inside that Linear's cluster). Other
        leaves (the data) stay outside.
        """
        if key in self.constants:
            return getattr(self.constants[key][1], "scope", None)
        t = self.tensors[key]
        if t.grad_fn is not None:
            return getattr(t.grad_fn, "scope", None)
        if not is_parameter(t):
            return None
        scopes = [self.scope(c) for c in self.consumers.get(key, ())]
        return common_scope(scopes)


def common_scope(scopes):
    """The longest dotted prefix shared by all ``scopes`` (None if any is None)."""
    if not scopes or any(s is None for s in scopes):
        return None
    parts = scopes[0].split(".")
    for s in scopes[1:]:
        other = s.split(".")
        n = 0
        while n < min(len(parts), len(other)) and parts[n] == other[n]:
            n += 1
        parts = parts[:n]
    return ".".join(parts) or None


def trace(*roots):
    """Collect every tensor, constant and edge that ``roots`` depend on (iteratively).

    Returns a :class:`GraphTrace`. Edges point forward, from an input to the tensor
    computed from it (the direction the values flow; gradients flow back along them).
    """
    if not roots:
        raise ValueError("trace: give at least one root tensor, e.g. trace(loss)")
    return GraphTrace(roots)
