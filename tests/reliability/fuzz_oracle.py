"""The gradient oracle: values, gradients and gradient properties against PyTorch float64.

``fuzzkit`` checks that every call is refused cleanly or matches NumPy, and that its
gradients have the right shapes. That cannot see a *wrong gradient*, which is the
worst defect a tool for checking derivations can have. This kit draws inputs where
gradients go wrong and compares everything with PyTorch (the oracle, float64 unless the
example is float32):

* values at the edges of each function's domain (0, -0, ±1, ±inf, NaN, the points a
  function is defined piecewise at) and ties (few distinct values, so max/min/abs/relu/
  maximum/clip meet equal elements and their kinks);
* empty dimensions, size-1 dimensions, 0-d tensors, and sizes above every fast path in
  the code (``_BITSELECT_MIN`` = 4096 elements in ``where``);
* memory layouts: Fortran order, stepped slices, negative strides, read-only arrays and
  broadcast views (zero strides) as the leaf's data, and leaves used through a view
  (``x[::2]``, ``x.T``);
* every broadcasting pattern between operands, and mixed float32/float64/int dtypes.

Properties of one example, each reported by name (``PROPERTIES``):
``crash`` an error that is not ValueError/TypeError/RuntimeError/IndexError;
``value`` the forward differs from PyTorch; ``grad`` a first-order gradient differs
(``nan_grad`` when ours is NaN/inf where PyTorch's is finite: the silent kind);
``grad_shape`` wrong shape or dtype; ``alias`` a gradient shares memory with another
gradient, an input or the upstream gradient; ``writable`` a ``.grad`` that cannot be
written in place; ``connected`` a ``create_graph`` gradient cut from the inputs where
PyTorch's depends on them; ``grad2`` a second-order gradient differs; the ``*_cg``
variants check ``.grad`` after ``backward(create_graph=True)``.
"""
import math
import warnings

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd as ag

CLEAN = (ValueError, TypeError, RuntimeError, IndexError)
PROPERTIES = ("crash", "value", "grad", "nan_grad", "grad_shape", "alias", "writable",
              "connected", "grad2", "alias_cg", "writable_cg")
EDGES = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, math.inf, -math.inf, math.nan)
TIES = (0.0, 1.0, -1.0, 2.0)          # few values: equal elements are common
BIG = 4097                            # above _BITSELECT_MIN (autograd/ops/elementwise.py)
# What check() learned about the current example's inputs (read by compare()): the
# lowest precision among them, whether any is ±inf/NaN, NaN, 0 or ±inf/NaN.
_EXAMPLE = {"precision": np.float64, "nonfinite": False, "nan": False,
            "zero_or_nonfinite": False}


class Finding(AssertionError):
    """One example that broke a property."""

    def __init__(self, prop, message):
        super().__init__(f"[{prop}] {message}")
        self.prop = prop


# ------------------------------------------------------------------ strategies
def shape(data, min_dims=0, max_dims=3, big=True):
    """Mostly small sides (0, 1, 2, 3); sometimes one axis above the fast-path sizes."""
    dims = data.draw(st.lists(st.integers(0, 3), min_size=min_dims, max_size=max_dims),
                     label="shape")
    if big and dims and data.draw(st.integers(0, 24), label="big") == 0:
        dims[0] = BIG
        dims[1:] = [min(d, 1) for d in dims[1:]]
    return tuple(dims)


def values(data, shp, dtype=np.float64, domain=(), finite=False):
    """An array of ``shp``: ordinary numbers, domain edges and ties, mixed per array."""
    size = int(np.prod(shp))
    edges = [v for v in EDGES + tuple(domain) if not finite or math.isfinite(v)]
    mode = data.draw(st.integers(0, 3), label="value mode")
    if size > 64:                       # big arrays: seeded, with edges sprinkled in
        rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
        arr = rng.standard_normal(size)
        pick = rng.random(size) < 0.2
        arr[pick] = rng.choice(np.array(edges), size=int(pick.sum()))
        return arr.astype(dtype).reshape(shp)
    # no tiny nonzero values: underflow is fuzzkit's domain; here it only adds rounding
    # noise (1e18-sized terms cancelling in a second derivative)
    ordinary = st.floats(-3, 3).map(lambda v: 0.0 if abs(v) < 1e-6 else v)
    elem = [ordinary, st.sampled_from(edges),
            st.sampled_from(TIES), st.sampled_from(edges or TIES)][mode]
    if mode == 0:
        elem = st.one_of(elem, st.sampled_from(edges))
    flat = data.draw(st.lists(elem, min_size=size, max_size=size), label="values")
    return np.array(flat, dtype=dtype).reshape(shp)


