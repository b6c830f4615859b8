"""nn.init (formulas, bounds, statistics, seeding) and Linear against PyTorch."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn_oracle import load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)),
                                      ("selu", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert nn.init.calculate_gain(nl, param) == pytest.approx(
        tnn.init.calculate_gain(nl, param), rel=1e-15)


def test_fans_match_torch():
    for shape in [(5, 3), (8, 4, 3, 3), (6, 2, 5)]:
        assert nn.init._calculate_fan_in_and_fan_out(ag.zeros(shape)) == \
            tnn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(ag.zeros(5))


def _stats(fn, shape=(400, 300), **kw):
    t = ag.zeros(shape)
    out = fn(t, **kw)
    assert out is t
    return t.data


def test_uniform_families_respect_their_bounds():
    fan_in, fan_out = 300, 400
    cases = [
        (nn.init.uniform_, dict(a=-0.3, b=0.7), -0.3, 0.7),
        (nn.init.xavier_uniform_, dict(gain=2.0), None, 2.0 * math.sqrt(6 / (fan_in + fan_out))),
        (nn.init.kaiming_uniform_, dict(a=math.sqrt(5)), None,
         math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(fan_in)),
        (nn.init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="relu"), None,
         math.sqrt(6 / fan_out)),
    ]
    for fn, kw, lo, hi in cases:
        lo = -hi if lo is None else lo
        d = _stats(fn, **kw)
        assert d.min() >= lo and d.max() <= hi
        assert d.min() < lo + 0.01 * (hi - lo) and d.max() > hi - 0.01 * (hi - lo)
        assert abs(d.mean() - (lo + hi) / 2) < 0.01 * (hi - lo)
        assert d.std() == pytest.approx((hi - lo) / math.sqrt(12), rel=0.02)


def test_normal_families_have_the_right_std():
    fan_in, fan_out = 300, 400
    for fn, kw, std in [
        (nn.init.normal_, dict(mean=1.0, std=0.5), 0.5),
        (nn.init.xavier_normal_, {}, math.sqrt(2 / (fan_in + fan_out))),
        (nn.init.kaiming_normal_, dict(nonlinearity="relu"), math.sqrt(2 / fan_in)),
        (nn.init.kaiming_normal_, dict(mode="fan_out", a=0.1), math.sqrt(2 / 1.01 / fan_out)),
    ]:
        d = _stats(fn, **kw)
        assert d.std() == pytest.approx(std, rel=0.02)
        assert abs(d.mean() - kw.get("mean", 0.0)) < 0.02 * std * 10


def test_constant_zeros_ones_eye_and_modes():
    t = ag.zeros((2, 3))
    assert np.all(nn.init.constant_(t, 2.5).data == 2.5)
    assert np.all(nn.init.ones_(t).data == 1) and np.all(nn.init.zeros_(t).data == 0)
    np.testing.assert_array_equal(nn.init.eye_(t).data, np.eye(2, 3))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        nn.init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


def test_init_works_on_parameters_in_place_without_graph():
    p = nn.Parameter(ag.zeros((3, 3)))
    nn.init.normal_(p)
    assert p.grad_fn is None and p.is_leaf and p.requires_grad


def test_manual_seed_makes_init_reproducible():
    ag.manual_seed(42)
    a = nn.Linear(5, 4).state_dict()
    b_t = nn.init.normal_(ag.zeros(3)).data.copy()
    ag.manual_seed(42)
    c = nn.Linear(5, 4).state_dict()
    d_t = nn.init.normal_(ag.zeros(3)).data
    for k in a:
        np.testing.assert_array_equal(a[k], c[k])
    np.testing.assert_array_equal(b_t, d_t)
    e = nn.Linear(5, 4).state_dict()
    assert not np.array_equal(e["weight"], a["weight"])


def test_linear_default_init_bounds_equal_torch():
    ag.manual_seed(0)
    m = nn.Linear(200, 300)
    bound = 1 / math.sqrt(200)
    for p in (m.weight, m.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.95 * bound
    assert m.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
def test_linear_matches_torch(bias, shape, rng):
    m, tm = nn.Linear(3, 4, bias=bias), tnn.Linear(3, 4, bias=bias).double()
    load_from_torch(m, tm)
    run_both(torch, m, tm, [rng.standard_normal(shape)])


def test_linear_shape_error_names_shapes():
    with pytest.raises(ValueError, match="linear.*\\(2, 5\\).*\\(4, 3\\)"):
        nn.Linear(3, 4)(ag.ones((2, 5)))
    with pytest.raises(ValueError, match="linear: weight must be 2-d.*\\(3,\\)"):
        nn.functional.linear(ag.ones((2, 3)), ag.ones(3))     # torch refuses it too


def test_bilinear_flatten_identity_match_torch(rng):
    m, tm = nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4).double()
    load_from_torch(m, tm)
    run_both(torch, m, tm, [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))])
    for ours, theirs in [(nn.Flatten(), tnn.Flatten()), (nn.Flatten(0, 1), tnn.Flatten(0, 1)),
                         (nn.Unflatten(1, (2, 3)), tnn.Unflatten(1, (2, 3))),
                         (nn.Identity(7, k=1), tnn.Identity(7, k=1))]:
        run_both(torch, ours, theirs, [rng.standard_normal((2, 6, 2))])


def test_init_signatures_equal_torch_and_generator_is_used():
    import inspect
    for name in nn.init.__all__:
        ours = list(inspect.signature(getattr(nn.init, name)).parameters)
        assert ours == list(inspect.signature(getattr(tnn.init, name)).parameters), name
    a = nn.init.normal_(ag.zeros(4), generator=np.random.default_rng(3)).data
    b = nn.init.normal_(ag.zeros(4), generator=np.random.default_rng(3)).data
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="Generator"):
        nn.init.uniform_(ag.zeros(2), generator=torch.Generator())


def test_trunc_normal_and_orthogonal():
    ag.manual_seed(0)
    t = nn.init.trunc_normal_(ag.zeros((200, 50)), std=1.0, a=-1.0, b=1.5).data
    assert t.min() >= -1.0 and t.max() <= 1.5
    q = nn.init.orthogonal_(ag.zeros((3, 5)), gain=2.0).data
    np.testing.assert_allclose(q @ q.T, 4.0 * np.eye(3), atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [
    ((4, 3), (2, 3), (2,)), ((2, 4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)),
    ((4, 3), (2, 3), None), ((4, 3), (2, 3), (1,))],
    ids=["2-d", "batch axes", "1-d input", "no bias", "broadcast bias"])
def test_functional_linear_values_grads_and_second_order_match_torch(x_shape, w_shape,
                                                                     b_shape, rng):
    """F.linear is one ``linear`` node; its gradients and their gradients equal torch's."""
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, b_shape) if s is not None]
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = nn.functional.linear(*ours)
    ty = tnn.functional.linear(*theirs)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert y.grad_fn.name == "linear"
    loss, tloss = (y * y).sum(), (ty * ty).sum()
    grads = ag.grad(loss, ours, create_graph=True)
    tgrads = torch.autograd.grad(tloss, theirs, create_graph=True)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12, atol=1e-12)
    second = ag.grad(sum((g * g).sum() for g in grads), ours)
    tsecond = torch.autograd.grad(sum((tg * tg).sum() for tg in tgrads), theirs)
    for g, tg in zip(second, tsecond):
        np.testing.assert_allclose(g.data, tg.numpy(), rtol=1e-10, atol=1e-10)
