"""``where`` selects bits instead of branching for large float results: it must give
np.where's result bit for bit (NaN payloads, signed zeros, infinities, broadcasting)."""
import numpy as np
import pytest

import autograd as ag

P = ag.ops


def _special(rng, shape, dtype):
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    flat[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).tiny]
    return a


def _cases(rng, dtype):
    x = _special(rng, (128, 64), dtype)
    y = _special(rng, (128, 64), dtype)[::-1]
    c = rng.random((128, 64)) < 0.5
    return [
        (c, x, 0), (c, 0, x), (c, x, y), (c, x, 0.5), (c, -0.0, y),     # the special forms
        (c[:1], x, y), (c[:, :1], 0, y), (c, x[:1], 0), (c, x[:, :1], y[:1]),   # broadcasting
        (np.bool_(True), x, y), (np.bool_(False), x, 0),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_is_bit_identical_to_numpy_for_large_float_results(dtype):
    rng = np.random.default_rng(0)
    for condition, a, b in _cases(rng, dtype):
        got, want = P.where(condition, a, b), np.where(condition, a, b)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert got.tobytes() == want.tobytes(), (np.shape(condition), np.shape(a), np.shape(b))


def test_relu_gradient_on_a_large_batch_is_numpys_select():
    rng = np.random.default_rng(1)
    x = _special(rng, (128, 256), np.float32)
    g = rng.standard_normal((128, 256)).astype(np.float32)
    g.reshape(-1)[6:9] = [np.inf, np.nan, -np.inf]
    t = ag.Tensor(x, requires_grad=True)
    ag.relu(t).backward(g)
    out = np.maximum(x, 0)
    assert t.grad.data.tobytes() == np.where(out <= 0, 0, g).astype(np.float32).tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_gradient_of_numpy_scalars_is_the_select_as_a_scalar(dtype):
    # a 0-d graph's values are NumPy scalars: relu's VJP selects in Python and returns a
    # scalar (np.where's 0-d array would make every later scalar VJP take NumPy's slow
    # array path), with np.where's bits: g where out > 0 or out is NaN, else +0.0
    vjp = P.REGISTRY["relu"].vjps[0]
    values = [np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -2.0]
    for x in np.array(values, dtype):
        out = np.maximum(x, dtype(0))
        for g in np.array([1.5, -0.0, np.inf, np.nan], dtype):
            got, want = vjp(g, out, x), np.where(out <= 0, 0, g)
            assert type(got) is type(g)
            assert got.tobytes() == want.tobytes(), (x, g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_of_numpy_scalars_is_np_maximum_bit_for_bit(dtype):
    values = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -2.0, 5e-324, -5e-324]
    forward = P.REGISTRY["relu"].forward
    for x in np.array(values, dtype):
        got, want = forward(x), np.maximum(x, 0)
        assert type(got) is type(want) and got.tobytes() == want.tobytes(), x
        assert ag.relu(ag.Tensor(x)).data.tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (128, 256), (64, 64)])
def test_relu_vjp_on_arrays_is_numpys_select_bit_for_bit(dtype, shape):
    # the array path multiplies g's bits by out != 0 as integers: every special input
    # (NaN of either sign, which relu passes on, ±0, ±inf) and special upstream value
    # (an infinite g must not become inf * 0 = NaN, a -0.0 or negative g where out is 0
    # must give +0.0) gives np.where's bits; g may be a strided or broadcast view
    vjp = P.REGISTRY["relu"].vjps[0]
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[:3] = [-np.nan, np.nan, -0.0]
    out = np.maximum(x, 0)
    g = rng.standard_normal(shape).astype(dtype)
    g.reshape(-1)[:3] = [np.inf, -np.inf, np.nan]
    g.reshape(-1)[-4:] = [-0.0, -np.inf, np.inf, -np.nan]
    views = [g, np.broadcast_to(g[..., :1], shape), np.asfortranarray(g)]
    for gv in views:
        got, want = vjp(gv, out, x), np.where(out <= 0, 0, gv)
        assert type(got) is np.ndarray and got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()
    got = vjp(np.array(-2.0, dtype), np.array(0.0, dtype), np.array(-1.0, dtype))
    assert type(got) is np.ndarray and got.shape == () and got.tobytes() == \
        np.zeros((), dtype).tobytes()
