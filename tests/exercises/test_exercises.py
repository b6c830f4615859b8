"""autograd.exercises: every check passes a right answer, rejects a wrong one with an
explanation, and says "not done yet" (never raises) for a template."""
import math
import shutil

import numpy as np
import pytest

import autograd as ag
from autograd import exercises as ex


@pytest.fixture(autouse=True)
def float64_and_student_mode():
    old = ag.get_default_dtype()
    ag.set_default_dtype(np.float64)
    ex.set_mode("student")
    yield
    ag.set_default_dtype(old)
    ex.set_mode("student")


def sigmoid_vjp(g, x):
    s = 1 / (1 + np.exp(-x))
    return g * s * (1 - s)


X3 = np.array([0.5, -1.0, 2.0])


# ----------------------------------------------------------------------------- check_vjp
def test_check_vjp_accepts_a_right_vjp_and_records_it():
    ex.reset_results()
    c = ex.check_vjp(sigmoid_vjp, ag.sigmoid, X3, exercise="t.1")
    assert c.ok and c.status == "passed" and bool(c)
    assert ex.results() == [{"exercise": "t.1", "title": c.title, "status": "passed"}]


def test_check_vjp_explains_a_constant_factor_and_names_the_element():
    c = ex.check_vjp(lambda g, x: 2 * sigmoid_vjp(g, x), "sigmoid", X3)
    assert c.status == "failed"
    text = str(c)
    assert "times 2" in text and "element [" in text and "should be" in text


def test_check_vjp_flags_a_sign_flip_a_transpose_and_a_missing_sum():
    flip = ex.check_vjp(lambda g, x: -sigmoid_vjp(g, x), ag.sigmoid, X3)
    assert "sign is flipped" in str(flip)
    W = np.arange(6.0).reshape(3, 2)
    tr = ex.check_vjp(lambda g, X, W_: (g @ W_.T, (X.T @ g).T), lambda X, W_: X @ W_,
                      np.ones((4, 3)), W)
    assert "transpose" in str(tr)
    col = ex.check_vjp(lambda g, b: g, lambda b: ag.broadcast_to(b, (4, 3)), np.ones((4, 1)))
    assert "broadcast axes" in str(col) and col.status == "failed"


def test_check_vjp_hints_at_a_mean_in_a_layer_backward():
    def affine(g, X, W, b):
        return g @ W.T, X.T @ g / 5, g.mean(0)
    rng = np.random.default_rng(0)
    c = ex.check_vjp(affine, lambda X, W, b: X @ W + b, rng.normal(size=(5, 3)),
                     rng.normal(size=(3, 2)), rng.normal(size=2), names=["X", "W", "b"])
    assert "divided by 5" in str(c) and "W:" in str(c) and "b:" in str(c)


def test_check_vjp_catches_a_vjp_that_writes_into_its_upstream_gradient():
    def relu_backward(dout, x):
        dx = dout
        dx[x < 0] = 0
        return dx
    c = ex.check_vjp(relu_backward, ag.relu, np.array([1.0, -2.0, 3.0]))
    assert c.status == "failed" and "in place" in str(c)


def test_templates_are_not_done_and_errors_are_reported_without_raising():
    def todo(g, x):
        ...
    assert ex.check_vjp(todo, ag.sigmoid, X3).status == "not done"

    def not_impl(g, x):
        raise NotImplementedError
    assert ex.check_vjp(not_impl, ag.sigmoid, X3).status == "not done"

    def broken(g, x):
        return g * undefined_name  # noqa: F821
    c = ex.check_vjp(broken, ag.sigmoid, X3)
    assert c.status == "error" and "NameError" in str(c) and "line" in str(c)
    assert ex.check_vjp(..., ag.sigmoid, X3).status == "not done"


def test_strict_mode_raises_on_anything_but_a_pass():
    ex.set_mode("strict")
    with pytest.raises(ex.ExerciseFailed, match="sign is flipped"):
        ex.check_vjp(lambda g, x: -sigmoid_vjp(g, x), ag.sigmoid, X3)
    assert ex.check_vjp(sigmoid_vjp, ag.sigmoid, X3).ok
    with pytest.raises(ValueError):
        ex.set_mode("lenient")


def test_failed_check_carries_a_picture_with_the_input_outlined():
    c = ex.check_vjp(lambda g, x: 0 * x, ag.sigmoid, X3)
    assert c.picture is not None
    assert 'color="#c62828" penwidth=4' in c.picture.source
    if shutil.which("dot"):
        assert "<svg" in c._repr_html_()
    assert "✘" in c._repr_html_()


