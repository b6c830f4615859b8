"""Tensor factories and the one random generator (seeded by ``manual_seed``).

``zeros((2, 3))`` and ``zeros(2, 3)`` both work; ``rand``/``randn`` take sizes.
Every factory takes ``dtype=`` and ``requires_grad=``.
"""
import numpy as np

from . import dtypes
from .ops.axes import shape_args
from .tensor import Tensor

__all__ = ["tensor", "zeros", "ones", "full", "eye", "arange", "linspace", "rand", "randn",
           "randint", "zeros_like", "ones_like", "full_like", "empty", "manual_seed",
           "get_rng", "from_numpy", "as_tensor"]

_rng = np.random.default_rng(0)


def manual_seed(seed):
    """Seed the generator behind init, dropout masks and DataLoader shuffles."""
    global _rng
    _rng = np.random.default_rng(int(seed))
    return _rng


def get_rng():
    """The shared ``np.random.Generator`` (use it for any randomness in the library)."""
    return _rng


def _make(data, dtype, requires_grad):
    out = Tensor(data, dtype=dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _float_dtype(dtype):
    return np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def tensor(data, requires_grad=False, dtype=None):
    """A new leaf tensor (copies Tensors and arrays, like ``torch.tensor``)."""
    if isinstance(data, Tensor):
        data = data.data
    arr = dtypes.as_array(data, dtype)
    if isinstance(data, np.ndarray) and arr is data:
        arr = arr.copy()
    return _make(arr, None, requires_grad)


def as_tensor(data, dtype=None):
    """Like ``tensor`` but shares memory with a numpy array when it can."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor(dtypes.as_array(data, dtype))


def from_numpy(array):
    return Tensor(np.asarray(array))


def zeros(*shape, dtype=None, requires_grad=False):
    return _make(np.zeros(shape_args(shape, "zeros"), _float_dtype(dtype)), None, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _make(np.ones(shape_args(shape, "ones"), _float_dtype(dtype)), None, requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    shape = shape_args((shape,), "full") if not isinstance(shape, int) else (shape,)
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else dtypes.get_default_dtype()
    return _make(np.full(shape, fill_value, dtype), None, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), None, requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """NumPy's arange: ints stay int64 unless a float or ``dtype`` is given."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if is_int else dtypes.get_default_dtype()
    return _make(np.arange(start, stop, step, dtype=dtype), None, requires_grad)


def linspace(start, stop, num=50, dtype=None, requires_grad=False):
    return _make(np.linspace(start, stop, num, dtype=_float_dtype(dtype)), None, requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform on [0, 1): ``rand(2, 3)``."""
    data = _rng.random(shape_args(shape, "rand")).astype(_float_dtype(dtype))
    return _make(data, None, requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal: ``randn(2, 3)``."""
    data = _rng.standard_normal(shape_args(shape, "randn")).astype(_float_dtype(dtype))
    return _make(data, None, requires_grad)


def randint(low, high=None, size=(), dtype=np.int64):
    if high is None:
        low, high = 0, low
    return Tensor(_rng.integers(low, high, size=size).astype(dtype))


def zeros_like(x, dtype=None, requires_grad=False):
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    return _make(np.zeros(arr.shape, dtype or arr.dtype), None, requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    return _make(np.ones(arr.shape, dtype or arr.dtype), None, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    return _make(np.full(arr.shape, fill_value, dtype or arr.dtype), None, requires_grad)
