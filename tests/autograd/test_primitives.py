"""Every registered primitive is gradchecked in float64, first and second order.

Cases are declared with each op (``cases=`` in its ``defprimitive``/``defcomposite``
block, see docs/architecture.md); a primitive without cases fails. Composite ops that
declare cases are checked too.
"""
import numpy as np
import pytest

import autograd as ag


def _all_cases():
    """The cases each op declares (``cases=`` in its block), by op name."""
    cases = {}
    for name, op in list(ag.PRIMITIVES.items()) + list(ag.ops.DECLARED.items()):
        if op.cases:
            cases.setdefault(name, list(op.cases))
    return cases


CASES = _all_cases()
PARAMS = [pytest.param(name, i, id=f"{name}-{i}-{case!r}")
          for name, items in sorted(CASES.items()) for i, case in enumerate(items)]


def test_every_primitive_has_cases():
    missing = sorted(set(ag.PRIMITIVES) - set(CASES))
    assert not missing, f"primitives without gradcheck cases: {missing}"
    unknown = sorted(set(CASES) - set(ag.PRIMITIVES) - set(ag.ops.DECLARED))
    assert not unknown, f"cases for primitives that are not registered: {unknown}"


def test_every_primitive_has_a_rule_and_a_vjp_per_input():
    for name, prim in ag.PRIMITIVES.items():
        assert prim.rules and all(isinstance(r, str) and r for r in prim.rules), name
        assert prim.vjps, name


def _inputs(case, seed):
    rng = np.random.default_rng(seed)
    return [ag.Tensor(a, requires_grad=True) for a in case.arrays(rng)]


@pytest.mark.parametrize("name,i", PARAMS)
def test_first_order(name, i):
    case = CASES[name][i]
    assert ag.gradcheck(case.fn, _inputs(case, 1000 + i))


@pytest.mark.parametrize("name,i", PARAMS)
def test_second_order(name, i):
    case = CASES[name][i]
    assert ag.gradgradcheck(case.fn, _inputs(case, 2000 + i))


def test_gradcheck_catches_a_wrong_vjp():
    wrong = ag.ops.registry.Primitive(
        "wrong_square", np.square, vjps=(lambda g, out, x: g * x,), rules=("wrong",))
    x = ag.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(ag.GradcheckError, match=r"input 0 .*element \(2,\)"):
        ag.gradcheck(lambda t: wrong(t), [x])


def test_gradgradcheck_catches_a_vjp_that_is_not_differentiable():
    # first derivative right (2x) but built from the array, cutting the graph
    frozen = ag.ops.registry.Primitive(
        "frozen_square", np.square,
        vjps=(lambda g, out, x: g * 2 * np.asarray(x.data if hasattr(x, "data") else x),),
        rules=("frozen",))
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert ag.gradcheck(lambda t: frozen(t), [x])
    with pytest.raises(ag.GradcheckError):
        ag.gradgradcheck(lambda t: frozen(t), [x])
