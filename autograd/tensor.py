"""``Tensor``: a NumPy array that remembers how it was made (``Value``, its micrograd-style
subclass, is in ``value.py``).

The class holds data and graph links only; every operator method is the public function
of a declared op (``ag.<name>``: a primitive of ``ops`` or a composite of ``functions``).

>>> import autograd as ag
>>> x = ag.Tensor([1.0, 2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4.])
"""
import itertools
import warnings

import numpy as np

from . import dtypes, grad_mode

_creation = itertools.count()

NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
    ".grad attribute won't be populated during backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
    "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
    "Tensor instead.")


class Tensor:
    """An n-d array with an optional gradient and the graph node that produced it."""

    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "name", "_retains_grad",
                 "_index", "_float", "_ver", "_stamp", "_base", "_hooks", "_post_hooks",
                 "__weakref__")      # _hooks, _post_hooks: set on first registration
    __array_ufunc__ = None          # ndarray <op> Tensor defers to Tensor's reflected op
    __hash__ = object.__hash__      # __eq__ is elementwise; identity hashing keeps dicts fast

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        if isinstance(data, Tensor):
            data = data.data.copy() if dtype is None else data.data
        self._init(dtypes.as_array(data, dtype))
        self.name = name
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, data):
        """Fast initialiser used by ops: ``data`` is already an ndarray."""
        self.data = data
        self._grad = None
        self.requires_grad = False
        self.grad_fn = None
        self.name = None
        self._retains_grad = False
        self._index = next(_creation)
        self._float = data.dtype.kind == "f"
        self._ver = 0

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return F.transpose(self)

    @property
    def mT(self):
        return F.swapaxes(self, -1, -2)

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self.data.ndim

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ------------------------------------------------------------- grad handling
    @property
    def grad(self):
        """The accumulated gradient (a Tensor) or None. Reading it on a non-leaf that
        does not retain its gradient warns, as PyTorch does: backward never fills it."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        self._grad = value

    def requires_grad_(self, flag=True):
        """Set ``requires_grad`` in place (leaves only); returns self."""
        if flag and not self._float:
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients, "
                f"this one is {self.dtype}; convert it first with .astype(np.float32)")
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor; use .detach() instead")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is not None:
            self._retains_grad = True
        return None

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed and may return a
        replacement; returns a handle whose ``remove()`` unregisters it (see ``hooks``)."""
        return hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after backward added to this leaf's ``.grad``."""
        return hooks.register_post_accumulate_grad_hook(self, hook)

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        out = Tensor.__new__(Tensor)
        out._init(self.data)
        inplace.share_version(out, self)
        return out

    def backward(self, gradient=None, retain_graph=False, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``engine``)."""
        engine.backward(self, gradient, retain_graph=retain_graph,
                        create_graph=create_graph, inputs=inputs)

    # ---------------------------------------------------- in-place (see inplace.py)
    @property
    def _version(self):
        """How many times this tensor's memory was modified in place (PyTorch's version
        counter, shared by views: see ``inplace``)."""
        base = getattr(self, "_base", None)
        return self._ver if base is None else base._ver

    @_version.setter
    def _version(self, value):
        inplace.bump(self, value)

    def zero_(self):
        return inplace.fill_(self, np.zeros((), self.data.dtype), "zero_")

    def fill_(self, value):
        return inplace.fill_(self, value)

    def copy_(self, src):
        return inplace.copy_(self, src)

    def add_(self, other, alpha=1):
        return inplace.add_(self, other, alpha)

    def sub_(self, other, alpha=1):
        return inplace.add_(self, other, -alpha, "sub_")

    def mul_(self, other):
        return inplace.mul_(self, other)

    def div_(self, other):
        return inplace.div_(self, other)

    def clamp_(self, min=None, max=None):  # noqa: A002 - PyTorch names
        return inplace.clamp_(self, min, max)

    # --------------------------------------------------------------- conversion
    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to a Python scalar, "
                f"this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        if self.requires_grad:
            # PyTorch refuses; we return the data but as a read-only view so that
            # nobody edits the graph's values behind its back.
            view = self.data.view()
            view.flags.writeable = False
            return view
        return self.data

    def tolist(self):
        return self.data.tolist()

    def float(self):
        return F.astype(self, np.float32)

    def double(self):
        return F.astype(self, np.float64)

    def long(self):
        return F.astype(self, np.int64)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self.data.astype(dtype, copy=bool(copy))
        return self.data.copy() if copy else self.data

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with shape {self.shape} is ambiguous; "
                "use .any() or .all()")
        return bool(self.data.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.data.item())

    def __deepcopy__(self, memo):
        out = Tensor.__new__(Tensor)
        out._init(self.data.copy())
        out.requires_grad = self.requires_grad
        out.name = self.name
        if self._grad is not None:
            out.grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.data, self.requires_grad, self.name))

    # ---------------------------------------------------------------- printing
    def __repr__(self):
        if type(self.data).__name__ == "ReleasedArray":     # see autograd/release.py
            body = f"<freed by backward()>, shape={self.shape}"
        else:
            body = np.array2string(self.data, separator=", ", precision=4,
                                   prefix="tensor(", threshold=200)
        extras = []
        if self.data.dtype not in (dtypes.get_default_dtype(), np.dtype(np.int64),
                                   np.dtype(bool)):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__

    # ---------------------------------------------------------------- operators
    def __pos__(self):
        return self

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))


def quiet_grad(t):
    """``t.grad`` without the non-leaf warning, for tools that look at every tensor of a
    graph (the drawings, the stepper); any object with a ``grad`` attribute works."""
    return t._grad if isinstance(t, Tensor) else getattr(t, "grad", None)


def _rebuild(data, requires_grad, name):
    t = Tensor(data, requires_grad=requires_grad)
    t.name = name
    return t


def stored_grad(t):
    """``t``'s gradient as the engine keeps it: a Tensor or None. (``Value.grad`` reads
    it as a number; code that needs the Tensor reads it here.) Quiet: a non-leaf
    without a gradient is None here, with no warning."""
    if t._grad is None and t.grad_fn is not None:
        return None
    return Tensor.__dict__["grad"].__get__(t, Tensor)   # looked up now: ag.compile swaps it


def set_stored_grad(t, g):
    """Store ``g`` (a Tensor or None) as ``t``'s gradient (see ``stored_grad``)."""
    Tensor.__dict__["grad"].__set__(t, g)


def reset_grad(t, set_to_none=True):
    """What ``zero_grad`` does to one parameter (``nn.Module`` and ``optim.Optimizer``
    share it), as PyTorch 2.13 does: drop the gradient (``set_to_none=True``), or keep
    the same gradient Tensor, detach it in place (it becomes a leaf that does not
    require grad, whether it had a ``grad_fn`` or only ``requires_grad``) and zero it
    in place, bumping its version."""
    grad = stored_grad(t)
    if grad is None:
        return
    if set_to_none:
        set_stored_grad(t, None)
        return
    grad.grad_fn = None             # detach_(): cut from the graph, in place
    grad.requires_grad = False
    grad._retains_grad = False
    grad.zero_()


# The seam: the one import in autograd/ that points up. Tensor is the bottom layer, yet
# backward() needs the engine, the in-place methods inplace.py, register_hook hooks.py,
# and .T/.float() the public functions; those modules import Tensor, so they are
# imported here, after the class exists, and the methods look them up at call time.
# Every other import in autograd/ points down (tests/architecture/test_layering.py).
from . import engine, functions as F, hooks, inplace  # noqa: E402

