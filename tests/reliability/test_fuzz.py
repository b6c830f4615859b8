"""Hypothesis fuzzing of every public autograd function (policy in ``fuzzkit.py``).

CI runs a bounded, derandomized number of examples per function. A long campaign:

    GLASSGRAD_FUZZ_EXAMPLES=300 GLASSGRAD_FUZZ_RANDOM=1 \\
        python -m pytest tests/reliability/test_fuzz.py -q -s

prints the number of examples run, refused (clean error), computed and backpropagated.
"""
import math
import os
import sys
from collections import Counter

import numpy as np
import pytest
import scipy.special as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import functions as F

sys.path.insert(0, os.path.dirname(__file__))
import fuzzkit as fk  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

EXAMPLES = int(os.environ.get("GLASSGRAD_FUZZ_EXAMPLES", "30"))
RANDOM = bool(os.environ.get("GLASSGRAD_FUZZ_RANDOM"))
STATS = Counter()


# ------------------------------------------------------------- argument drawers
def one(data):
    return [fk.array(data)], {}


def two(data):
    sa, sb = fk.broadcast_pair(data)
    a = fk.array(data, sa)
    kind = data.draw(st.integers(0, 5), label="b kind")
    if kind == 0:
        return [a, data.draw(st.one_of(st.integers(-3, 3), st.sampled_from(
            [0.5, -2.0, 0.0, math.inf, math.nan])), label="scalar")], {}
    return [a, fk.array(data, sb)], {}


def reduce_args(data, ddof=False):
    x = fk.array(data)
    kw = {"axis": fk.axis(data, x.ndim), "keepdims": data.draw(st.booleans())}
    if ddof:
        kw["ddof"] = data.draw(st.integers(0, 2))
    return [x], kw


def one_axis(data):
    x = fk.array(data)
    return [x], {"axis": fk.axis(data, x.ndim, allow_tuple=False)}


def matmul_args(data):
    k = data.draw(st.integers(0, 3))
    lead = data.draw(fk.shapes(max_dims=1, min_side=1))
    sa = data.draw(st.sampled_from([(k,), (2, k), lead + (2, k)]))
    sb = data.draw(st.sampled_from([(k,), (k, 3), lead + (k, 3), (k + 1, 2)]))
    dtype = data.draw(st.sampled_from(fk.DTYPES))
    return [fk.array(data, sa, dtype), fk.array(data, sb, dtype)], {}