def test_check_grad_and_check_op_with_a_custom_function():
    def grad_of_sum_of_squares(x):
        return 2 * x
    assert ex.check_grad(grad_of_sum_of_squares, lambda x: (x ** 2).sum(), X3).ok

    class Softplus(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g / (1 + np.exp(-x))

    class WrongBackward(Softplus):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * np.logaddexp(0, x)

    assert ex.check_op(Softplus.apply, ag.softplus, X3).ok
    bad = ex.check_op(WrongBackward.apply, ag.softplus, X3)
    assert bad.status == "failed" and "WrongBackward.apply" in bad.title


# ----------------------------------------------------------------------------- values
def test_check_value_numbers_dicts_shapes_strings_and_templates():
    assert ex.check_value(-16, -16.000003).ok
    c = ex.check_value({"a": 1, "b": 2}, {"a": 1.0, "b": -2.0})
    assert c.status == "failed" and "sign is flipped" in str(c) and "a = 1" in str(c)
    assert ex.check_value((4, 3), (4, 3)).ok
    assert ex.check_value(["mul", "add"], ["mul", "add"]).ok
    assert not ex.check_value(["add", "mul"], ["mul", "add"]).ok
    assert ex.check_value(..., 3.0).status == "not done"
    assert ex.check_value({"a": ..., "b": 2}, {"a": 1, "b": 2}).status == "not done"
    assert ex.check_value(ag.tensor([1.0, 2.0]), np.array([1.0, 2.0])).ok
    assert "factor 2" in str(ex.check_value(6.0, 3.0))


def test_check_function_runs_the_students_code_safely():
    assert ex.check_function(lambda x: x * 2, np.array([2.0, 4.0]), np.array([1.0, 2.0])).ok
    assert ex.check_function(lambda x: x * 3, lambda x: x * 2, np.array([1.0])).status == "failed"
    assert ex.check_function(lambda: 1 / 0, 1.0).status == "error"


def test_check_topological_order_on_glassgrad_tensors_and_on_a_student_graph():
    a = ag.Tensor(1.0, requires_grad=True)
    b = a * 2.0
    c = ag.tanh(b) + b
    good = [a, b, c.grad_fn.inputs[0], c]
    assert ex.check_topological_order(good, c).ok
    bad = ex.check_topological_order([c, b, a, c.grad_fn.inputs[0]], c)
    assert bad.status == "failed" and "must come before" in str(bad)
    missing = ex.check_topological_order([a, c], c)
    assert "missing" in str(missing)
    assert ex.check_topological_order(lambda root: None, c).status == "not done"


# ----------------------------------------------------------------------------- engines
class Value:
    """A micrograd-style value; ``accumulate=False`` reproduces the first draft's bug."""

    accumulate = True

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._backward = float(data), 0.0, lambda: None
        self._prev, self._op, self.label = tuple(children), op, label

    def _add_to(self, node, amount):
        node.grad = node.grad + amount if self.accumulate else amount

    def __add__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self._add_to(self, out.grad)
            self._add_to(other, out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self._add_to(self, other.data * out.grad)
            self._add_to(other, self.data * out.grad)
        out._backward = _backward
        return out

    def tanh(self, slope_bug=False):
        t = math.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self._add_to(self, ((1 - t) if slope_bug else (1 - t * t)) * out.grad)
        out._backward = _backward
        return out


class Draft(Value):
    accumulate = False


def neuron(cls, slope_bug=False):
    x, w, b = cls(2.0, label="x"), cls(-3.0, label="w"), cls(6.88, label="b")
    n = x * w + b
    n.label = "n"
    return n.tanh(slope_bug)


def neuron_ref():
    x, w, b = (ag.Tensor(v, requires_grad=True, name=k) for v, k in
               ((2.0, "x"), (-3.0, "w"), (6.88, "b")))
    n = x * w + b
    n.name = "n"
    return ag.tanh(n)


def test_compare_graphs_passes_a_right_engine_node_by_node():
    c = ex.compare_graphs(neuron(Value), neuron_ref(), run="closures")
    assert c.ok, str(c)
    assert len(c.table[1]) == 6


def test_compare_graphs_points_at_the_op_with_the_wrong_local_derivative():
    c = ex.compare_graphs(neuron(Value, slope_bug=True), neuron_ref(), run="closures")
    assert c.status == "failed"
    text = str(c)
    assert "goes wrong first at n" in text and "local derivative" in text and "tanh" in text


def test_compare_graphs_diagnoses_the_a_plus_a_accumulation_bug():
    a = Draft(3.0, label="a")
    ra = ag.Tensor(3.0, requires_grad=True, name="a")
    c = ex.compare_graphs(a + a, ra + ra, run="closures")
    assert c.status == "failed" and "+=" in str(c) and "used 2 times" in str(c)
    assert c.picture is not None and "glassgrad" in c.picture.source


def test_compare_graphs_not_done_and_builder_errors():
    class Todo(Value):
        def _add_to(self, node, amount):
            pass
    assert ex.compare_graphs(neuron(Todo), neuron_ref(), run="closures").status == "not done"

    def builder():
        return neuron(Value) * None
    c = ex.compare_graphs(builder, neuron_ref(), run="closures")
    assert c.status in ("not done", "error") and "NoneType" in str(c)

    class NoTopo(Value):
        def backward(self):
            raise ex.NotDone("topo_sort is not written yet")
    assert ex.compare_graphs(neuron(NoTopo), neuron_ref(), run="backward").status == "not done"


def test_draw_values_gives_dot_without_running_graphviz():
    g = ex.draw_values(neuron(Value))
    assert g.source.startswith("digraph") and "tanh" in g.source and "->" in g.source
