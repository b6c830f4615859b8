"""What the gradient oracle (``fuzz_oracle``) fuzzes: our function, PyTorch's, a drawer.

A drawer takes hypothesis ``data`` and returns ``(Inputs, kwargs, torch_kwargs)``
(``torch_kwargs`` None: the same). Domain edges beyond the shared ones (0, ±1, ±inf,
NaN, ties) are given per function: the points where it is defined piecewise or where
its derivative has a limit (pow's exponent 0, BCE's probabilities 0 and 1).
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import autograd as ag
import nn.functional as NF

import fuzz_oracle as fo


# ------------------------------------------------------------------------ drawers
def unary(domain=(), **fixed):
    def draw(data):
        x = fo.values(data, fo.shape(data), fo.float_dtype(data), domain)
        return fo.inputs(data, [x]), dict(fixed), None
    return draw


def binary(domain=(), scalar_ok=True):
    """Two operands of every broadcasting pattern; sometimes mixed dtypes or a scalar."""
    def draw(data):
        sa, sb = fo.broadcast_shapes(data)
        da = fo.float_dtype(data)
        kind = data.draw(st.integers(0, 7), label="b kind")
        a = fo.values(data, sa, da, domain)
        if kind == 0 and scalar_ok:
            b = data.draw(st.sampled_from([0.0, 1.0, -1.0, 2.0, 0.5, 0, 2]), label="scalar")
        elif kind == 1:
            b = fo.values(data, sb, np.float32 if da == np.float64 else np.float64, domain)
        elif kind == 2:
            b = np.asarray(data.draw(st.lists(st.integers(-2, 2), min_size=int(np.prod(sb)),
                                              max_size=int(np.prod(sb)))),
                           dtype=np.int64).reshape(sb)
        else:
            b = fo.values(data, sb, da, domain)
        if data.draw(st.booleans(), label="swap") and not np.isscalar(b):
            a, b = b, a
        return fo.inputs(data, [a, b]), {}, None
    return draw


def reduce(ddof=False, tuple_ok=True, none_ok=True):
    def draw(data):
        x = fo.values(data, fo.shape(data, big=False), fo.float_dtype(data))
        choices = [st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)]
        if none_ok:
            choices.append(st.none())
        if tuple_ok and x.ndim:
            # not (): NumPy reduces over no axes, PyTorch over all of them
            choices.append(st.lists(st.integers(0, x.ndim - 1), unique=True, min_size=1,
                                    max_size=x.ndim).map(tuple))
        axis = data.draw(st.one_of(*choices), label="axis")
        kw = {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}
        tkw = {"dim": _dim(axis, x.ndim), "keepdim": kw["keepdims"]}
        if ddof:
            # below the count: with ddof >= n the value is inf/NaN in both, and PyTorch's
            # gradient 2/(n - ddof) (x - mean) is finite, even negative (not compared)
            n = x.size if axis is None else int(np.prod([x.shape[a] for a in (
                axis if isinstance(axis, tuple) else (axis,))])) if x.ndim else 1
            kw["ddof"] = tkw["correction"] = data.draw(st.integers(0, max(0, min(2, n - 1))),
                                                        label="ddof")
        return fo.inputs(data, [x]), kw, tkw
    return draw


def _dim(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis


def one_dim(data):
    x = fo.values(data, fo.shape(data, big=False), fo.float_dtype(data))
    axis = data.draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1), label="axis")
    return fo.inputs(data, [x]), {"axis": axis}, {"dim": axis}


def where_draw(data):
    sc, sa, sb = fo.broadcast_shapes(data, 3)
    dt = fo.float_dtype(data)
    cond = np.asarray(data.draw(st.lists(st.booleans(), min_size=int(np.prod(sc)),
                                         max_size=int(np.prod(sc)))), bool).reshape(sc)
    if data.draw(st.integers(0, 5), label="big where") == 0:
        sc = sa = sb = (fo.BIG,)
        rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
        cond = rng.random(fo.BIG) < 0.5
    return fo.inputs(data, [cond, fo.values(data, sa, dt), fo.values(data, sb, dt)]), {}, None


def clip_draw(data):
    x = fo.values(data, fo.shape(data), fo.float_dtype(data))
    bound = st.one_of(st.none(), st.sampled_from([0.0, 1.0, -1.0, 0.5]))
    lo, hi = data.draw(bound, label="min"), data.draw(bound, label="max")
    if lo is None and hi is None:
        lo = 0.0
    return fo.inputs(data, [x]), {"min": lo, "max": hi}, None


def matmul_draw(data):
    k = data.draw(st.integers(0, 3), label="k")
    lead = fo.shape(data, 0, 1, big=False)
    dt = fo.float_dtype(data)
    sa = data.draw(st.sampled_from([(k,), (2, k), lead + (2, k)]), label="sa")
    sb = data.draw(st.sampled_from([(k,), (k, 3), lead + (k, 3)]), label="sb")
    return fo.inputs(data, [fo.values(data, sa, dt, finite=True),
                            fo.values(data, sb, dt, finite=True)]), {}, None


def getitem_draw(data):
    x = fo.values(data, fo.shape(data, 1, 3, big=False), fo.float_dtype(data))
    n = x.shape[0]
    idx = data.draw(st.sampled_from([
        slice(None, None, 2), slice(None, None, -1), 0 if n else slice(0, 0),
        np.array([0, 0, n - 1]) if n else np.array([], dtype=np.int64),
        x.reshape(n, -1)[:, 0] > 0 if x.size else np.zeros(n, bool), (Ellipsis, None)]),
        label="index")
    return fo.inputs(data, [x]), {"idx": idx}, None


def join_draw(data):
    dt = fo.float_dtype(data)
    base = fo.shape(data, 1, 3, big=False)
    arrays = []
    for _ in range(data.draw(st.integers(1, 3), label="n")):
        shp = (data.draw(st.integers(0, 3), label="len"),) + base[1:]
        arrays.append(fo.values(data, shp, dt))
    return fo.inputs(data, arrays), {}, None


def expand_draw(data):
    sa, sb = fo.broadcast_shapes(data)
    try:
        target = np.broadcast_shapes(sa, sb)
    except ValueError:
        target = sa
    x = fo.values(data, sa, fo.float_dtype(data))
    return fo.inputs(data, [x]), {"shape": tuple(target)}, None


def reshape_draw(data):
    x = fo.values(data, fo.shape(data, big=False), fo.float_dtype(data))
    return fo.inputs(data, [x]), {"shape": (-1,) if x.size else (0,)}, None


def pair_loss(domain=(), target_domain=(0.0, 1.0, 0.5), weight=False, pos_weight=False,
              prob_input=False):
    """(input, target[, weight]) of one shape; the target may require grad too."""
    def draw(data):
        dt = fo.float_dtype(data)
        shp = fo.shape(data, big=False)
        if prob_input:
            x = np.asarray(data.draw(st.lists(st.sampled_from(
                [0.0, 1.0, 0.5, 1e-13, 1 - 1e-13, 0.25, 1e-300, 0.999]),
                min_size=int(np.prod(shp)), max_size=int(np.prod(shp))), label="p"),
                dt).reshape(shp)
        else:
            x = fo.values(data, shp, dt, domain)
        y = np.asarray(data.draw(st.lists(st.sampled_from(target_domain),
                                          min_size=int(np.prod(shp)),
                                          max_size=int(np.prod(shp))), label="y"),
                       dt).reshape(shp)
        arrays = [x, y]
        kw = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="red")}
        if weight and data.draw(st.booleans(), label="weight"):
            arrays.append(fo.values(data, shp[-1:] if shp else (), dt, finite=True))
        inp = fo.inputs(data, arrays, view_ok=False)
        if pos_weight and data.draw(st.booleans(), label="pos_weight"):
            kw["pos_weight"] = fo.values(data, shp[-1:] if shp else (), dt, finite=True)
        return inp, kw, None
    return draw


def classes_draw(data):
    n, c = data.draw(st.integers(0, 3), label="n"), data.draw(st.integers(1, 4), label="c")
    x = fo.values(data, (n, c), fo.float_dtype(data))
    t = np.asarray(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)),
                   np.int64)
    kw = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="red")}
    if data.draw(st.booleans(), label="smooth"):
        kw["label_smoothing"] = 0.1
    return fo.inputs(data, [x, t], view_ok=False), kw, None


# ---------------------------------------------------------- PyTorch counterparts
def _ours_getitem(x, idx):
    return x[idx]


def _theirs_getitem(x, idx):
    return x[torch.from_numpy(idx) if isinstance(idx, np.ndarray) else idx]


def _loss(ours, theirs):
    def o(x, y, w=None, **kw):
        return ours(x, y, weight=w, **kw)

    def t(x, y, w=None, **kw):
        kw = {k: torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v
              for k, v in kw.items()}
        return theirs(x, y, weight=w, **kw)
    return o, t


def _maybe_scalar(fn):
    """PyTorch wants a tensor or Python number; NumPy int64 arrays become tensors."""
    def wrapped(a, b):
        if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
            return fn(torch.tensor(a), torch.tensor(b))
        return fn(a, b)
    return wrapped


F = ag                  # the array functions, as ag.exp etc.
SPECS = {}
# Second derivatives exactly at a kink are one-sided by convention: PyTorch's elu family
# takes x <= 0 as the negative branch in first order but x < 0 in second order (its
# elu_double_backward), so at x = 0 it is 0 there; ours is the negative branch's. Not
# compared at these input values.
KINKS = {"F.elu": (0.0,), "F.celu": (0.0,), "F.selu": (0.0,)}
for _n in ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "sign", "abs",
           "relu", "square", "neg"]:
    SPECS[_n] = (getattr(F, _n), getattr(torch, _n), unary())
SPECS["sign"] = (F.sign, lambda x: torch.where(torch.isnan(x), x, torch.sign(x)), unary())
SPECS["log"] = (F.log, torch.log, unary((1e-300,)))
SPECS["softplus"] = (F.softplus, TF.softplus, unary((30.0, -30.0)))
for _n, _t in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul),
               ("div", torch.true_divide), ("maximum", torch.maximum),
               ("minimum", torch.minimum)]:
    SPECS[_n] = (getattr(F, _n), _maybe_scalar(_t), binary(scalar_ok=_n not in (
        "maximum", "minimum")))
SPECS["pow"] = (F.pow, _maybe_scalar(torch.pow), binary((0.0, 3.0, -3.0, 1.5)))
SPECS.update({
    "where": (F.where, lambda c, a, b: torch.where(torch.as_tensor(c), a, b), where_draw),
    "clip": (F.clip, lambda x, min=None, max=None: torch.clamp(x, min, max), clip_draw),
    "sum": (F.sum, torch.sum, reduce()),
    "mean": (F.mean, torch.mean, reduce()),
    "var": (F.var, torch.var, reduce(ddof=True)),
    "std": (F.std, torch.std, reduce(ddof=True)),
    "max": (F.max, torch.amax, reduce()),
    "min": (F.min, torch.amin, reduce()),
    "logsumexp": (F.logsumexp, torch.logsumexp, reduce()),
    "softmax": (F.softmax, torch.softmax, one_dim),
    "log_softmax": (F.log_softmax, torch.log_softmax, one_dim),
    "matmul": (F.matmul, torch.matmul, matmul_draw),
    "getitem": (_ours_getitem, _theirs_getitem, getitem_draw),
    "concatenate": (lambda *xs: F.concatenate(list(xs)), lambda *xs: torch.cat(xs),
                    join_draw),
    "stack": (lambda *xs: F.stack(list(xs)), lambda *xs: torch.stack(xs), join_draw),
    "broadcast_to": (F.broadcast_to, lambda x, shape: x.expand(shape), expand_draw),
    "reshape": (F.reshape, lambda x, shape: x.reshape(shape), reshape_draw),
    "transpose": (lambda x: F.transpose(x), lambda x: x.permute(*reversed(range(x.ndim))),
                  unary()),
})
# nn.functional, PyTorch's semantics
for _n in ["relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softsign", "logsigmoid",
           "hardtanh", "hardsigmoid", "hardswish", "tanhshrink", "relu6", "leaky_relu"]:
    SPECS[f"F.{_n}"] = (getattr(NF, _n), getattr(TF, _n), unary((3.0, -3.0, 6.0)))
SPECS["F.softplus"] = (NF.softplus, TF.softplus, unary((20.0, 21.0)))
SPECS["F.threshold"] = (NF.threshold, TF.threshold, unary((1.5,), threshold=1.5, value=-2.0))
SPECS["F.binary_cross_entropy"] = _loss(NF.binary_cross_entropy, TF.binary_cross_entropy) + (
    pair_loss(weight=True, prob_input=True),)
SPECS["F.binary_cross_entropy_with_logits"] = _loss(
    NF.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits) + (
    pair_loss(weight=True, pos_weight=True),)
for _n in ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]:
    SPECS[f"F.{_n}"] = (getattr(NF, _n), getattr(TF, _n), pair_loss(target_domain=(
        0.0, 1.0, -1.0, 0.5, 2.0)))
SPECS["F.kl_div"] = (NF.kl_div, TF.kl_div, pair_loss(target_domain=(0.0, 0.5, 1.0)))
SPECS["F.cross_entropy"] = (NF.cross_entropy, TF.cross_entropy, classes_draw)
SPECS["F.nll_loss"] = (NF.nll_loss, TF.nll_loss, classes_draw)
SPECS["F.layer_norm"] = (lambda x: NF.layer_norm(x, x.shape[-1:]),
                         lambda x: TF.layer_norm(x, x.shape[-1:]), unary())
SPECS["F.normalize"] = (lambda x: NF.normalize(x, dim=-1), lambda x: TF.normalize(x, dim=-1),
                        unary())
