"""Hypothesis fuzzing of a set of ``nn.functional`` functions, PyTorch as the reference.

Same harness and policy as ``test_fuzz.py`` (see ``fuzzkit.py``): float32/float64
inputs of awkward shapes and values (0, ±inf, NaN, huge), plus invalid arguments.
Every call raises a clean, named error or matches ``torch.nn.functional`` and then
backpropagates gradients of the inputs' shapes. Integer class targets are drawn in and
out of range.
"""
import os
import sys
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import fuzzkit as fk  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

EXAMPLES = int(os.environ.get("GLASSGRAD_FUZZ_EXAMPLES", "30"))
RANDOM = bool(os.environ.get("GLASSGRAD_FUZZ_RANDOM"))
STATS = Counter()
FLOATS = (np.float32, np.float64)
# PyTorch's own warning for a loss whose target broadcasts against the input: nn repeats
# it on purpose, so it is not a leak.
# layer_norm divides a rounding of the mean (1e-7 relative in float32) by sqrt(eps):
# a constant float32 row gives 7e-5 instead of 0 (PyTorch accumulates in double)
ATOL = {"layer_norm": 2e-4}
SIZE_WARNING = (r"target size .* is different to the input size|"
                r"reduction='mean' divides the total loss")


def torch_ref(fn):
    """Call ``fn`` with numpy arrays turned into torch tensors; back to numpy."""
    def ref(*args, **kwargs):
        conv = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
        kw = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
              for k, v in kwargs.items()}
        with torch.no_grad():
            out = fn(*conv, **kw)
        return out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
    return ref


def bounded(draw, limit=1e15):
    """Finite values capped at ``limit``: for functions built on x² (variance, norms),
    inputs whose squares overflow the dtype are out of scope (PyTorch overflows too)."""
    def wrapped(data):
        args, kw = draw(data)
        args = [np.where(np.isfinite(a) & (np.abs(a) > limit), np.sign(a) * limit, a).astype(
            a.dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
        return args, kw
    return wrapped


def _hardswish(x):
    """PyTorch gives NaN at -inf (-inf * 0); the limit, which we return, is 0."""
    out = TF.hardswish(x)
    return torch.where(torch.isneginf(x), torch.zeros_like(out), out)


def _one_hot(t, num_classes=-1):
    """PyTorch refuses an empty tensor even with num_classes given; we return (0, n)."""
    if t.numel() == 0 and num_classes >= 0:
        return torch.zeros(tuple(t.shape) + (num_classes,), dtype=torch.int64)
    return TF.one_hot(t, num_classes)


def _gelu(x, approximate="none"):
    """PyTorch's, except gelu(inf) = inf (PyTorch: NaN); gelu(-inf) is NaN in both."""
    out = TF.gelu(x, approximate=approximate)
    return torch.where(torch.isposinf(x), x, out)


def _soft_margin(x, y, reduction="mean"):
    """log(1 + exp(-y x)) computed stably (PyTorch's overflows to inf at y x = -1e30)."""
    loss = torch.logaddexp(torch.zeros_like(x), -y * x)
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def x_only(data):
    return [fk.array(data, dtypes=FLOATS)], {}


def with_kw(**strategies):
    def draw(data):
        kw = {k: data.draw(s, label=k) for k, s in strategies.items()}
        return [fk.array(data, dtypes=FLOATS)], kw
    return draw


def with_dim(data):
    x = fk.array(data, dtypes=FLOATS)
    return [x], {"dim": fk.axis(data, x.ndim, allow_tuple=False, allow_none=False)}


REDUCTION = st.sampled_from(["mean", "sum", "none"])


def pair(target=None, same_shape=False, **strategies):
    """(input, target) of one shape (sometimes not), and keyword arguments."""
    def draw(data):
        dtype = data.draw(st.sampled_from(FLOATS))
        shape = data.draw(fk.shapes())
        x = fk.array(data, shape, dtype)
        tshape = shape if same_shape or data.draw(st.integers(0, 5)) else data.draw(
            fk.shapes())
        if target == "prob":
            t = np.asarray(data.draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 0.5]),
                                              min_size=int(np.prod(tshape)),
                                              max_size=int(np.prod(tshape)))),
                           dtype=dtype).reshape(tshape)
        elif target == "sign":
            t = np.where(fk.array(data, tshape, np.bool_), 1.0, -1.0).astype(dtype)
        else:
            t = fk.array(data, tshape, dtype)
        kw = {k: data.draw(s, label=k) for k, s in strategies.items()}
        kw["reduction"] = data.draw(REDUCTION)
        return [x, t], kw
    return draw


def probabilities(data):
    args, kw = pair(target="prob")(data)
    x = args[0]
    if data.draw(st.integers(0, 3)):            # mostly valid probabilities
        with np.errstate(all="ignore"):
                x = np.asarray(np.clip(np.nan_to_num(np.abs(x) / (1 + np.abs(x))), 0, 1),
                           dtype=x.dtype)
    return [x, args[1]], kw


def classes(data):
    """(N, C) scores and (N,) integer targets (sometimes out of range or ignored)."""
    n, c = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 4))
    x = fk.array(data, (n, c), data.draw(st.sampled_from(FLOATS)))
    t = np.asarray(data.draw(st.lists(st.one_of(st.integers(0, c - 1), st.integers(-101, 5)),
                                      min_size=n, max_size=n)), dtype=np.int64)
    kw = {"reduction": data.draw(REDUCTION)}
    if data.draw(st.booleans()):
        kw["ignore_index"] = data.draw(st.sampled_from([-100, 0, 1]))
    return [x, t], kw


