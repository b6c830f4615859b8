"""The public extension API, used from outside the package as a user would: an op
declared in one block is a public function, a Tensor method, gradchecked (first and
second order), fuzzed, drawn, explained and stepped like a built-in one."""
import os
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

TESTS = os.path.dirname(os.path.dirname(__file__))
sys.path.insert(0, os.path.join(TESTS, "reliability"))
sys.path.insert(0, os.path.join(TESTS, "autograd"))


def declare_softsign():
    """The whole op: one block (the same one docs/architecture.md shows)."""
    return ag.defprimitive(
        "softsign", lambda x: x / (1 + np.abs(x)),
        vjps=(lambda g, out, x: g * (1 - abs(out)) ** 2,),     # 1/(1+|x|)² = (1-|out|)²
        rules=("d softsign(x)/dx = 1/(1+|x|)²",),
        coerce=ag.ops.coerce.float_unary, method=True,
        cases=[ag.Case((2, 3))],
        fuzz=ag.Fuzz(lambda x: x / (1 + np.abs(x)), floats_in=True))


@pytest.fixture
def softsign():
    op = declare_softsign()
    yield op
    ag.undeclare("softsign")
    assert not hasattr(ag.Tensor, "softsign") and "softsign" not in ag.PRIMITIVES


def test_public_function_and_tensor_method(softsign):
    x = ag.tensor([-3.0, 0.0, 1.0], requires_grad=True)
    np.testing.assert_allclose(ag.softsign(x).data, [-0.75, 0.0, 0.5])
    np.testing.assert_allclose(x.softsign().data, [-0.75, 0.0, 0.5])
    assert ag.softsign([1, 3]).data.dtype == ag.get_default_dtype()   # ints become floats
    x.softsign().sum().backward()
    np.testing.assert_allclose(x.grad.data, [1 / 16, 1.0, 0.25])


def test_registry_driven_gradcheck_picks_it_up(softsign):
    import test_primitives
    cases = test_primitives._all_cases()["softsign"]
    assert len(cases) == 1
    rng = np.random.default_rng(0)
    xs = [ag.Tensor(a, requires_grad=True) for a in cases[0].arrays(rng)]
    assert ag.gradcheck(cases[0].fn, xs)
    assert ag.gradgradcheck(cases[0].fn, xs)


def test_registry_driven_fuzz_picks_it_up(softsign):
    import fuzzkit as fk
    import test_fuzz
    fn, ref, draw = test_fuzz.declared_specs()["softsign"]
    assert fn is ag.softsign
    stats = Counter()

    @settings(max_examples=30, derandomize=True, deadline=None, database=None)
    @given(data=st.data())
    def run(data):
        args, kwargs = draw(data)
        stats["examples"] += 1
        with np.errstate(over="ignore", invalid="ignore"):
            fk.run_case("softsign", fn, ref, args, kwargs, stats)

    run()
    assert stats["examples"] == 30 and stats["computed"] > 0


def test_drawn_explained_and_stepped_like_a_builtin(softsign):
    x = ag.Tensor([0.5, -2.0], requires_grad=True, name="x")
    loss = (x.softsign() * 2).sum()
    assert "softsign" in ag.to_dot(loss)
    assert "d softsign(x)/dx = 1/(1+|x|)²" in str(ag.explain(loss))
    steps = list(ag.backprop_steps(loss))
    assert [s.op for s in steps] == ["sum", "mul", "softsign"]
    np.testing.assert_allclose(steps[-1].input_grads[0], 2 / (1 + np.abs(x.data)) ** 2,
                               rtol=1e-6)


def test_a_second_declaration_of_a_name_is_refused(softsign):
    with pytest.raises(ValueError, match="already registered"):
        declare_softsign()
    with pytest.raises(ValueError, match="Tensor already has an attribute 'exp'"):
        ag.defcomposite("exp_again", method="exp")(lambda x: ag.exp(x))
    assert "exp_again" not in ag.ops.PUBLIC           # nothing of a refused declaration


def test_a_custom_function_is_drawn_explained_and_stepped():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = Cube.apply(x).sum()
    assert "Cube" in ag.to_dot(loss)
    assert "Cube.backward" in str(ag.explain(loss))
    assert [s.op for s in ag.backprop_steps(loss)] == ["sum", "Cube"]
    assert ag.gradgradcheck(lambda t: Cube.apply(t), [ag.tensor([0.5, -1.0],
                                                                 dtype=np.float64,
                                                                 requires_grad=True)])
