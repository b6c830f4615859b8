"""Default dtype and the rules that turn user data into arrays.

* Python scalars and lists become the default float dtype (float32 unless changed
  with ``set_default_dtype``); Python bools become ``bool``.
* NumPy arrays keep their dtype.
* In a binary op a Python scalar never upcasts the tensor: ``x32 * 2.5`` is float32.
"""
import numbers

import numpy as np

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The dtype Python scalars and lists become (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the default float dtype; only float32 and float64 are allowed."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"set_default_dtype: expected float32 or float64, got {dtype}")
    _default_dtype = dtype


def _python_kind(data):
    """'bool', 'number' or None (not plain Python data) for scalars and nested lists."""
    if isinstance(data, bool):
        return "bool"
    if isinstance(data, numbers.Number) and not isinstance(data, np.generic):
        return "number"
    if isinstance(data, (list, tuple)):
        kinds = {_python_kind(item) for item in data}
        if kinds == {"bool"}:
            return "bool"
        if kinds <= {"bool", "number"} and kinds:
            return "number"
        if not data:
            return "number"
    return None


def _ragged_safe(data):
    try:
        return np.asarray(data)
    except ValueError as err:       # ragged nested lists
        raise ValueError(f"tensor: cannot make an array from a {type(data).__name__} whose "
                         f"rows have different lengths ({err})") from None


def as_array(data, dtype=None):
    """Turn user data into a NumPy array following the rules above (no copy if possible)."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    kind = _python_kind(data)
    if kind == "bool":
        return np.asarray(data, dtype=bool)
    if kind == "number":
        arr = _ragged_safe(data)
        if np.iscomplexobj(arr):
            return arr
        return arr.astype(_default_dtype, copy=False)
    arr = _ragged_safe(data)
    if arr.dtype.kind in "OUSVMm":  # objects, strings, bytes, records, dates
        raise TypeError(
            f"tensor: cannot make a numeric array from {type(data).__name__} (it gives "
            f"dtype {arr.dtype}); pass numbers, nested lists of numbers or a numpy array")
    return arr


_SCALARS = {}      # (type, value, dtype) -> read-only 0-d array
_SCALARS_MAX = 64  # a loop's constants fit; values that change every step (an optimizer's
                   # bias correction) only refill it, bounded at a few KB


def scalar_operand(value, like_dtype):
    """A Python scalar as a 0-d array that does not upcast a tensor of ``like_dtype``.

    The arrays are cached (read-only, so sharing them is safe): ``y * 0.5`` in a loop
    otherwise spends more time making the constant than multiplying. Zero (whose sign
    a dict key would lose) and NaN (unequal to itself) are not cached.
    """
    key = (type(value), value, like_dtype)
    try:
        return _SCALARS[key]
    except KeyError:
        pass
    except TypeError:       # an unhashable number type
        return _scalar_array(value, like_dtype)
    const = _scalar_array(value, like_dtype)
    if value != 0 and value == value:
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        const.flags.writeable = False
        _SCALARS[key] = const
    return const


def _scalar_array(value, like_dtype):
    if isinstance(value, bool):
        return np.asarray(value, dtype=like_dtype if like_dtype != bool else bool)
    if like_dtype.kind == "f":
        return np.asarray(value, dtype=like_dtype)
    if isinstance(value, numbers.Integral) and np.issubdtype(like_dtype, np.integer):
        return np.asarray(value, dtype=like_dtype)
    if isinstance(value, numbers.Integral) and like_dtype == bool:
        return np.asarray(value, dtype=np.int64)
    return np.asarray(value, dtype=_default_dtype)