def layout(data, arr):
    """The same values in another memory layout (the oracle sees a plain copy)."""
    kind = data.draw(st.sampled_from(["c", "c", "f", "step", "neg", "ro", "bcast"]),
                     label="layout")
    if kind == "bcast" and arr.ndim and arr.shape[0] > 1:
        return np.broadcast_to(arr[:1], arr.shape)     # zero strides, read-only
    if kind == "f":
        return np.asfortranarray(arr)
    if kind == "step" and arr.ndim:
        big = np.zeros((arr.shape[0] * 2,) + arr.shape[1:], arr.dtype)
        big[::2] = arr
        return big[::2]
    if kind == "neg" and arr.ndim:
        return arr[::-1].copy()[::-1]
    if kind == "ro":
        out = arr.copy()
        out.flags.writeable = False
        return out
    return arr


def broadcast_shapes(data, n=2, max_dims=3):
    """``n`` mutually broadcastable shapes (every pattern: 1s, missing axes, 0s)."""
    got = data.draw(mutually_broadcastable_shapes(num_shapes=n, max_dims=max_dims,
                                                  min_side=0, max_side=3), label="bshapes")
    return list(got.input_shapes)


def float_dtype(data):
    return data.draw(st.sampled_from([np.float64, np.float64, np.float64, np.float32]),
                     label="dtype")


# -------------------------------------------------------------------- inputs
class Inputs:
    """Arrays for one example and how each reaches the function.

    ``via``: None (the leaf itself), "T" (the leaf is the transpose, the function sees
    ``leaf.T``) or "step" (the leaf is twice as long on axis 0, the function sees
    ``leaf[::2]``). Non-float arrays are constants.
    """

    def __init__(self, arrays, vias=None):
        self.arrays = arrays
        self.vias = vias or [None] * len(arrays)

    def ours(self):
        leaves, args = [], []
        for a, via in zip(self.arrays, self.vias):
            if not isinstance(a, np.ndarray):
                args.append(a)
                continue
            base = _base_of(a, via)
            t = ag.Tensor(base, requires_grad=a.dtype.kind == "f")
            if t.requires_grad:
                leaves.append(t)
            args.append(_through(t, via))
        return args, leaves

    def theirs(self):
        leaves, args = [], []
        for a, via in zip(self.arrays, self.vias):
            if not isinstance(a, np.ndarray):
                args.append(a)
                continue
            base = _base_of(a, via).copy(order="C")
            t = torch.tensor(base, requires_grad=a.dtype.kind == "f")
            if t.requires_grad:
                leaves.append(t)
            args.append(_through(t, via))
        return args, leaves


def _base_of(a, via):
    if via == "T":
        return a.T.copy()
    if via == "step":
        base = np.full((a.shape[0] * 2,) + a.shape[1:], 7.0, a.dtype)
        base[::2] = a
        return base
    return a


def _through(t, via):
    if via == "T":
        return t.T if isinstance(t, ag.Tensor) else t.permute(*reversed(range(t.ndim)))
    if via == "step":
        return t[::2]
    return t


def inputs(data, arrays, view_ok=True):
    """Wrap drawn arrays, putting some float ones behind a layout change or a view."""
    out, vias = [], []
    for a in arrays:
        via = None
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a = layout(data, a)
            if view_ok and a.ndim:
                via = data.draw(st.sampled_from([None, None, None, "T", "step"]), label="via")
        out.append(a)
        vias.append(via)
    return Inputs(out, vias)


# ---------------------------------------------------------------------- checks
def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.data)


