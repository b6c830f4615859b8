"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict`` (PyTorch's semantics).

>>> import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> model[0]
Linear(in_features=4, out_features=8, bias=True)
>>> model[:2]           # a Sequential of the first two layers (same key names)
Sequential(
  (0): Linear(in_features=4, out_features=8, bias=True)
  (1): ReLU()
)
>>> len(model), [type(m).__name__ for m in model]
(3, ['Linear', 'ReLU', 'Linear'])
"""
import collections
import operator

from autograd import Tensor

from .module import Module, Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, size, kind):
    """A non-negative position for ``idx`` in a container of ``size`` items."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"index {idx} is out of range for a {kind} of length {size}")
    return idx % size


def _renumber(container, modules):
    """Make ``modules`` the children of ``container``, keyed "0", "1", ... (PyTorch keeps
    list-like containers numbered without gaps after a delete or an insert)."""
    container._modules.clear()
    for i, module in enumerate(modules):
        container._modules[str(i)] = module


class _Indexed(Module):
    """The list behaviour ModuleList and ParameterList share.

    The items live in one of the module's own tables, ``_table`` ("_modules" or
    "_parameters"), under the keys "0", "1", ...; a subclass says how a new item is
    registered (``_register(key, item)``).
    """

    _table = None

    def _items(self):
        return self.__dict__[self._table]

    def _register(self, key, item):
        raise NotImplementedError

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self)[idx])
        return self._items()[str(_index(idx, len(self), type(self).__name__))]

    def __len__(self):
        return len(self._items())

    def __iter__(self):
        return iter(self._items().values())

    def __iadd__(self, items):
        return self.extend(items)

    def append(self, item):
        self._register(str(len(self)), item)
        return self

    def extend(self, items):
        for item in items:
            self.append(item)
        return self


class _Keyed(Module):
    """The dict behaviour ModuleDict and ParameterDict share, over the module's own
    table ``_table`` ("_modules" or "_parameters"); a subclass defines ``__setitem__``."""

    _table = None

    def _entries(self):
        return self.__dict__[self._table]

    def __getitem__(self, key):
        return self._entries()[key]

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def items(self):
        return self._entries().items()

    def values(self):
        return self._entries().values()

    def update(self, entries):
        pairs = entries.items() if hasattr(entries, "items") else entries
        for key, value in pairs:
            self[key] = value


class Sequential(Module):
    """Runs its modules in order: ``forward(x) = m_n(...m_2(m_1(x)))``.

    Build it from modules (``Sequential(a, b)``, keys "0", "1", ...) or from an
    ``OrderedDict`` of named modules.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        setattr(self, keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        if isinstance(idx, slice):
            for key in keys[idx]:
                delattr(self, key)
        else:
            delattr(self, keys[_index(idx, len(keys), "Sequential")])
        _renumber(self, list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential + {type(other).__name__}: both must be Sequential")
        return Sequential(*self, *other)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} out of range for length {n}")
        index = index + n if index < 0 else index
        items = list(self._modules.values())
        items.insert(index, module)
        _renumber(self, items)
        return self

    def forward(self, input):  # noqa: A002 - PyTorch's name
        for module in self:
            input = module(input)
        return input


class ModuleList(_Indexed):
    """A list of modules whose parameters are registered (keys "0", "1", ...)."""

    _table = "_modules"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _register(self, key, module):
        self.add_module(key, module)

    def __setitem__(self, idx, module):
        # setattr, as PyTorch: a non-Module gets __setattr__'s "child module" message
        setattr(self, str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            del items[idx]
        else:
            del items[_index(idx, len(items), "ModuleList")]
        _renumber(self, items)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def insert(self, index, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        items = list(self._modules.values())
        items.insert(index, module)
        _renumber(self, items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleList has no forward: iterate over it and call each module yourself")

    def __repr__(self):
        """PyTorch's: runs of modules that print the same collapse to one line,
        ``(0-2): 3 x Linear(...)``."""
        blocks = []                                     # [first, last, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        if not blocks:
            return self._get_name() + "()"
        lines = []
        for first, last, text in blocks:
            head = f"({first}):" if first == last else f"({first}-{last}): {last - first + 1} x"
            lines.append(f"{head} {text}".replace("\n", "\n  "))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(_Keyed):
    """An ordered dict of named modules whose parameters are registered."""

    _table = "_modules"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def pop(self, key):
        module = self._modules[key]
        del self._modules[key]
        return module

    def clear(self):
        self._modules.clear()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            "ModuleDict has no forward: look a module up by key and call it yourself")


def _describe(p):
    """PyTorch's line for one entry, e.g. ``Parameter containing: [float32 of size 2x3]``
    (the dtype by NumPy's name)."""
    kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
    return f"{kind} containing: [{p.dtype} of size {'x'.join(str(n) for n in p.shape)}]"


def _as_parameter(value):
    if isinstance(value, Parameter) or value is None:
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"expected a Parameter or Tensor, got {type(value).__name__}")


class ParameterList(_Indexed):
    """A list of Parameters registered as "0", "1", ... (Tensors are wrapped)."""

    _table = "_parameters"

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _register(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __setitem__(self, idx, value):
        self._register(str(_index(idx, len(self), "ParameterList")), value)

    def extra_repr(self):
        return "\n".join(f"  ({i}): {_describe(p)}" for i, p in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward")


class ParameterDict(_Keyed):
    """An ordered dict of named Parameters (Tensors are wrapped)."""

    _table = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def extra_repr(self):
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in self.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward")
