"""Solutions to the exercises of notebook 00 (build the engine yourself).

Each block starts with ``# %% [id] solution`` or ``# %% [id] wrong: <what is wrong>``;
the notebook tests run every exercise with its wrong answer (its check must reject it)
and then with its solution (its check must pass). To use one, copy the block into the
exercise's answer cell.
"""
# flake8: noqa
# %% [00.1] solution
answer = 6 * -2 - 4          # f'(x) = 6x - 4

# %% [00.1] wrong: the derivative evaluated at +2 instead of -2
answer = 6 * 2 - 4

# %% [00.2] solution
a, b, c, f = 2.0, -3.0, 10.0, -2.0
answer = {"a": f * b, "b": f * a, "c": f, "f": a * b + c}    # 6, -4, -2, 4

# %% [00.2] wrong: forgets the outer factor f in dL/da and dL/db
answer = {"a": -3.0, "b": 2.0, "c": -2.0, "f": 4.0}

# %% [00.3] solution
o = math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432)
do_dn = 1 - o ** 2                                            # 0.5
answer = {"n": do_dn, "w1": do_dn * 2.0, "x2": do_dn * 1.0, "w2": do_dn * 0.0}

# %% [00.3] wrong: swaps the roles of input and weight in the product rule
answer = {"n": 0.5, "w1": 0.5 * -3.0, "x2": 0.5 * 0.0, "w2": 0.5 * 1.0}

# %% [00.4] solution
class Value:
    """A number that remembers how it was made (the design of Karpathy's micrograd)."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value({self.label} data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad

        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def backward(self):
        """Backprop from this node (given; it needs your topo_sort from exercise 00.5)."""
        order = topo_sort(self) if "topo_sort" in globals() else None
        if order is None or order is ...:
            raise ex.NotDone("Value.backward needs topo_sort (exercise 00.5)")
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

# %% [00.4] wrong: tanh's local derivative written as 1 - t instead of 1 - t**2
class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data, self.grad, self._backward = float(data), 0.0, lambda: None
        self._prev, self._op, self.label = tuple(_children), _op, label

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad

        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

# %% [00.5] solution
def topo_sort(root):
    """All nodes reachable from root, each after its inputs (iterative DFS)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
    return order

# %% [00.5] wrong: appends each node before its inputs (pre-order)
def topo_sort(root):
    order, visited = [], set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            order.append(node)
            for child in node._prev:
                visit(child)
    visit(root)
    return order

# %% [00.6] solution
class Fixed(Draft):
    """The draft with its bug fixed: every use of a node adds its contribution."""

    def __add__(self, other):
        out = Fixed(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Fixed(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

# %% [00.6] wrong: the draft as it was (assigns with = instead of accumulating with +=)

# %% [00.7] solution
def value_pow(self, k):
    """self ** k for a plain number k."""
    out = Value(self.data ** k, (self,), f"**{k}")

    def _backward():
        self.grad += k * self.data ** (k - 1) * out.grad

    out._backward = _backward
    return out


Value.__pow__ = value_pow

# %% [00.7] wrong: the power rule without lowering the exponent (k x^k)
def value_pow(self, k):
    out = Value(self.data ** k, (self,), f"**{k}")

    def _backward():
        self.grad += k * self.data ** k * out.grad

    out._backward = _backward
    return out


Value.__pow__ = value_pow

# %% [00.8] solution
def value_exp(self):
    """e ** self, with its backward."""
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.grad * out.data        # d e^x / dx = e^x, the output itself

    out._backward = _backward
    return out


Value.exp = value_exp

# %% [00.8] wrong: the bug as given (multiplies by x instead of e^x)