def close(ours, ref, dtype, floor=0.0):
    """Elementwise agreement: same NaN/inf pattern, finite values within tolerance."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        return np.zeros(np.broadcast_shapes(ours.shape, ref.shape) if
                        _broadcasts(ours, ref) else (1,), dtype=bool)
    single = np.dtype(dtype) == np.float32
    rtol = 2e-3 if single else 1e-7
    fin = np.isfinite(ours) & np.isfinite(ref)
    scale = np.abs(ref[fin]).max() if fin.any() else 1.0
    atol = rtol * scale + max(1e-4 if single else 1e-10, floor)
    ok = np.zeros(ours.shape, dtype=bool)
    ok[fin] = np.abs(ours[fin] - ref[fin]) <= atol + rtol * np.abs(ref[fin])
    ok |= (np.isnan(ours) & np.isnan(ref)) | (np.isinf(ours) & (ours == ref))
    edge = 0.01 * np.finfo(np.float32 if single else np.float64).max   # overflow order
    ok |= (np.abs(ours) >= edge) & (np.abs(ref) >= edge) & (np.sign(ours) == np.sign(ref))
    return ok


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a.shape, b.shape)
        return True
    except ValueError:
        return False


def compare(prop, what, ours, ref, dtype, call, at=None):
    """Raise a Finding where ``ours`` and PyTorch's ``ref`` differ.

    ``at``: the input array the values belong to elementwise (same shape), if any.
    Conventions that are not findings:
    * at a NaN input element, any gradient (PyTorch itself gives NaN, 0 or the upstream
      gradient depending on the op); and when any input holds a NaN, a NaN gradient;
    * at a ±inf input element, a limit where PyTorch has NaN (gelu(inf) = inf; inf * 0
      in its chain rule; ``fuzzkit`` documents the same tolerance);
    * when any input holds ±inf/NaN, a NaN gradient against PyTorch's ±inf (inf - inf
      met in another order);
    * in second order, when any input holds 0 or ±inf/NaN, a finite value against
      PyTorch's NaN (d²(x**1)/dx² at 0 is 0; PyTorch's chain rule meets 0 * inf), and
      ±inf against NaN (d²(a**1.5)/da² at 0); second order is compared in float64 only;
    * second-order rounding up to 1e-7 absolute (1/|x| terms cancelling)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    if ours.shape != ref.shape:
        raise Finding("grad_shape" if prop != "value" else "value",
                      f"{call}: {what} has shape {ours.shape}, PyTorch {ref.shape}")
    # second derivatives amplify rounding: 1/|x| terms cancelling to 0 leave ~1e-9
    ok = close(ours, ref, dtype, 1e-7 if prop == "grad2" else 0.0)
    if at is not None and np.shape(at) == ours.shape and not ok.all():
        at = np.asarray(at, dtype=np.float64)
        limit = np.isnan(ref) & np.isfinite(ours.astype(np.float64))
        ok |= np.isnan(at) if prop != "value" else False
        ok |= np.isinf(at) & limit
        if prop == "value":     # gelu(inf) = inf, hardswish(-inf) = 0: the limits
            ok |= np.isinf(at) & np.isnan(ref) & ~np.isnan(ours.astype(np.float64))
        if prop == "grad2":     # d²(x**1)/dx² at 0 is 0; PyTorch's chain rule: 0 * inf
            ok |= (at == 0) & limit
    if not ok.all() and prop != "value":
        # inputs with 0, ±inf or NaN: a NaN against an infinity (inf - inf met in another
        # order), and in second order a finite limit against PyTorch's NaN (0 * inf)
        o64 = ours.astype(np.float64)
        if _EXAMPLE["nonfinite"]:
            ok |= ~np.isfinite(o64) & ~np.isfinite(ref)
        if _EXAMPLE["nan"]:     # a NaN input may poison every gradient it reaches
            ok |= np.isnan(o64)
        if prop == "grad2" and _EXAMPLE["zero_or_nonfinite"]:
            ok |= np.isnan(ref) & np.isfinite(o64)
            ok |= ~np.isfinite(o64) & ~np.isfinite(ref)   # d²(a**1.5)/da² at 0: ±inf, NaN
    if ok.all():
        return
    bad = tuple(np.argwhere(~ok)[0])
    o, r = ours[bad], ref[bad]
    kind = "nan_grad" if prop == "grad" and not np.isfinite(o) and np.isfinite(r) else prop
    raise Finding(kind, f"{call}: {what} at {bad} is {o!r}, PyTorch {r!r}")