def reshape_args(data):
    x = fk.array(data)
    n = x.size
    good = [(n,), (1, n), (n, 1), (-1,), (1, -1)]
    if n % 2 == 0 and n:
        good += [(2, n // 2), (-1, 2)]
    shape = data.draw(st.one_of(st.sampled_from(good), fk.shapes()), label="target")
    return [x, shape], {}


def transpose_args(data):
    x = fk.array(data)
    axes = data.draw(st.one_of(st.permutations(range(x.ndim)).map(tuple),
                               st.lists(st.integers(-3, 3), max_size=3).map(tuple)))
    return [x, axes], {}


def two_axes(data):
    x = fk.array(data)
    return [x, fk.axis(data, x.ndim, False, False), fk.axis(data, x.ndim, False, False)], {}


def flatten_args(data):
    x = fk.array(data)
    return [x, fk.axis(data, x.ndim, False, False), fk.axis(data, x.ndim, False, False)], {}


def squeeze_args(data):
    x = fk.array(data, data.draw(st.lists(st.integers(0, 2), max_size=3).map(tuple)))
    return [x], {"axis": fk.axis(data, x.ndim)}


def unsqueeze_args(data):
    x = fk.array(data)
    return [x, data.draw(st.integers(-x.ndim - 2, x.ndim + 1))], {}


def broadcast_args(data):
    sa, sb = fk.broadcast_pair(data)
    target = sb
    if data.draw(st.booleans()):
        try:
            target = np.broadcast_shapes(sa, sb)
        except ValueError:
            pass
    return [fk.array(data, sa), tuple(target)], {}


def expand_args(data):
    x = fk.array(data)
    shape = list(data.draw(st.sampled_from([x.shape, (2,) + x.shape, (1,) + x.shape])))
    if shape and data.draw(st.booleans()):
        shape[-1] = -1
    return [x, tuple(shape)], {}


def expand_as_args(data):
    sa, sb = fk.broadcast_pair(data)
    return [fk.array(data, sa), fk.array(data, sb)], {}


def join_args(data):
    base = data.draw(fk.shapes(min_dims=1))
    dtype = data.draw(st.sampled_from(fk.DTYPES))
    n = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(n):
        shape = list(base)
        if data.draw(st.integers(0, 3)) == 0:
            shape = list(data.draw(fk.shapes()))
        elif shape:
            shape[0] = data.draw(st.integers(0, 3))
        arrays.append(fk.array(data, tuple(shape), dtype))
    return [arrays], {"axis": fk.axis(data, len(base), False, False)}


def stack_args(data):
    shape = data.draw(fk.shapes())
    dtype = data.draw(st.sampled_from(fk.DTYPES))
    arrays = [fk.array(data, shape if data.draw(st.integers(0, 4)) else None, dtype)
              for _ in range(data.draw(st.integers(1, 3)))]
    return [arrays], {"axis": data.draw(st.integers(-4, 3))}


def split_args(data):
    x = fk.array(data, data.draw(fk.shapes(min_dims=1)))
    sections = data.draw(st.one_of(st.integers(-1, 4), st.lists(st.integers(0, 4),
                                                                  max_size=3)))
    return [x, sections], {"axis": fk.axis(data, x.ndim, False, False)}


def pad_args(data):
    x = fk.array(data)
    width = data.draw(st.one_of(st.integers(-1, 2), st.tuples(st.integers(0, 2),
                                                                 st.integers(0, 2))))
    value = data.draw(st.sampled_from([0.0, 1.5, -math.inf, math.nan]))
    return [x, width], {"constant_values": value}


def getitem_args(data):
    x = fk.array(data)
    return [x, fk.index(data, x.shape)], {}


def setitem_args(data):
    x = fk.array(data)
    value = data.draw(st.one_of(st.floats(-3, 3), st.integers(-3, 3)))
    return [x, fk.index(data, x.shape), value], {}


def index_add_args(data):
    shape = data.draw(fk.shapes())
    idx = fk.index(data, shape)
    try:
        gshape = np.zeros(shape)[idx].shape
    except IndexError:
        gshape = shape
    return [fk.float_array(data, gshape), shape, idx], {}


def where_args(data):
    sa, sb = fk.broadcast_pair(data)
    cond = fk.array(data, sa, np.bool_)
    return [cond, fk.array(data, sa), fk.array(data, sb)], {}


def clip_args(data):
    x = fk.array(data)
    bound = st.one_of(st.none(), st.floats(-3, 3), st.integers(-2, 2))
    return [x], {"min": data.draw(bound), "max": data.draw(bound)}


def astype_args(data):
    return [fk.array(data), data.draw(st.sampled_from(fk.DTYPES))], {}


EINSUM = {"ij,jk->ik": [(2, 3), (3, 4)], "ii->i": [(3, 3)], "i,i->": [(3,), (3,)],
          "bij,bjk->bik": [(2, 2, 3), (2, 3, 1)], "...i->...": [(2, 3)], "ij->": [(2, 0)],
          "ij,kj": [(2, 3), (2, 3)], "i,j->ij": [(2,), (0,)]}


def einsum_args(data):
    spec = data.draw(st.sampled_from(sorted(EINSUM)))
    dtype = data.draw(st.sampled_from(fk.DTYPES))
    shapes = EINSUM[spec]
    if data.draw(st.integers(0, 5)) == 0:
        shapes = [data.draw(fk.shapes()) for _ in shapes]
    return [spec] + [fk.array(data, s, dtype) for s in shapes], {}


# --------------------------------------------------------------------- references
def _chunk(x, chunks, axis=0):
    n = x.shape[axis]
    size = max(-(-n // chunks), 1)
    return np.split(x, list(range(size, n, size)), axis)


def _squeeze(x, axis=None):
    """PyTorch's rule: axes that are not of length 1 are left alone."""
    if axis is None:
        return np.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % x.ndim if x.ndim else 0 for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    for a in axes:
        if not -max(x.ndim, 1) <= a < max(x.ndim, 1):
            raise ValueError("axis")
    keep = tuple(a for a in axes if x.ndim and x.shape[a] == 1)
    return np.squeeze(x, keep) if keep else x


def _flatten(x, start=0, end=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start % x.ndim, end % x.ndim
    if s > e or not (-x.ndim <= start < x.ndim and -x.ndim <= end < x.ndim):
        raise ValueError("flatten")
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _expand(x, shape):
    lead = len(shape) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if s == -1 else s
                                    for i, s in enumerate(shape)))


def _index_add(g, shape, index):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out


def _setitem(x, index, value):
    y = x.copy()
    y[index] = value
    return y


def _pad(x, width, constant_values):
    return np.pad(x, width, constant_values=constant_values)


def _minmax(fn):
    def ref(x, axis=None, keepdims=False):
        if x.size == 0:
            raise ValueError("empty")
        return fn(x, axis=axis, keepdims=keepdims)
    return ref


def _floats_in(ref):
    """Our rule: a float function given only integer/bool arrays computes in the default
    float dtype (mixed float/int arrays follow NumPy's promotion)."""
    def wrapped(*args, **kwargs):
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        if arrays and all(a.dtype.kind in "iub" for a in arrays):
            args = [a.astype(ag.get_default_dtype()) if isinstance(a, np.ndarray) else a
                    for a in args]
        return ref(*args, **kwargs)
    return wrapped


def _zero_d_axis(ref):
    """Our (PyTorch's) rule: axis 0 or -1 of a 0-d tensor means the whole tensor."""
    def wrapped(x, *args, axis=None, **kwargs):
        if x.ndim == 0 and axis is not None:
            axes = axis if isinstance(axis, tuple) else (axis,)
            if len(set(axes)) == len(axes) and all(a in (0, -1) for a in axes):
                axis = None
        return ref(x, *args, axis=axis, **kwargs)
    return wrapped


def _logsumexp(x, axis=None, keepdims=False):
    """SciPy's, with NumPy's keepdims shape for 0-d inputs."""
    if axis == ():
        return x                        # over no axes: log(exp(x)) = x
    if x.size == 0:                     # SciPy trips on empty inputs
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    out = sp.logsumexp(x, axis=axis, keepdims=keepdims)
    return np.reshape(out, np.sum(x, axis=axis, keepdims=keepdims).shape)


def _log_softmax(x, axis=None):
    """PyTorch's: a row holding +inf is all NaN (SciPy keeps -inf at the finite entries);
    ours follows PyTorch."""
    t = torch.from_numpy(np.array(x, copy=True))
    return torch.log_softmax(t, dim=0 if axis is None else axis).numpy()


def _swap(fn):
    def ref(x, a, b):
        if x.ndim == 0 and a in (0, -1) and b in (0, -1):
            return x
        return fn(x, a, b)
    return ref


# the argument drawers a declaration's Fuzz(args=...) names
DRAWERS = {"one": one, "two": two, "reduce": reduce_args, "one_axis": one_axis,
           "where": where_args, "clip": clip_args, "astype": astype_args}


def declared_specs():
    """name -> (public function, reference, drawer) for every op that declares a fuzz
    spec in its block, under each of its public names (aliases too)."""
    specs = {}
    for public_name, fn in ag.ops.PUBLIC.items():
        op = next((op for op in ag.ops.DECLARED.values() if op.public is fn), None)
        if op is None or op.fuzz is None:
            continue
        ref = op.fuzz.reference
        specs[public_name] = (fn, _floats_in(ref) if op.fuzz.floats_in else ref,
                              DRAWERS[op.fuzz.args])
    return specs


# name -> (our function, reference, argument drawer): the declared specs, then those of
# functions not yet declared in one block
SPECS = declared_specs()
SPECS.update({
    "sum": (F.sum, _zero_d_axis(np.sum), reduce_args),
    "mean": (F.mean, _zero_d_axis(_floats_in(np.mean)), reduce_args),
    "var": (F.var, _zero_d_axis(_floats_in(np.var)), lambda d: reduce_args(d, ddof=True)),
    "std": (F.std, _zero_d_axis(_floats_in(np.std)), lambda d: reduce_args(d, ddof=True)),
    "max": (F.max, _zero_d_axis(_minmax(np.max)), reduce_args),
    "min": (F.min, _zero_d_axis(_minmax(np.min)), reduce_args),
    "logsumexp": (F.logsumexp, _zero_d_axis(_floats_in(_logsumexp)), reduce_args),
    "softmax": (F.softmax, _zero_d_axis(_floats_in(sp.softmax)), one_axis),
    "log_softmax": (F.log_softmax, _zero_d_axis(_floats_in(_log_softmax)), one_axis),
    "argmax": (F.argmax, _zero_d_axis(np.argmax), reduce_args),
    "argmin": (F.argmin, _zero_d_axis(np.argmin), reduce_args),
    "any": (F.any, _zero_d_axis(np.any), reduce_args),
    "all": (F.all, _zero_d_axis(np.all), reduce_args),
    "matmul": (F.matmul, np.matmul, matmul_args),
    "einsum": (F.einsum, np.einsum, einsum_args),
    "reshape": (F.reshape, np.reshape, reshape_args),
    "transpose": (F.transpose, np.transpose, transpose_args),
    "permute": (F.permute, np.transpose, transpose_args),
    "swapaxes": (F.swapaxes, _swap(np.swapaxes), two_axes),
    "moveaxis": (F.moveaxis, _swap(np.moveaxis), two_axes),
    "flatten": (F.flatten, _flatten, flatten_args),
    "squeeze": (F.squeeze, _squeeze, squeeze_args),
    "unsqueeze": (F.unsqueeze, np.expand_dims, unsqueeze_args),
    "broadcast_to": (F.broadcast_to, np.broadcast_to, broadcast_args),
    "expand": (F.expand, _expand, expand_args),
    "expand_as": (F.expand_as, lambda a, b: np.broadcast_to(a, b.shape), expand_as_args),
    "concatenate": (F.concatenate, np.concatenate, join_args),
    "stack": (F.stack, np.stack, stack_args),
    "split": (F.split, np.split, split_args),
    "chunk": (F.chunk, _chunk, split_args),
    "pad": (F.pad, _pad, pad_args),
    "getitem": (F.getitem, lambda x, i: x[i], getitem_args),
    "setitem": (lambda x, i, v: _our_setitem(x, i, v), _setitem, setitem_args),
    "index_add": (F.index_add, _index_add, index_add_args),
})
ALIASES = {"amax": "max", "amin": "min", "cat": "concatenate",
           "view": "reshape", "expand_dims": "unsqueeze", "dot": "matmul"}
for _alias, _target in ALIASES.items():
    SPECS[_alias] = (getattr(F, _alias),) + SPECS[_target][1:]
WARN_OK = {"astype"}     # NaN/inf/out-of-range cast to int: NumPy warns, value undefined


def _our_setitem(x, index, value):
    t = ag.Tensor(x.data.copy())        # a plain tensor: assignment is allowed
    F.setitem(t, index, value)
    return t


def test_every_public_function_is_fuzzed():
    public = set(F.__all__) - {"as_tensor"}
    assert sorted(public - set(SPECS)) == []


def _settings():
    return settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None,
                    database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fuzz(name):
    fn, ref, draw = SPECS[name]
    stats = Counter()

    @_settings()
    @given(data=st.data())
    def run(data):
        args, kwargs = draw(data)
        stats["examples"] += 1
        if name in WARN_OK:
            with np.errstate(invalid="ignore", over="ignore"):
                fk.run_case(name, fn, ref, args, kwargs, stats)
        else:
            fk.run_case(name, fn, ref, args, kwargs, stats)

    run()
    fk.tally(STATS, stats, name)


def test_zz_report_campaign_numbers():
    """Runs last (file order): prints the totals of this session's fuzz run."""
    fk.report(STATS, "fuzz", "NumPy")
