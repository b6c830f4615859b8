"""Elementwise primitives. Broadcasting follows NumPy; the engine unbroadcasts once.

Each block declares one op: forward on arrays, one VJP per input ``(g, out, *inputs)``,
rule text, how the public function coerces its arguments, the Tensor methods, the
gradcheck cases and the fuzz spec (see ``registry.defprimitive``).
The arithmetic forwards are Python's operators: on arrays they are NumPy's ufuncs,
and on the NumPy scalars that 0-d results come back as they take NumPy's scalar fast
path (about 10x cheaper than a ufunc call), which is what scalar graphs are made of.
"""
import math
import operator

import numpy as np

from ..dtypes import get_default_dtype
from .coerce import NO_PARAMS, as_tensor, binary, binary_operands, data_of, float_unary
from .coerce import tensor_unary
from .registry import apply, defprimitive
from .spec import Case, Fuzz, unary_cases

BINARY_SHAPES = [((), ()), ((3,), (2, 3)), ((2, 1), (1, 3)), ((2, 3), ())]
MASK = np.array([[True, False, True], [False, False, True]])     # for where's cases


def _binary_cases(fn=None, domain="normal"):
    """The binary ops' gradcheck cases: every broadcasting pattern, 0-d included."""
    if fn is None:
        return [Case(*shapes, domain=domain) for shapes in BINARY_SHAPES]
    return [Case(fn, *shapes, domain=domain) for shapes in BINARY_SHAPES]


__all__ = ["add", "sub", "mul", "div", "neg", "power", "exp", "log", "sqrt", "sin", "cos",
           "tanh", "sigmoid", "softplus", "relu", "sign", "erf", "where", "cast"]

add = defprimitive(
    "add", operator.add,
    vjps=(lambda g, out, a, b: g,
          lambda g, out, a, b: g),
    rules=("d(a+b)/da = 1", "d(a+b)/db = 1"),
    coerce=binary_operands, method=("add", "__add__", "__radd__"),
    cases=_binary_cases(), fuzz=Fuzz(np.add, args="two"))

sub = defprimitive(
    "sub", operator.sub,
    vjps=(lambda g, out, a, b: g,
          lambda g, out, a, b: -g),
    rules=("d(a-b)/da = 1", "d(a-b)/db = -1"),
    coerce=binary_operands, method=("sub", "__sub__", "__rsub__"), aliases=("subtract",),
    cases=_binary_cases(), fuzz=Fuzz(np.subtract, args="two"))

mul = defprimitive(
    "mul", operator.mul,
    vjps=(lambda g, out, a, b: g * b,
          lambda g, out, a, b: g * a),
    rules=("d(a*b)/da = b", "d(a*b)/db = a"),
    coerce=binary_operands, method=("mul", "__mul__", "__rmul__"), aliases=("multiply",),
    cases=_binary_cases(), fuzz=Fuzz(np.multiply, args="two"))


def _to_default_float(x):
    return apply(cast, (as_tensor(x),), {"dtype": get_default_dtype()})


def _div_public(a, b):
    """a / b elementwise; two integer operands divide in the default float dtype."""
    a, b = binary(a, b)
    if data_of(a).dtype.kind in "iub" and data_of(b).dtype.kind in "iub":
        a, b = _to_default_float(a), _to_default_float(b)
    return apply(div, (a, b), NO_PARAMS)


div = defprimitive(
    "div", operator.truediv,
    vjps=(lambda g, out, a, b: g / b,
          lambda g, out, a, b: -g * out / b),     # -a/b² as (a/b)/b: b*b may overflow
    rules=("d(a/b)/da = 1/b", "d(a/b)/db = -a/b²"),
    public=_div_public, method=("div", "__truediv__", "__rtruediv__"),
    aliases=("true_divide",),
    cases=_binary_cases(lambda a, b: div(a, b * b + 0.5)),    # the denominator stays off 0
    fuzz=Fuzz(np.true_divide, args="two", floats_in=True))

neg = defprimitive(
    "neg", operator.neg,
    vjps=(lambda g, out, x: -g,),
    rules=("d(-x)/dx = -1",),
    coerce=tensor_unary, method=("neg", "__neg__"), aliases=("negative",),
    cases=unary_cases(), fuzz=Fuzz(np.negative))