def _at(x, leaves):
    """``x``'s values, NaN also where a same-shaped input is NaN (an elementwise pair:
    the NaN reaches both gradients)."""
    at = np.array(x.data, dtype=np.float64)
    for other in leaves:
        if other is not x and other.shape == x.shape:
            at[np.isnan(other.data)] = np.nan
    return at


def _outs(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _upstream(outs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape).astype(o.dtype) if o.ndim else
            np.asarray(rng.standard_normal(), o.dtype) for o in outs]


def check(name, ours_fn, torch_fn, inp, kw=None, torch_kw=None, seed=0, second=True,
          kinks=()):
    """Run one example through every property; raise ``Finding`` for the first broken one.

    Returns "refused" (both refused, or ours refused cleanly), "computed" or "skipped"
    (PyTorch refuses what NumPy semantics allow: nothing to compare)."""
    kw = kw or {}
    torch_kw = kw if torch_kw is None else torch_kw
    call = f"{name}({_describe(inp)}{', ' if kw else ''}{kw})"
    args, leaves = inp.ours()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = _outs(ours_fn(*args, **kw))
    except CLEAN:
        return "refused"
    except Exception as err:            # noqa: BLE001 - classified
        raise Finding("crash", f"{call}: {type(err).__name__}: {err}") from err
    targs, tleaves = inp.theirs()
    try:
        touts = _outs(torch_fn(*targs, **torch_kw))
    except Exception:                   # noqa: BLE001 - PyTorch refuses: nothing to compare
        return "skipped"
    if len(touts) != len(outs):
        raise Finding("value", f"{call}: {len(outs)} outputs, PyTorch {len(touts)}")
    unary = args[0].data if len(leaves) == 1 and len(args) == 1 else None
    for i, (o, t) in enumerate(zip(outs, touts)):
        compare("value", f"output {i}", o.data, _np(t), o.dtype, call, unary)
    pairs = [(o, t) for o, t in zip(outs, touts) if o.requires_grad and t.requires_grad]
    datas = [np.asarray(x.data, np.float64) for x in leaves]
    nonfinite = any(not np.isfinite(d).all() for d in datas)
    _EXAMPLE.update(
        precision=np.float32 if any(x.dtype == np.float32 for x in leaves) else np.float64,
        nonfinite=nonfinite, nan=any(np.isnan(d).any() for d in datas),
        zero_or_nonfinite=nonfinite or any((d == 0).any() for d in datas))
    if not pairs or not leaves:
        return "computed"
    gs = _upstream([o for o, _ in pairs], seed)
    _first_order(call, pairs, gs, leaves, tleaves)
    if second:
        _second_order(call, ours_fn, torch_fn, inp, kw, torch_kw, gs, seed, kinks)
        _create_graph_grads(call, ours_fn, inp, kw, gs)
    return "computed"


def _first_order(call, pairs, gs, leaves, tleaves):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (o, _), g in zip(pairs, gs):
            o.backward(g, retain_graph=True)
    tgrads = torch.autograd.grad([t for _, t in pairs], tleaves,
                                 [torch.from_numpy(g.copy()) for g in gs], allow_unused=True)
    for i, (x, tg) in enumerate(zip(leaves, tgrads)):
        if x.grad is None:
            if tg is not None and np.any(_np(tg) != 0):
                raise Finding("grad", f"{call}: input {i} got no gradient, PyTorch's is "
                              "nonzero")
            continue
        if x.grad.shape != x.shape or x.grad.dtype != x.dtype:
            raise Finding("grad_shape", f"{call}: gradient {x.grad.shape} {x.grad.dtype} for "
                          f"input {i} of {x.shape} {x.dtype}")
        ref = np.zeros(x.shape) if tg is None else _np(tg)
        compare("grad", f"d/d input {i}", x.grad.data, ref, _EXAMPLE["precision"], call,
                _at(x, leaves))
    _grad_storage(call, leaves, gs, "")


