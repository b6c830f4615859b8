"""00 — build the engine yourself: a scalar Value, topological sort, backward, the a + a bug."""
from nbtools import check, code, exercise, md, setup

NAME = "00_build_your_engine"

VALUE_TEMPLATE = '''
class Value:
    """A number that remembers how it was made (the design of Karpathy's micrograd)."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0                  # dL/d(this node), filled in by backprop
        self._backward = lambda: None    # pushes out.grad to the inputs; set by each op
        self._prev = tuple(_children)    # the inputs, in order (a + a lists a twice)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value({self.label} data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            ...   # d(out)/d(self) = 1 and d(out)/d(other) = 1: pass out.grad on to both

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            ...   # d(out)/d(self) = other.data and d(out)/d(other) = self.data

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            ...   # d tanh(n)/dn = 1 - tanh(n)**2

        out._backward = _backward
        return out

    __radd__ = __add__       # 2 + a
    __rmul__ = __mul__       # 2 * a

    def backward(self):
        """Backprop from this node (given; it needs your topo_sort from exercise 00.5)."""
        order = topo_sort(self) if "topo_sort" in globals() else None
        if order is None or order is ...:
            raise ex.NotDone("Value.backward needs topo_sort (exercise 00.5)")
        self.grad = 1.0
        for node in reversed(order):     # from the output back to the inputs
            node._backward()
'''

DRAFT = '''
class Draft:
    """micrograd's first draft: each _backward SETS the gradients of its inputs."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data, self.grad, self._backward = float(data), 0.0, lambda: None
        self._prev, self._op, self.label = tuple(_children), _op, label

    def __add__(self, other):
        out = Draft(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = 1.0 * out.grad
            other.grad = 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Draft(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out
'''

FIXED_TEMPLATE = '''
class Fixed(Draft):
    """The draft with its bug fixed (edit the two _backward functions)."""

    def __add__(self, other):
        out = Fixed(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = 1.0 * out.grad
            other.grad = 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Fixed(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out
'''

EXP_TEMPLATE = '''
def value_exp(self):
    """e ** self, with its backward (there is a bug in it)."""
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.grad * self.data      # d e^x / dx = e^x

    out._backward = _backward
    return out


Value.exp = value_exp
'''