def linear_args(data):
    dtype = data.draw(st.sampled_from(FLOATS))
    lead = data.draw(fk.shapes(max_dims=2))
    k, m = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3))
    kx = k if data.draw(st.integers(0, 5)) else k + 1
    args = [fk.array(data, lead + (kx,), dtype), fk.array(data, (m, k), dtype)]
    if data.draw(st.booleans()):
        args.append(fk.array(data, (m,), dtype))
    return args, {}


def layer_norm_args(data):
    x = fk.array(data, data.draw(fk.shapes(min_dims=1)), data.draw(st.sampled_from(FLOATS)))
    k = data.draw(st.integers(1, x.ndim))
    shape = x.shape[-k:] if data.draw(st.integers(0, 5)) else (x.shape[-1] + 1,)
    return [x, tuple(shape)], {}


def normalize_args(data):
    x = fk.array(data, dtypes=FLOATS)
    return [x], {"p": data.draw(st.sampled_from([1.0, 2.0, 3.0])),
                 "dim": fk.axis(data, x.ndim, allow_tuple=False, allow_none=False)}


def one_hot_args(data):
    n = data.draw(st.integers(-1, 4))   # 0 and too-small counts are refused cleanly
    t = np.asarray(data.draw(st.lists(st.integers(-1, 4), max_size=4)), dtype=np.int64)
    return [t], {"num_classes": n}


SPECS = {
    "relu": (F.relu, TF.relu, x_only),
    "relu6": (F.relu6, TF.relu6, x_only),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu,
                   with_kw(negative_slope=st.sampled_from([0.01, 0.2, 0.0]))),
    "elu": (F.elu, TF.elu, with_kw(alpha=st.sampled_from([1.0, 0.5]))),
    "selu": (F.selu, TF.selu, x_only),
    "celu": (F.celu, TF.celu, with_kw(alpha=st.sampled_from([1.0, 2.0]))),
    "gelu": (F.gelu, _gelu, with_kw(approximate=st.sampled_from(["none", "tanh"]))),
    "silu": (F.silu, TF.silu, x_only),
    "mish": (F.mish, TF.mish, x_only),
    "softplus": (F.softplus, TF.softplus,
                 with_kw(beta=st.sampled_from([1.0, 2.0]),
                         threshold=st.sampled_from([20.0, 1.0]))),
    "softsign": (F.softsign, TF.softsign, x_only),
    "sigmoid": (F.sigmoid, torch.sigmoid, x_only),
    "tanh": (F.tanh, torch.tanh, x_only),
    "hardtanh": (F.hardtanh, TF.hardtanh, x_only),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, x_only),
    "hardswish": (F.hardswish, _hardswish, x_only),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid, x_only),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink, x_only),
    "threshold": (F.threshold, TF.threshold,
                  with_kw(threshold=st.sampled_from([0.0, 1.5]),
                          value=st.sampled_from([0.0, -2.0]))),
    "softmax": (F.softmax, TF.softmax, with_dim),
    "log_softmax": (F.log_softmax, TF.log_softmax, with_dim),
    "softmin": (F.softmin, TF.softmin, with_dim),
    "mse_loss": (F.mse_loss, TF.mse_loss, pair()),
    "l1_loss": (F.l1_loss, TF.l1_loss, pair()),
    "huber_loss": (F.huber_loss, TF.huber_loss, pair(delta=st.sampled_from([1.0, 0.5]))),
    "smooth_l1_loss": (F.smooth_l1_loss, TF.smooth_l1_loss,
                       pair(beta=st.sampled_from([1.0, 0.5]))),
    "soft_margin_loss": (F.soft_margin_loss, _soft_margin, pair(target="sign",
                                                                same_shape=True)),
    "binary_cross_entropy": (F.binary_cross_entropy, TF.binary_cross_entropy, probabilities),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits,
                                         TF.binary_cross_entropy_with_logits,
                                         pair(target="prob")),
    "kl_div": (F.kl_div, TF.kl_div, pair(target="prob")),
    "cross_entropy": (F.cross_entropy, TF.cross_entropy, classes),
    "nll_loss": (F.nll_loss, TF.nll_loss, classes),
    # products of values up to 1e18 cannot overflow float32, so the order of the sum
    # (BLAS vs PyTorch) cannot turn inf - inf into NaN on one side only
    "linear": (F.linear, TF.linear, bounded(linear_args, 1e18)),
    "layer_norm": (F.layer_norm, TF.layer_norm, bounded(layer_norm_args)),
    "normalize": (F.normalize, TF.normalize, bounded(normalize_args, 1e9)),   # |x|³
    "one_hot": (F.one_hot, _one_hot, one_hot_args),
}


def _settings():
    return settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None,
                    database=None, print_blob=True, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fuzz_nn_functional(name):
    fn, tfn, draw = SPECS[name]
    ref = torch_ref(tfn)
    stats = Counter()

    @_settings()
    @given(data=st.data())
    def run(data):
        args, kwargs = draw(data)
        stats["examples"] += 1
        fk.run_case(f"F.{name}", fn, ref, args, kwargs, stats, allowed=SIZE_WARNING,
                    atol=ATOL.get(name, 0.0))

    run()
    fk.tally(STATS, stats, name)


def test_zz_report_campaign_numbers():
    fk.report(STATS, "nn fuzz", "PyTorch")
