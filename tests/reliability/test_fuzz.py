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


# ----------------------------------------------- the test's rules around a reference
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


# the argument drawers a declaration's Fuzz(args=...) names
DRAWERS = {"one": one, "two": two, "reduce": reduce_args,
           "reduce_ddof": lambda d: reduce_args(d, ddof=True), "one_axis": one_axis,
           "where": where_args, "clip": clip_args, "astype": astype_args,
           "matmul": matmul_args, "einsum": einsum_args, "reshape": reshape_args,
           "transpose": transpose_args, "two_axes": two_axes, "squeeze": squeeze_args,
           "unsqueeze": unsqueeze_args, "broadcast": broadcast_args, "expand": expand_args,
           "expand_as": expand_as_args, "join": join_args, "stack": stack_args,
           "split": split_args, "pad": pad_args, "getitem": getitem_args,
           "index_add": index_add_args}


def declared_specs():
    """name -> (public function, reference, drawer) for every op that declares a fuzz
    spec in its block, under each of its public names (aliases too)."""
    specs = {}
    for public_name, fn in ag.ops.PUBLIC.items():
        op = next((op for op in ag.ops.DECLARED.values() if op.public is fn), None)
        if op is None or op.fuzz is None:
            continue
        ref = op.fuzz.reference
        ref = _floats_in(ref) if op.fuzz.floats_in else ref
        ref = _zero_d_axis(ref) if op.fuzz.zero_d_axis else ref
        specs[public_name] = (fn, ref, DRAWERS[op.fuzz.args])
    return specs


WARN_OK = {"astype"}     # NaN/inf/out-of-range cast to int: NumPy warns, value undefined


def _setitem(x, index, value):
    """NumPy's item assignment, on a copy."""
    y = x.copy()
    y[index] = value
    return y


def _our_setitem(x, index, value):
    t = ag.Tensor(x.data.copy())        # a plain tensor: assignment is allowed
    F.setitem(t, index, value)
    return t


# name -> (our function, reference, argument drawer): every op declares its spec in its
# block but setitem, whose public function writes into its argument (fuzzed on a copy)
SPECS = declared_specs()
SPECS["setitem"] = (lambda x, i, v: _our_setitem(x, i, v), _setitem, setitem_args)


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