def cells():
    return [
        md("""
        # 00 · Build the engine yourself

        Before using glassgrad, build its heart: a scalar `Value` that records the
        operations `+`, `*` and `tanh`, a topological sort, and `backward()` — about 60
        lines, in the style of Karpathy's *micrograd* lecture. On the way you will meet the
        bug every autograd author meets once (`a + a`), and then check your engine against
        glassgrad **node by node**: a check helper says which node's gradient differs and by
        how much, next to glassgrad's own account of the same backward pass (`ag.explain`).

        **How the exercises work.** Each ✍ exercise has a cell for your answer (a function
        whose body is `...`, or `answer = ...`) and a check cell below it. Running a check
        on an unfinished answer says *not done yet*; a wrong answer gets an explanation
        (which node or element, expected vs got, what the mistake looks like); a right one
        gets ✔. You can skip any exercise: the notebook still runs top to bottom. The
        solutions are in `solutions/00_build_your_engine.py`.
        """),
        setup("""
        import math
        import autograd as ag
        from autograd import exercises as ex
        from IPython.display import HTML

        ag.set_default_dtype(np.float64)


        def side_by_side(*items):
            \"\"\"Show HTML-capable objects next to each other.\"\"\"
            cols = "".join(f'<div style="flex:1;min-width:0;overflow-x:auto">{i._repr_html_()}'
                           "</div>" for i in items)
            return HTML(f'<div style="display:flex;gap:16px">{cols}</div>')
        """),
        md("""
        ## 1. A derivative is a slope

        $f(x) = 3x^2 - 4x + 5$. Nudge $x$ by a tiny $h$ and see how much $f$ moves:
        $\\frac{f(x + h) - f(x)}{h} \\to f'(x)$. At $x = 3$ that is $6x - 4 = 14$.
        """),
        code("""
        def f(x):
            return 3 * x ** 2 - 4 * x + 5

        h = 1e-6
        slope = (f(3.0 + h) - f(3.0)) / h
        print(f"slope at 3: {slope:.6f}")
        xs = np.linspace(-5, 5, 101)
        plt.plot(xs, f(xs)); plt.plot([2, 4], [f(3) - 14, f(3) + 14], "--", label="slope 14 at x = 3")
        plt.legend(); plt.show()
        assert abs(slope - 14) < 1e-4
        """),
        *exercise("00.1", "predict", "the slope at another point", """
            What is the slope of $f$ at $x = -2$? Work it out by hand ($f'(x) = 6x - 4$), put
            the number in `answer`, then run the check (which measures it numerically).
            """, "answer = ...", NAME),
        check("00.1", """
        ex.check_value(answer, (f(-2.0 + h) - f(-2.0)) / h, name="slope at -2", exercise="00.1")
        """),
        md("""
        ## 2. Several inputs

        With $L = (a b + c) f$ each input gets its own slope, a partial derivative.
        The chain rule multiplies local slopes: with $d = ab + c$, $L = d f$,
        $\\frac{\\partial L}{\\partial a} = \\frac{\\partial L}{\\partial d}\\frac{\\partial d}{\\partial a} = f \\cdot b$.
        """),
        *exercise("00.2", "predict", "four partial derivatives", """
            At $a = 2$, $b = -3$, $c = 10$, $f = -2$ predict $\\partial L/\\partial a$,
            $\\partial L/\\partial b$, $\\partial L/\\partial c$ and $\\partial L/\\partial f$ for
            $L = (ab + c)f$. The check computes them with glassgrad.
            """, 'answer = {"a": ..., "b": ..., "c": ..., "f": ...}', NAME),
        check("00.2", """
        ta, tb, tc, tf = (ag.Tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
        L = (ta * tb + tc) * tf
        L.backward()
        ex.check_value(answer, {"a": ta.grad, "b": tb.grad, "c": tc.grad, "f": tf.grad},
                       exercise="00.2")
        """),
        md("""
        ## 3. A neuron, by hand

        micrograd's neuron: inputs $x_1 = 2$, $x_2 = 0$, weights $w_1 = -3$, $w_2 = 1$, bias
        $b = 6.8813735870195432$ (chosen so that the numbers are round):
        $n = x_1 w_1 + x_2 w_2 + b = 0.8814$, $o = \\tanh(n) = 0.7071$.
        Backprop by hand: $\\frac{\\partial o}{\\partial n} = 1 - o^2 = 0.5$; an addition passes
        that on unchanged to each of its terms; a product $x_i w_i$ sends to $w_i$ the
        gradient times $x_i$, and to $x_i$ the gradient times $w_i$.
        """),
        code("""
        x1v, x2v, w1v, w2v, bv = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432

        def neuron_glassgrad():
            \"\"\"The neuron with glassgrad Tensors (named like the Values below).\"\"\"
            x1, x2, w1, w2, b = (ag.Tensor(v, requires_grad=True, name=n) for v, n in
                                 zip((x1v, x2v, w1v, w2v, bv), ("x1", "x2", "w1", "w2", "b")))
            x1w1 = x1 * w1; x1w1.name = "x1*w1"
            x2w2 = x2 * w2; x2w2.name = "x2*w2"
            s = x1w1 + x2w2; s.name = "x1w1 + x2w2"
            n = s + b; n.name = "n"
            o = ag.tanh(n); o.name = "o"
            return o

        o_ref = neuron_glassgrad()
        print(f"n = {o_ref.grad_fn.inputs[0].item():.4f}, o = {o_ref.item():.4f}")
        assert abs(o_ref.item() - 2 ** -0.5) < 1e-12
        """),
        *exercise("00.3", "predict", "the neuron's gradients", """
            Predict $\\partial o/\\partial n$, $\\partial o/\\partial w_1$,
            $\\partial o/\\partial x_2$ and $\\partial o/\\partial w_2$. (One of them is 0: why?)
            """, 'answer = {"n": ..., "w1": ..., "x2": ..., "w2": ...}', NAME),
        check("00.3", """
        o = neuron_glassgrad()
        leaves = {t.name: t for t in ag.viz.trace(o).tensors.values()}
        grads = ag.grad(o, [leaves["n"], leaves["w1"], leaves["x2"], leaves["w2"]])
        ex.check_value(answer, dict(zip(["n", "w1", "x2", "w2"], grads)), exercise="00.3")
        """),
        md("""
        ## 4. `Value`: record the graph, then push gradients back

        Each operation creates a new `Value` that remembers its inputs (`_prev`), its op
        and a small function `_backward` that, once the output's gradient `out.grad` is
        known, adds the output's contribution to each input's gradient: *input.grad +=
        local derivative × out.grad*. The forward is written; the three `_backward`s are
        yours. (`backward()` at the bottom is given; it needs exercise 00.5.)
        """),
        *exercise("00.4", "write", "the backward of +, * and tanh", """
            Replace the three `...` in the `_backward` functions. The check builds the
            neuron with your `Value`, calls each node's `_backward` from the output back,
            and compares every node's gradient with glassgrad.
            """, VALUE_TEMPLATE, NAME),
        check("00.4", """
        def neuron_yours():
            x1, x2 = Value(x1v, label="x1"), Value(x2v, label="x2")
            w1, w2, b = Value(w1v, label="w1"), Value(w2v, label="w2"), Value(bv, label="b")
            x1w1 = x1 * w1; x1w1.label = "x1*w1"
            x2w2 = x2 * w2; x2w2.label = "x2*w2"
            s = x1w1 + x2w2; s.label = "x1w1 + x2w2"
            n = s + b; n.label = "n"
            o = n.tanh(); o.label = "o"
            return o

        ex.compare_graphs(neuron_yours, neuron_glassgrad(), run="closures", exercise="00.4")
        """),
        md("""
        Your graph, drawn by `ex.draw_values` (values in black, your gradients in red; with
        the `_backward`s not written yet every gradient is still 0):
        """),
        code("""
        o_yours = neuron_yours()
        o_yours.grad = 1.0
        for node in [o_yours, o_yours._prev[0], *o_yours._prev[0]._prev]:   # o, n, then s and b
            node._backward()
        for node in o_yours._prev[0]._prev[0]._prev:                       # x1*w1, x2*w2
            node._backward()
        ex.draw_values(o_yours)
        """),
        md("""
        ## 5. In which order? A topological sort

        Calling the `_backward`s by hand needs the right order: a node may only push its
        gradient back once *all* of its consumers have pushed theirs to it. Any order in
        which every node comes after its inputs (a *topological order*) works when it is
        reversed. Build it by depth-first search: visit the inputs of a node first, then
        append the node.
        """),
        *exercise("00.5", "write", "topo_sort", """
            Write `topo_sort(root)`: every node reachable from `root` exactly once, each
            after all of its inputs (`node._prev`). Keep a set of visited nodes.
            """, '''
            def topo_sort(root):
                """All nodes reachable from root, each after its inputs."""
                ...
            ''', NAME),
        check("00.5", """
        ex.check_topological_order(topo_sort, neuron_yours(), exercise="00.5")
        """),
        md("""
        With `topo_sort`, `Value.backward()` sets the output's gradient to 1 and calls the
        `_backward`s in reverse order. Your engine against glassgrad, through `backward()`
        this time:
        """),
        code("""
        ex.compare_graphs(neuron_yours, neuron_glassgrad(), run="backward")
        """),
        md("""
        ## 6. The `a + a` bug

        micrograd's first draft *set* the gradients in `_backward` (`self.grad = ...`).
        That is right as long as every node is used once. Here is that draft, and what it
        does with $b = a + a$, whose derivative is obviously $\\partial b/\\partial a = 2$:
        """),
        code(DRAFT + '''

a = Draft(3.0, label="a")
b = a + a; b.label = "b"
b.grad = 1.0
b._backward()
print("draft:     db/da =", a.grad)
a_ref = ag.Tensor(3.0, requires_grad=True, name="a")
(a_ref + a_ref).backward()
print("glassgrad: db/da =", a_ref.grad.item())
assert a.grad == 1.0 and a_ref.grad.item() == 2.0
'''),
        md("""
        The `+` node's `_backward` runs once and writes `a.grad = 1` **twice** — as `self`
        and as `other`, which are the same object — so one contribution overwrites the
        other. Every use of a node must *add* its contribution: the gradient of a node is
        the sum over all the ways it influences the output (the multivariate chain rule).
        The same happens, less visibly, whenever a node has two consumers — micrograd's
        second example, $f = (ab)(a + b)$ at $a = -2$, $b = 3$:
        """),
        code("""
        a, b = Draft(-2.0, label="a"), Draft(3.0, label="b")
        d = a * b; d.label = "d"
        e = a + b; e.label = "e"
        f_ = d * e; f_.label = "f"
        f_.grad = 1.0
        for node in (f_, e, d):              # a valid reverse topological order
            node._backward()
        ta, tb = ag.Tensor(-2.0, requires_grad=True), ag.Tensor(3.0, requires_grad=True)
        ((ta * tb) * (ta + tb)).backward()
        print(f"draft:     df/da = {a.grad}, df/db = {b.grad}")
        print(f"glassgrad: df/da = {ta.grad.item()}, df/db = {tb.grad.item()}")
        assert (ta.grad.item(), tb.grad.item()) == (-3.0, -8.0) and a.grad != -3.0
        ex.draw_values(f_)
        """),
        *exercise("00.6", "bug", "make the draft accumulate", """
            `Fixed` below is the draft again. Fix its two `_backward` functions so that a
            node used twice gets both contributions. The check runs $a + a$ and
            $(ab)(a + b)$ against glassgrad, node by node (it explains the failure first:
            run it before you fix anything).
            """, FIXED_TEMPLATE, NAME),
        check("00.6", """
        def two_uses():
            a, b = Fixed(-2.0, label="a"), Fixed(3.0, label="b")
            return (a * b) * (a + b) + a + a

        ta, tb = ag.Tensor(-2.0, requires_grad=True, name="a"), ag.Tensor(3.0, requires_grad=True, name="b")
        ex.compare_graphs(two_uses, (ta * tb) * (ta + tb) + ta + ta, run="closures", exercise="00.6")
        """),
        md("""
        Does **your** `Value` from exercise 00.4 accumulate? If you wrote `=` there, this
        comparison shows the same bug (fix it in 00.4 with `+=` and run both again):
        """),
        code("""
        def yours_twice():
            a, b = Value(-2.0, label="a"), Value(3.0, label="b")
            return (a * b) * (a + b) + a + a

        ta, tb = ag.Tensor(-2.0, requires_grad=True, name="a"), ag.Tensor(3.0, requires_grad=True, name="b")
        ex.compare_graphs(yours_twice, (ta * tb) * (ta + tb) + ta + ta, run="backward")
        """),
        md("""
        The same rule has a second consequence: gradients keep accumulating *across*
        backward passes too. glassgrad (like PyTorch) adds every backward's gradient to
        `.grad`, so a training loop must zero them before each step (`zero_grad`):
        """),
        code("""
        w = ag.Tensor(3.0, requires_grad=True)
        for k in range(3):
            (w * w).backward()
            print(f"after backward #{k + 1}: w.grad = {w.grad.item()}")
        assert w.grad.item() == 3 * 6.0
        w.grad = None                       # what optimizer.zero_grad() does
        (w * w).backward()
        assert w.grad.item() == 6.0
        """),
        md("""
        ## 7. Your engine vs glassgrad, node by node

        The whole neuron once more: on the left your engine against glassgrad (value and
        gradient of every node, ✘ where they differ, and where the error starts), on the
        right glassgrad's own step-by-step account of the same backward pass: each node,
        its upstream gradient, the local rule and the contribution it sends to each input.
        """),
        code("""
        side_by_side(ex.compare_graphs(neuron_yours, neuron_glassgrad(), run="backward"),
                     ag.explain(neuron_glassgrad()))
        """),
        md("""
        ## 8. More operations

        With `+`, `*` and `tanh` in place, every other op is one more small block: a
        forward and its local derivative.
        """),
        *exercise("00.7", "write", "x ** k", """
            Write `value_pow(self, k)` for a number `k` (not a `Value`): the forward
            `self.data ** k` and a `_backward` adding $k x^{k-1} \\cdot$ `out.grad`. The
            check differentiates $x^3 + 2x^{-1} + x^{0.5}$ at $x = 1.5$ through your
            `backward()`.
            """, '''
            def value_pow(self, k):
                """self ** k for a plain number k."""
                ...


            Value.__pow__ = value_pow
            ''', NAME),
        check("00.7", """
        def powers():
            x = Value(1.5, label="x")
            return x ** 3 + 2 * x ** -1 + x ** 0.5

        tx = ag.Tensor(1.5, requires_grad=True, name="x")
        ex.compare_graphs(powers, tx ** 3 + 2 * tx ** -1 + tx ** 0.5, run="backward", exercise="00.7")
        """),
        *exercise("00.8", "bug", "the backward of exp", """
            This `exp` has a bug in its `_backward`. Run the check, read where the
            gradients first go wrong, and fix it.
            """, EXP_TEMPLATE, NAME),
        check("00.8", """
        def exp_graph():
            a, b = Value(0.5, label="a"), Value(-1.5, label="b")
            return (a * b).exp() + a

        ta, tb = ag.Tensor(0.5, requires_grad=True, name="a"), ag.Tensor(-1.5, requires_grad=True, name="b")
        ex.compare_graphs(exp_graph, ag.exp(ta * tb) + ta, run="backward", exercise="00.8")
        """),
        md("""
        ## 9. The same engine, grown up: glassgrad

        glassgrad's `Tensor` is this engine generalised from scalars to
        NumPy arrays: each op is one block with its forward, its VJP (the array version of
        `_backward`) and a rule text; the walk uses a topological order without recursion;
        and you can watch it. `ag.backprop_steps` runs the engine's own backward one node at
        a time, in the order your `topo_sort` gives reversed:
        """),
        code("""
        o = neuron_glassgrad()
        steps = list(ag.backprop_steps(o, retain_graph=True))
        for st in steps:
            sends = ", ".join(f"{x.name}: {float(g):+.4f}" for x, g in zip(st.inputs, st.input_grads))
            print(f"step {st.index}: {st.node.name:12s} {st.op:5s} rule {st.rule:34s} sends {sends}")
        assert [st.op for st in steps] == ["tanh", "add", "add", "mul", "mul"]
        """),
        md("""
        The picture at step 1: `tanh` is done (green), `n`'s `add` (highlighted) is passing
        its upstream gradient 0.5 unchanged to both of its inputs (red edges).
        """),
        code("""
        steps[1].draw()
        """),
        md("""
        The player steps through all of them (it needs a live kernel; on a static page it
        shows as a widget placeholder):
        """),
        code("""
        ag.viz.play(neuron_glassgrad())
        """),
        md("""
        ## 10. Your code, unchanged, on glassgrad's `Value`

        glassgrad's `ag.Value` keeps micrograd's rules (a new Value tracks gradients, `.grad`
        is a number, every node keeps its gradient, `p.grad = 0` zeroes it), so the lines
        you would write for your engine run on it as they are. `lecture_code` below is
        such code: it only gets `Value` from outside. It runs first on **your** `Value`
        (once 00.4 and 00.5 are done), then on glassgrad's, with one step of gradient
        descent the way the lecture writes it:
        """),
        code("""
        def lecture_code(Value):
            \"\"\"micrograd-style code as a student writes it; only `Value` comes from outside.\"\"\"
            x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
            w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
            b = Value(6.8813735870195432, label="b")
            n = x1 * w1 + x2 * w2 + b; n.label = "n"
            o = n.tanh(); o.label = "o"
            o.backward()
            report = {v.label: (round(float(v.data), 4), round(float(v.grad), 4))
                      for v in (x1, x2, w1, w2, b, n, o)}
            return o, [w1, w2, b], report

        try:
            _, _, yours = lecture_code(Value)
            print("your Value:     ", yours)
        except ex.NotDone as err:
            print("your Value:      not done yet:", err)
        o_value, params, theirs = lecture_code(ag.Value)
        print("glassgrad Value:", theirs)
        print(o_value)
        assert theirs["w1"] == (-3.0, 1.0) and theirs["n"] == (0.8814, 0.5)
        """),
        md("""
        micrograd's `draw_dot(o)` is `ag.draw_dot(o)`: every node with its value (black)
        and gradient (red), left to right.
        """),
        code("""
        ag.draw_dot(o_value)
        """),
        md("""
        And the stepper works on it as on any glassgrad tensor (a Value keeps its graph,
        as micrograd does, so it can be walked again):
        """),
        code("""
        for st in ag.backprop_steps(o_value):
            print(f"step {st.index}: {st.op:5s} {st.rule}")
        """),
        md("""
        Training is the lecture's loop, as written there: step against the gradient,
        then zero it (`p.grad = 0`) before the next backward.
        """),
        code("""
        for k in range(3):
            for p in params:
                p.grad = 0
            o_value = (params[0] * 2.0 + params[1] * 0.0 + params[2]).tanh()
            o_value.backward()
            for p in params:
                p.data -= 0.5 * p.grad
            print(f"step {k}: o = {float(o_value.data):.4f}, w1 = {float(params[0].data):.4f}")
        """),
        md("""
        **What you built** is the core of every reverse-mode autodiff system: a recorded graph,
        local derivatives, a topological order, and accumulation with `+=`. The next
        notebooks use glassgrad's version of it on arrays (01: scalars and the course's
        backprop problems; 02: matrices), with `ag.Tensor` and PyTorch's rules; `ag.Value`
        stays the bridge for micrograd code (README: "Coming from micrograd").
        """),
    ]
