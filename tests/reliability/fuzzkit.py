"""The fuzz harness: strategies for awkward inputs and the checks every call must pass.

(Gradient *values* are not checked here, only their shapes and dtypes: that is the job
of the gradient oracle, ``fuzz_oracle.py``, which compares values, first- and
second-order gradients and gradient storage with PyTorch at edge values and views.)

Inputs: shapes with 0 to 3 axes of length 0 to 3 (so empty and 0-d tensors appear),
dtypes float32/float64/int64/bool, values mixing ordinary numbers with 0, -0, ±inf,
NaN, tiny and huge ones, Python scalars as second operands, and parameters (axes,
indices, shapes) that are sometimes invalid on purpose.

Every call must either
* raise ValueError/TypeError/RuntimeError/IndexError whose message starts by naming
  something ("op: ...") — anything else (AttributeError, ZeroDivisionError, a bare
  NumPy message) counts as a crash deep inside; or
* return the NumPy/SciPy reference's values (compared at our output dtype), and then
  backpropagate, giving every float input a gradient of exactly its shape and dtype.

Warnings policy (the test runs with warnings as errors outside the recorder): a NumPy
RuntimeWarning (divide by zero, overflow, invalid value) is legitimate only when the
result it comes with has a NaN or an infinity: the value is the IEEE answer (log(0) is
-inf, 1/0 is inf, exp(1000) is inf, inf-inf is NaN) and the warning is NumPy telling
the truth about it. A warning next to an all-finite result means an internal
computation overflowed or divided by zero and the result was masked afterwards: a
leak, reported as a failure. Any other warning category always fails. One tolerance:
in a backward where some input is empty, a warning may come from a 0-d factor that is
then broadcast against nothing (d(a**b)/db = a**b log(a) with a = -1 and b empty); the
gradients have no values that could be wrong, so such warnings are not failures. And in
a backward where some input is ±inf, the chain rule multiplies that infinity by a local
derivative of 0 (d gelu(x)/dx at x = inf: x * sech²(...) = inf * 0) and then masks the
NaN; the gradient returned there is the limit, PyTorch returns NaN, and NumPy's
warning is tolerated.
"""
import re
import warnings

import numpy as np
from hypothesis import strategies as st

import autograd as ag

DTYPES = (np.float32, np.float64, np.int64, np.bool_)
CLEAN = (ValueError, TypeError, RuntimeError, IndexError)
SPECIAL = {
    np.float32: [0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, 1e-45, 1e30, -1e30, 3e38, np.inf,
                 -np.inf, np.nan],
    np.float64: [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 5e-324, 1e300, -1e300, 1.7e308, np.inf,
                 -np.inf, np.nan],
}


class Found(AssertionError):
    """A fuzz failure, with what was called."""


# ------------------------------------------------------------------ strategies
def shapes(min_dims=0, max_dims=3, min_side=0):
    return st.lists(st.integers(min_side, 3), min_size=min_dims, max_size=max_dims).map(tuple)


def elements(dtype):
    dtype = np.dtype(dtype).type
    if dtype is np.bool_:
        return st.booleans()
    if dtype is np.int64:
        return st.one_of(st.integers(-3, 3), st.integers(-(2 ** 63), 2 ** 63 - 1))
    width = 32 if dtype is np.float32 else 64
    return st.one_of(st.floats(-4, 4, width=width), st.sampled_from(SPECIAL[dtype]),
                     st.floats(width=width))


def array(data, shape=None, dtype=None, dtypes=DTYPES):
    """Draw an array (or use the given shape/dtype)."""
    if dtype is None:
        dtype = data.draw(st.sampled_from(dtypes), label="dtype")
    if shape is None:
        shape = data.draw(shapes(), label="shape")
    size = int(np.prod(shape))
    flat = data.draw(st.lists(elements(dtype), min_size=size, max_size=size), label="values")
    return np.array(flat, dtype=dtype).reshape(shape)


def float_array(data, shape=None):
    return array(data, shape, dtypes=(np.float32, np.float64))