def _grad_storage(call, leaves, gs, suffix):
    """Gradients are fresh, writable arrays: not each other, not inputs, not upstream."""
    grads = [(i, x.grad.data) for i, x in enumerate(leaves) if x.grad is not None]
    for i, g in grads:
        if isinstance(g, np.ndarray) and g.size and not g.flags.writeable:
            raise Finding("writable" + suffix, f"{call}: input {i}'s .grad is read-only")
        others = [("input", x.data) for x in leaves] + [("upstream gradient", u) for u in gs]
        others += [(f"gradient of input {j}", h) for j, h in grads if j != i]
        for what, other in others:
            if np.size(g) and np.size(other) and np.shares_memory(g, other):
                raise Finding("alias" + suffix,
                              f"{call}: input {i}'s .grad shares memory with the {what}")


def _second_order(call, ours_fn, torch_fn, inp, kw, torch_kw, gs, seed, kinks=()):
    args, leaves = inp.ours()
    targs, tleaves = inp.theirs()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [o for o in _outs(ours_fn(*args, **kw)) if o.requires_grad]
        grads = ag.grad(outs, leaves, [ag.Tensor(g) for g in gs], create_graph=True,
                        allow_unused=True)
    touts = [t for t in _outs(torch_fn(*targs, **torch_kw)) if t.requires_grad]
    try:
        tgrads = torch.autograd.grad(touts, tleaves, [torch.from_numpy(g.copy()) for g in gs],
                                     create_graph=True, allow_unused=True)
    except RuntimeError as err:         # no double backward in PyTorch: nothing to compare
        if "not implemented" in str(err):
            return
        raise
    rng = np.random.default_rng(seed + 1)
    ours_s, theirs_s = None, None
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        if tg is None or not tg.requires_grad:
            continue
        v = rng.standard_normal(tg.shape).astype(_np(tg).dtype)
        if g is None or not g.requires_grad:
            # PyTorch records a graph for piecewise-linear ops too (relu: zero second
            # derivative); only a cut where its second derivative is nonzero is a finding
            again = _torch_grad((tg * torch.from_numpy(v.copy())).sum(), tleaves) or ()
            if any(a is not None and np.any(np.isfinite(_np(a)) & (_np(a) != 0))
                   for a in again):
                raise Finding("connected", f"{call}: create_graph gradient of input {i} "
                              "does not depend on the inputs; PyTorch's does")
            continue
        term = (g * ag.Tensor(v)).sum()
        tterm = (tg * torch.from_numpy(v.copy())).sum()
        ours_s = term if ours_s is None else ours_s + term
        theirs_s = tterm if theirs_s is None else theirs_s + tterm
    if ours_s is None or _EXAMPLE["precision"] == np.float32:
        return      # float32 second derivatives are rounding noise next to PyTorch's
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        second = ag.grad(ours_s, leaves, allow_unused=True)
    tsecond = _torch_grad(theirs_s, tleaves)
    if tsecond is None:
        return
    for i, (x, s, ts) in enumerate(zip(leaves, second, tsecond)):
        ref = np.zeros(x.shape) if ts is None else _np(ts)
        got = np.zeros(x.shape) if s is None else s.data
        at = _at(x, leaves)
        at[np.isin(at, kinks)] = np.nan          # one-sided by convention: not compared
        compare("grad2", f"second-order d/d input {i}", got, ref, _EXAMPLE["precision"], call, at)


def _torch_grad(out, leaves):
    """PyTorch's gradient, or None where it has no double backward (hardsigmoid)."""
    try:
        return torch.autograd.grad(out, leaves, allow_unused=True)
    except RuntimeError as err:
        if "not implemented" in str(err):
            return None
        raise


def _create_graph_grads(call, ours_fn, inp, kw, gs):
    args, leaves = inp.ours()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [o for o in _outs(ours_fn(*args, **kw)) if o.requires_grad]
        for o, g in zip(outs, gs):
            o.backward(ag.Tensor(g), retain_graph=True, create_graph=True)
    _grad_storage(call, leaves, gs, "_cg")


def _describe(inp):
    parts = []
    for a, via in zip(inp.arrays, inp.vias):
        if isinstance(a, np.ndarray):
            body = repr(a.tolist()) if a.size <= 6 else f"<{a.shape}>"
            extra = "" if a.flags.c_contiguous else " strided"
            extra += f" via {via}" if via else ""
            parts.append(f"array({body}, {a.dtype.name}{extra})")
        else:
            parts.append(repr(a))
    return ", ".join(parts)
