"""Reference implementations the fuzz campaign checks ops against, where one NumPy
function alone is not the rule (PyTorch's rule differs, or NumPy/SciPy trip on an edge).

An op's ``Fuzz(...)`` names them (``Fuzz(references.squeeze, args="squeeze")``); the
functions here take and return NumPy arrays and never build a graph. SciPy and PyTorch
are imported inside the two functions that need them, so importing autograd needs
neither.

>>> import numpy as np
>>> squeeze(np.zeros((1, 3)), axis=1).shape         # PyTorch: a non-1 axis is left alone
(1, 3)
"""
import numpy as np


def nonempty(fn):
    """``fn`` (a NumPy max/min) that refuses an empty array, as PyTorch's max/min do."""
    def ref(x, axis=None, keepdims=False):
        if x.size == 0:
            raise ValueError("empty")
        return fn(x, axis=axis, keepdims=keepdims)
    ref.__name__ = fn.__name__
    return ref


amax = nonempty(np.max)
amin = nonempty(np.min)


def logsumexp(x, axis=None, keepdims=False):
    """SciPy's, with NumPy's keepdims shape for 0-d inputs."""
    import scipy.special as sp
    if axis == ():
        return x                        # over no axes: log(exp(x)) = x
    if x.size == 0:                     # SciPy trips on empty inputs
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    out = sp.logsumexp(x, axis=axis, keepdims=keepdims)
    return np.reshape(out, np.sum(x, axis=axis, keepdims=keepdims).shape)


def log_softmax(x, axis=None):
    """PyTorch's: a row holding +inf is all NaN (SciPy keeps -inf at the finite
    entries); ours follows PyTorch."""
    import torch
    t = torch.from_numpy(np.array(x, copy=True))
    return torch.log_softmax(t, dim=0 if axis is None else axis).numpy()


def _zero_d_swap(fn):
    """``fn(x, a, b)``; on a 0-d array axes 0/-1 name the whole array (PyTorch)."""
    def ref(x, a, b):
        if x.ndim == 0 and a in (0, -1) and b in (0, -1):
            return x
        return fn(x, a, b)
    ref.__name__ = fn.__name__
    return ref


swapaxes = _zero_d_swap(np.swapaxes)
moveaxis = _zero_d_swap(np.moveaxis)


def flatten(x, start=0, end=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start % x.ndim, end % x.ndim
    if s > e or not (-x.ndim <= start < x.ndim and -x.ndim <= end < x.ndim):
        raise ValueError("flatten")
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def squeeze(x, axis=None):
    """PyTorch's rule: axes that are not of length 1 are left alone."""
    if axis is None:
        return np.squeeze(x)
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % x.ndim if x.ndim else 0 for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    keep = tuple(a for a in axes if x.ndim and x.shape[a] == 1)
    return np.squeeze(x, keep) if keep else x


def expand(x, shape):
    """``broadcast_to`` where -1 keeps that axis's length."""
    lead = len(shape) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if s == -1 else s
                                    for i, s in enumerate(shape)))


def expand_as(x, other):
    return np.broadcast_to(x, other.shape)


def chunk(x, chunks, axis=0):
    """PyTorch's: pieces of ceil(n / chunks), the last one shorter (maybe fewer pieces)."""
    n = x.shape[axis]
    size = max(-(-n // chunks), 1)
    return np.split(x, list(range(size, n, size)), axis)


def pad(x, width, constant_values):
    return np.pad(x, width, constant_values=constant_values)


def getitem(x, index):
    return x[index]


def index_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out