def _pow_vjp_base(g, out, a, b):
    # b * a**(b-1), written so that a == 0 with b >= 1 stays finite (no 0/0). Where
    # b == 0 the derivative of a**0 = 1 is 0 (PyTorch's rule), also at a == 0, where
    # 0 * 0**-1 would be 0 * inf = NaN: there the base is replaced by 1 (0 * 1**-1 = 0,
    # and nothing overflows). A nonzero constant exponent (x**2) skips the select.
    # The outer select also makes the second derivative at b == 0 PyTorch's (0).
    if isinstance(b, (np.ndarray, np.generic)) and b.ndim == 0 and b != 0:
        return g * b * power(a, b - 1)
    return where(b == 0, 0, g * b * power(where(b == 0, 1, a), b - 1))


def _pow_vjp_exponent(g, out, a, b):
    # out * log(a); where a == 0 and b >= 0 the limit is 0, as in PyTorch (elsewhere at
    # a == 0, 0**-1 * log 0 = -inf and a NaN exponent gives NaN, as there). The zero
    # is put in before multiplying, so that out = inf does not make inf * 0 = NaN.
    zero_limit = (a == 0) & (b >= 0)
    return g * where(zero_limit, 0, out * log(where(zero_limit, 1, a)))


power = defprimitive(
    "pow", np.power,
    vjps=(_pow_vjp_base, _pow_vjp_exponent),
    rules=("d(a**b)/da = b*a**(b-1)", "d(a**b)/db = a**b*log(a)"),
    coerce=binary_operands, method=("pow", "__pow__", "__rpow__"), aliases=("power",),
    cases=_binary_cases(domain="positive")
    + [Case(lambda a: power(a, np.array(3.0)), (2, 2), label="constant exponent")],
    fuzz=Fuzz(np.power, args="two"))

