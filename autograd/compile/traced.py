"""What a trace hands to the code it runs: ``TracedArray`` and ``Sym``.

``TracedArray`` is an ``np.ndarray`` subclass holding real values, so the traced
function computes exactly what it computes eagerly, while every NumPy call made on it
reaches the recorder: ufuncs through ``__array_ufunc__``, NumPy functions through
``__array_function__``, and the ndarray methods that do neither (reshape, indexing,
astype, ...) through the overrides below. Outside an active trace (an array kept from
a trace and used later) each of these simply runs on the plain array.

``Sym`` is a Python number the recorder follows: an optimizer's hyper-parameters and
step counters are replaced by Syms for the length of a trace, so that ``lr / (1 -
beta1 ** t)`` becomes part of the program (evaluated again at every replay) instead of
a constant frozen at the value it had when traced.
"""
import numbers
import operator

import numpy as np

from .. import slice_sums
from ..ops import elementwise
from . import state

_ACTIVE = state.ACTIVE


class TracedArray(np.ndarray):
    """An array whose NumPy calls are recorded while its trace is active."""

    # the recorder's Value of it and, for a view of a found array, the plain view it
    # reads (unset in an array NumPy made of this class itself: read with getattr).
    # Slots, not an instance dict: one dict fewer per recorded result (~0.2 us a call)
    __slots__ = ("_v", "_p")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        rec = _ACTIVE[0]
        if rec is not None:
            return rec.ufunc(ufunc, method, inputs, kwargs)
        return state.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return state.dispatch_function(func, args, kwargs)

    # -- values leaving the trace: a Python bool/number/list made from array data
    def __bool__(self):
        return state.leave(self, "bool", bool)

    def __float__(self):
        return state.leave(self, "float", float)

    def __int__(self):
        return state.leave(self, "int", int)

    def __index__(self):
        return state.leave(self, "index", operator.index)

    def __complex__(self):
        return state.leave(self, "complex", complex)

    def item(self, *args):
        return state.leave(self, "item", lambda a: a.item(*args))

    def tolist(self):
        return state.leave(self, "tolist", np.ndarray.tolist)

    def tobytes(self, order="C"):
        return state.leave(self, "tobytes", lambda a: a.tobytes(order))

    def __reduce_ex__(self, protocol):
        return state.leave(self, "pickle", lambda a: a.__reduce_ex__(protocol))

    @property
    def ctypes(self):
        return state.leave(self, "ctypes", lambda a: a.ctypes)

    @property
    def flat(self):
        return state.leave(self, "flat", lambda a: a.flat)

    # -- in-place writes
    def __setitem__(self, index, value):
        state.dispatch_setitem(self, index, value)

    # -- properties that make new arrays or views
    @property
    def T(self):
        return state.dispatch_method(self, "transpose", (), {})

    @property
    def mT(self):
        return state.dispatch_method(self, "swapaxes", (-1, -2), {})

    @property
    def real(self):
        return state.dispatch_function(np.real, (self,), {})

    @property
    def imag(self):
        return state.dispatch_function(np.imag, (self,), {})


def _method(name):
    def method(self, *args, **kwargs):
        return state.dispatch_method(self, name, args, kwargs)
    method.__name__ = name
    method.__doc__ = f"ndarray.{name}, recorded while tracing."
    return method


# ndarray methods that neither call a ufunc nor dispatch through __array_function__
# (sum, mean, max, cumsum, clip, round, ... do; they need nothing here)
RECORDED_METHODS = ("__getitem__", "reshape", "transpose", "swapaxes", "squeeze", "ravel",
                    "flatten", "view", "astype", "copy", "__copy__", "__deepcopy__",
                    "diagonal", "take", "repeat", "compress", "choose", "argmax", "argmin",
                    "argsort", "argpartition", "dot", "nonzero", "searchsorted", "trace",
                    "fill", "put", "sort", "partition", "byteswap", "getfield", "setfield",
                    "resize")
for _name in RECORDED_METHODS:
    setattr(TracedArray, _name, _method(_name))
del _name


def _number(x):
    return type(x) in (int, float, bool, Sym) or isinstance(x, (numbers.Number, np.generic))


def _binary(op, reflected=False):
    def method(self, other):
        if not _number(other):
            return NotImplemented      # e.g. an array's or a Tensor's operator
        if reflected:
            return state.sym_op(op, (other, self))
        return state.sym_op(op, (self, other))
    method.__name__ = op.__name__
    return method


def _unary(op):
    def method(self):
        return state.sym_op(op, (self,))
    method.__name__ = op.__name__
    return method


def _compare(op):
    def method(self, other):
        if not _number(other):
            return NotImplemented
        return state.sym_decide(op, (self, other))
    method.__name__ = op.__name__
    return method


class Sym:
    """A Python number followed by the recorder (see the module docstring).

    ``value`` is its concrete value in this trace (an ``int`` or a ``float``, the type
    the same Python arithmetic gives eagerly); ``ref`` names it in the program.
    Arithmetic gives new Syms; comparisons, ``bool``, ``float``, ``int`` and indexing
    give real Python values and become guards of the program (checked at every replay:
    a different outcome means the program does not apply and the call runs eagerly).
    """

    __slots__ = ("value", "ref")
    __hash__ = None         # unhashable: no cache may keep a Sym as a key

    def __init__(self, value, ref):
        self.value = value
        self.ref = ref

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return state.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return state.dispatch_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        return state.sym_array(self, dtype)

    __add__, __radd__ = _binary(operator.add), _binary(operator.add, True)
    __sub__, __rsub__ = _binary(operator.sub), _binary(operator.sub, True)
    __mul__, __rmul__ = _binary(operator.mul), _binary(operator.mul, True)
    __truediv__, __rtruediv__ = _binary(operator.truediv), _binary(operator.truediv, True)
    __floordiv__ = _binary(operator.floordiv)
    __rfloordiv__ = _binary(operator.floordiv, True)
    __mod__, __rmod__ = _binary(operator.mod), _binary(operator.mod, True)
    __pow__, __rpow__ = _binary(operator.pow), _binary(operator.pow, True)
    __neg__, __pos__, __abs__ = _unary(operator.neg), _unary(operator.pos), _unary(abs)
    __lt__, __le__ = _compare(operator.lt), _compare(operator.le)
    __gt__, __ge__ = _compare(operator.gt), _compare(operator.ge)
    __eq__, __ne__ = _compare(operator.eq), _compare(operator.ne)

    def __bool__(self):
        return state.sym_decide(bool, (self,))

    def __float__(self):
        return state.sym_decide(float, (self,))

    def __int__(self):
        return state.sym_decide(int, (self,))

    def __index__(self):
        return state.sym_decide(operator.index, (self,))

    def __round__(self, ndigits=None):
        return state.sym_op(round, (self,) if ndigits is None else (self, ndigits))

    def __trunc__(self):
        return state.sym_decide(int, (self,))

    def is_integer(self):
        return state.sym_decide(_is_integer, (self,))

    def __repr__(self):
        return repr(self.value)

    def __format__(self, spec):
        return format(self.value, spec)


def _is_integer(x):
    return float(x).is_integer()


numbers.Real.register(Sym)
state.TYPES[:] = [TracedArray, Sym]
# the backward walk adds gradients in place into the sums it made, as for plain arrays
# (recorded as out= calls), so that a trace records what an eager step does
slice_sums.IN_PLACE_TYPES.add(TracedArray)
# relu's gradient as the bits times a mask, as eagerly (fused by numba's kernels too)
elementwise.BIT_MULTIPLY_TYPES.add(TracedArray)