def axis(data, ndim, allow_tuple=True, allow_none=True):
    """A valid axis most of the time; sometimes out of range or repeated."""
    choices = [st.integers(-max(ndim, 1), max(ndim, 1) - 1), st.integers(-5, 5)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple and ndim:
        choices.append(st.lists(st.integers(-ndim, ndim - 1), max_size=ndim).map(tuple))
    return data.draw(st.one_of(*choices), label="axis")


def broadcast_pair(data):
    """Two shapes that broadcast (mostly) or not (sometimes)."""
    if data.draw(st.integers(0, 4), label="mismatch") == 0:
        return data.draw(shapes(), label="a"), data.draw(shapes(), label="b")
    from hypothesis.extra.numpy import mutually_broadcastable_shapes
    got = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return got.input_shapes


def index(data, shape):
    """A basic or advanced index for ``shape`` (sometimes out of bounds)."""
    from hypothesis.extra.numpy import basic_indices, integer_array_indices
    kinds = [basic_indices(shape, allow_newaxis=True, allow_ellipsis=True),
             st.integers(-4, 4)]
    if shape and all(shape):
        kinds.append(integer_array_indices(shape))
        kinds.append(st.just(np.ones(shape[:1], dtype=bool)))
    return data.draw(st.one_of(*kinds), label="index")


# ---------------------------------------------------------------------- checks
def to_tensors(args):
    """Arrays become Tensors (float ones require grad); lists are converted inside."""
    leaves = []

    def conv(a):
        if isinstance(a, np.ndarray):
            t = ag.Tensor(a.copy(), requires_grad=a.dtype.kind == "f")
            if t.requires_grad:
                leaves.append(t)
            return t
        if isinstance(a, list):
            return [conv(x) for x in a]
        return a
    return [conv(a) for a in args], leaves


def _outputs(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _non_finite(arrays):
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind in "fc" and a.size and not np.isfinite(a).all():
            return True
    return False


def _check_warnings(caught, values, where, call, allowed=None):
    for w in caught:
        if allowed and re.search(allowed, str(w.message)):
            continue
        if not issubclass(w.category, RuntimeWarning):
            raise Found(f"{call}: {where} emitted {w.category.__name__}: {w.message}")
        if not _non_finite(values):
            raise Found(f"{call}: {where} leaked a RuntimeWarning ({w.message}) although "
                        "every value it produced is finite")


def _check_clean(err, call):
    msg = str(err)
    if not isinstance(err, CLEAN):
        raise Found(f"{call}: crashed with {type(err).__name__}: {msg}") from err
    head = msg.split(":", 1)[0]
    if ":" not in msg or not head or len(head) > 60 or "\n" in head:
        raise Found(f"{call}: {type(err).__name__} without an 'op: ...' message: {msg!r}") \
            from err


def compare(out, ref, call, atol_floor=0.0):
    """Our output Tensor against the reference array (at our dtype)."""
    ref = np.asarray(ref)
    if out.shape != ref.shape:
        raise Found(f"{call}: shape {out.shape}, NumPy gives {ref.shape}")
    ours = out.data
    if ours.dtype.kind == "b" or ref.dtype.kind == "b":
        if not np.array_equal(ours.astype(bool), ref.astype(bool)):
            raise Found(f"{call}: {ours} != reference {ref}")
        return
    with np.errstate(all="ignore"):
        expected = ref.astype(ours.dtype) if ours.dtype.kind == "f" else ref
    if ours.dtype.kind in "iu" and ref.dtype.kind in "iu":
        if not np.array_equal(ours, ref):
            raise Found(f"{call}: {ours} != reference {ref}")
        return
    ours = ours.astype(np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    rtol = 2e-3 if out.dtype == np.float32 else 1e-9
    same_special = (np.isnan(ours) == np.isnan(expected)) & (
        np.isinf(ours) == np.isinf(expected))
    finite = np.isfinite(ours) & np.isfinite(expected)
    scale = np.abs(expected[finite]).max() if finite.any() else 1.0
    # relative to the largest value, with an absolute floor: elu(-1e-13) may be 0
    # instead of -1e-13 (exp(x) - 1 vs expm1), layer_norm of a constant row 7e-14
    # instead of 0 (a rounding of the mean divided by sqrt(eps))
    atol = rtol * max(scale, 1e-30) + max(16 * np.finfo(out.dtype).eps, 1e-12, atol_floor)
    close = np.zeros(ours.shape, dtype=bool)
    with np.errstate(all="ignore"):
        close[finite] = np.abs(ours[finite] - expected[finite]) <= atol + rtol * np.abs(
            expected[finite])
    close |= same_special & ~finite & ((ours == expected) | np.isnan(ours))
    # Near the overflow threshold the order of a sum decides between a huge finite
    # value and inf (BLAS vs PyTorch): same sign, both beyond 1% of the max, is a match.
    edge = 0.01 * np.finfo(out.dtype).max
    close |= (np.abs(ours) >= edge) & (np.abs(expected) >= edge) & (
        np.sign(ours) == np.sign(expected))
    if not close.all():
        bad = tuple(np.argwhere(~close)[0])
        raise Found(f"{call}: at {bad} got {ours[bad]!r}, reference {expected[bad]!r}")


def describe(name, args, kwargs):
    def d(a):
        if isinstance(a, np.ndarray):
            return f"array({a.tolist()!r}, {a.dtype})" if a.size <= 6 else \
                f"<{a.dtype} {a.shape}>"
        if isinstance(a, list):
            return "[" + ", ".join(d(x) for x in a) + "]"
        return repr(a)
    parts = [d(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def run_case(name, fn, ref, args, kwargs, stats, allowed=None, atol=0.0):
    """Call ``fn`` on tensors, check against ``ref`` on arrays; count outcomes.

    ``allowed``: a regex of warning messages that are intended (not leaks); ``atol``:
    an absolute tolerance floor for functions that amplify rounding."""
    call = describe(name, args, kwargs)
    tensors, leaves = to_tensors(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*tensors, **kwargs)
        except Exception as err:        # noqa: BLE001 - classified below
            _check_clean(err, call)
            stats["refused"] += 1
            return
    outs = _outputs(result)
    _check_warnings(caught, [o.data for o in outs], "forward", call, allowed)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = ref(*args, **kwargs)
        except Exception as err:        # noqa: BLE001
            raise Found(f"{call}: we returned a result where NumPy raises "
                        f"{type(err).__name__}: {err}") from err
    expected = _outputs(expected)
    if len(expected) != len(outs):
        raise Found(f"{call}: {len(outs)} outputs, reference has {len(expected)}")
    for o, e in zip(outs, expected):
        compare(o, e, call, atol)
    stats["computed"] += 1
    _check_backward(outs, leaves, call, stats)


def _check_backward(outs, leaves, call, stats):
    differentiable = [o for o in outs if o.requires_grad]
    if not differentiable:
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for o in differentiable:
                o.backward(np.ones(o.shape, dtype=o.dtype), retain_graph=True)
        except Exception as err:        # noqa: BLE001
            raise Found(f"{call}: backward failed with {type(err).__name__}: {err}") from err
    grads = [x.grad.data for x in leaves if x.grad is not None]
    if all(x.size and not np.isinf(x.data).any() for x in leaves):   # the two tolerances
        _check_warnings(caught, grads, "backward", call)
    for x in leaves:
        if x.grad is not None and (x.grad.shape != x.shape or x.grad.dtype != x.dtype):
            raise Found(f"{call}: gradient of shape {x.grad.shape} {x.grad.dtype} for an "
                        f"input of shape {x.shape} {x.dtype}")
    stats["backward"] += 1


def tally(totals, stats, name):
    """Add one function's counts to the session totals; it must have computed something."""
    totals.update(stats)
    totals["functions"] += 1
    assert stats["computed"] > 0, f"{name}: no example was computed ({dict(stats)})"


def report(totals, label, reference):
    """Print the session's totals (the numbers quoted for a long campaign)."""
    if totals["functions"]:
        print(f"\n{label}: {totals['functions']} functions, {totals['examples']} examples: "
              f"{totals['refused']} refused cleanly, {totals['computed']} computed and "
              f"matched {reference}, {totals['backward']} backpropagated")