exp = defprimitive(
    "exp", np.exp,
    vjps=(lambda g, out, x: g * out,),
    rules=("d exp(x)/dx = exp(x)",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz(np.exp, floats_in=True))

log = defprimitive(
    "log", np.log,
    vjps=(lambda g, out, x: g / x,),
    rules=("d log(x)/dx = 1/x",),
    coerce=float_unary, method=True,
    cases=unary_cases("positive"), fuzz=Fuzz(np.log, floats_in=True))

sqrt = defprimitive(
    "sqrt", np.sqrt,
    vjps=(lambda g, out, x: g / (2 * out),),
    rules=("d sqrt(x)/dx = 1/(2 sqrt(x))",),
    coerce=float_unary, method=True,
    cases=unary_cases("positive"), fuzz=Fuzz(np.sqrt, floats_in=True))

sin = defprimitive(
    "sin", np.sin,
    vjps=(lambda g, out, x: g * cos(x),),
    rules=("d sin(x)/dx = cos(x)",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz(np.sin, floats_in=True))

cos = defprimitive(
    "cos", np.cos,
    vjps=(lambda g, out, x: -g * sin(x),),
    rules=("d cos(x)/dx = -sin(x)",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz(np.cos, floats_in=True))

def _tanh_vjp(g, out, x):
    d = out * out
    if type(d) is np.ndarray and type(g) is np.ndarray and g.shape == d.shape \
            and g.dtype == d.dtype:
        # the same three operations in one buffer (arrays only: a Tensor or a traced
        # array records them): an LSTM's backward runs this 100 times per step
        np.subtract(1, d, out=d)
        return np.multiply(g, d, out=d)
    return g * (1 - d)


tanh = defprimitive(
    "tanh", np.tanh,
    vjps=(_tanh_vjp,),
    rules=("d tanh(x)/dx = 1 - tanh(x)²",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz(np.tanh, floats_in=True))


@np.errstate(over="ignore")
def _sigmoid_forward(x):
    """1/(1+exp(-x)). For x << 0, exp(-x) overflows to inf and the result is exactly
    0 (the true value is below the smallest float): the overflow is harmless, so its
    warning is silenced (by errstate as a decorator: ~0.7 us a call where a ``with``
    block makes an errstate each time, ~1.5 us; an LSTM step calls this three times).
    Accurate in relative terms at both tails, and branch-free (np.where per element is
    several times slower on mixed signs)."""
    return 1 / (1 + np.exp(-x))


def _sigmoid_vjp(g, out, x):
    d = g * out
    if type(d) is np.ndarray and type(out) is np.ndarray:
        # (g·σ)(1-σ), the product written into g·σ's buffer (arrays only, as tanh's)
        return np.multiply(d, 1 - out, out=d)
    return d * (1 - out)


sigmoid = defprimitive(
    "sigmoid", _sigmoid_forward,
    vjps=(_sigmoid_vjp,),
    rules=("d σ(x)/dx = σ(x)(1-σ(x))",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz("scipy.special:expit", floats_in=True))


def _softplus_forward(x):
    """log(1+exp(x)) computed as max(x,0) + log1p(exp(-|x|))."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


softplus = defprimitive(
    "softplus", _softplus_forward,
    vjps=(lambda g, out, x: g * sigmoid(x),),
    rules=("d softplus(x)/dx = σ(x)",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz(lambda x: np.logaddexp(0, x), floats_in=True))


def _zero_vjp(g, out, x):
    # Zeros of g's shape and dtype, also where g is inf or NaN (g * 0 would be NaN
    # there: abs(x) = x * sign(x) sends g * x into this VJP, inf at x = inf), as
    # PyTorch's zeros_like(grad). A select, so create_graph still records it.
    return where(True, 0, g)


sign = defprimitive(
    "sign", np.sign,
    vjps=(_zero_vjp,),
    rules=("d sign(x)/dx = 0",),
    coerce=tensor_unary, method=True,
    cases=unary_cases("positive"), fuzz=Fuzz(np.sign))

try:  # SciPy's erf is exact and fast; fall back to math.erf element by element.
    from scipy.special import erf as _erf_array
except ImportError:  # pragma: no cover - depends on the environment
    _erf_array = np.vectorize(math.erf, otypes=[np.float64])


def _erf_forward(x):
    return np.asarray(_erf_array(x), dtype=x.dtype)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_vjp(g, out, x):
    # exp(-x²) is 0 beyond |x| = 30 in float64; bounding x first keeps x*x from
    # overflowing (and warning) for huge inputs.
    bounded = where((x < 30) & (x > -30), x, 30.0)
    return g * _TWO_OVER_SQRT_PI * exp(-(bounded * bounded))

erf = defprimitive(
    "erf", _erf_forward,
    vjps=(_erf_vjp,),
    rules=("d erf(x)/dx = 2/√π exp(-x²)",),
    coerce=float_unary, method=True,
    cases=unary_cases(), fuzz=Fuzz("scipy.special:erf", floats_in=True))

_BITSELECT_MIN = 4096     # below this np.where's fixed cost is the smaller one


def _where_forward(condition, a, b):
    """np.where(condition, a, b), bit for bit.

    np.where branches on every element, which costs ~10x on an unpredictable mask (a
    ReLU's gradient: ~110 us for 128x256 values). For large float results this selects
    the bits instead, without branches: (a & m) | (b & ~m) with m all ones where the
    condition holds, on the values viewed as integers of the same width (~10 us).
    """
    size = max(getattr(condition, "size", 1), getattr(a, "size", 1), getattr(b, "size", 1))
    if size < _BITSELECT_MIN:     # checked first: small (and scalar) graphs pay nothing
        return np.where(condition, a, b)
    dtype = np.result_type(a, b)
    cond = np.asarray(condition)
    if dtype.kind != "f" or cond.dtype != bool:
        return np.where(condition, a, b)
    ints = np.dtype(f"i{dtype.itemsize}")
    a_bits = np.asarray(a, dtype).view(ints)
    b_bits = np.asarray(b, dtype).view(ints)
    if cond.size != size:         # the mask must have the result's shape
        cond = np.broadcast_to(cond, np.broadcast_shapes(cond.shape, a_bits.shape,
                                                         b_bits.shape))
    mask = cond.astype(ints)                         # 1 where c, else 0
    if b_bits.ndim == 0 and b_bits == 0:           # where(c, a, 0): a ReLU, a mask
        np.negative(mask, out=mask)                  # all bits set where c
        mask &= a_bits
        return mask.view(dtype)
    mask -= 1                                        # all bits set where not c
    if a_bits.ndim == 0 and a_bits == 0:           # where(c, 0, b): the VJP for b
        mask &= b_bits
        return mask.view(dtype)
    out = mask & b_bits
    np.invert(mask, out=mask)
    mask &= a_bits
    out |= mask
    return out.view(dtype)


def _where_public(condition, a, b):
    """``a`` where ``condition`` else ``b``; the condition gets no gradient."""
    cond = np.asarray(data_of(condition))
    if cond.dtype != bool:
        cond = cond.astype(bool)
    a, b = binary(a, b)
    return apply(where, (cond, a, b), NO_PARAMS)


def _where_case(a, b):
    return where(MASK, a, b)


where = defprimitive(
    "where", _where_forward,
    vjps=(None,
          lambda g, out, c, a, b: where(c, g, 0),
          lambda g, out, c, a, b: where(c, 0, g)),
    rules=("(condition: no gradient)", "d where(c,a,b)/da = c", "d where(c,a,b)/db = 1-c"),
    public=_where_public,
    cases=[Case(_where_case, (2, 3), (2, 3)), Case(_where_case, (3,), (2, 1)),
           Case(_where_case, (), (2, 3))],
    fuzz=Fuzz(np.where, args="where"))


def _relu_forward(x):
    """max(x, 0); NaN stays NaN, as in PyTorch."""
    if type(x) is np.float64 or type(x) is np.float32:
        # a NumPy scalar (a 0-d graph): the same select in Python, ~15x cheaper than the
        # ufunc call; np.maximum's bits (-0.0 gives +0.0, NaN stays, tested)
        return x if (x > 0 or x != x) else x.dtype.type(0)
    return np.maximum(x, 0)


_SAME_WIDTH_INTS = {np.dtype(np.float16): np.dtype(np.int16),
                    np.dtype(np.float32): np.dtype(np.int32),
                    np.dtype(np.float64): np.dtype(np.int64)}


# array types besides np.ndarray whose bits relu's VJP multiplies: a compile trace's
# TracedArray (added by autograd.compile.traced), so that a trace records the two passes
# an eager step makes (W4's replay: four steps fewer than where's four passes)
BIT_MULTIPLY_TYPES = set()


def _relu_vjp(g, out, x):
    # g where out > 0 (and where out is NaN, like PyTorch's threshold_backward), else 0.
    # A select, not g * mask: an infinite g must not become inf * 0 = NaN.
    tg, to = type(g), type(out)
    if (tg is np.ndarray or tg in BIT_MULTIPLY_TYPES) and \
            (to is np.ndarray or to in BIT_MULTIPLY_TYPES):
        # (not small arrays, where np.where's one call is the cheaper)
        ints = _SAME_WIDTH_INTS.get(g.dtype)
        if ints is not None and out.dtype == g.dtype and out.shape == g.shape and \
                g.size >= _BITSELECT_MIN:
            # The select in two passes: g's bits times 0 or 1 as integers, which is
            # exact (the bits of g, or of +0.0) and cannot branch. relu's output is
            # never negative, so out <= 0 is out == ±0 and NaN keeps its gradient.
            # where's bit select makes four passes over the batch (W4: 21 -> ~12 us
            # per call in a step).
            return np.multiply(g.view(ints), out != 0).view(g.dtype)
    elif isinstance(g, np.generic) and isinstance(out, np.generic):
        # NumPy scalars (a 0-d graph): the same select in Python. np.where costs ~1.5 us
        # here and returns a 0-d array, which makes every later scalar VJP slow too.
        return g if not out <= 0 else g.dtype.type(0)
    return where(out <= 0, 0, g)


# A primitive, not where(x > 0, x, 0) as tinygrad writes it: composed, a ReLU is a
# comparison plus a three-operand select (~6 us per call on small tensors, the largest
# single cost of an elementwise chain); as one ufunc it is ~1.5 us. Speed, measured in
# benchmarks W2 and W4, is the reason; the VJP is still written with `where`, so
# create_graph works unchanged.
def _relu_reference(x):
    return np.where(x <= 0, np.zeros((), x.dtype), x)      # NaN stays NaN, as in PyTorch


relu = defprimitive(
    "relu", _relu_forward,
    vjps=(_relu_vjp,),
    rules=("d relu(x)/dx = 1 if x > 0 else 0",),
    doc="max(x, 0); the gradient at 0 is 0 and NaN stays NaN, as in PyTorch.",
    coerce=tensor_unary, method=True,
    # shifted 0.2 away from the kink, so finite differences never straddle it
    cases=[Case(lambda x, s=s: relu(x + 0.2 * np.sign(x.data)), s, domain="unit")
           for s in [(), (2, 3)]],
    fuzz=Fuzz(_relu_reference))


def _cast_forward(x, dtype):
    return x.astype(dtype, copy=False)


def _cast_vjp(g, out, x, dtype):
    return cast(g, dtype=x.dtype)


# internal: the public function is astype (functions/math.py), which skips same-dtype casts
cast = defprimitive(
    "cast", _cast_forward,
    vjps=(_cast_vjp,),
    rules=("d cast(x)/dx = 1 (cast back to x's dtype)",),
    cases=[Case(lambda x: cast(x, dtype=np.float64) * 2.0, (2, 3))])
