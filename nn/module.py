"""``Module`` and ``Parameter``: PyTorch's module system on top of ``autograd``.

A Module registers its Parameters, buffers and sub-modules by plain attribute
assignment, exactly like ``torch.nn.Module``::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 8)      # registered as a child "fc1"
            self.fc2 = nn.Linear(8, 1)

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

    net = Net()
    [name for name, _ in net.named_parameters()]
    # ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']

Calling a module pushes its dotted path (``"fc1"``, ``"features.0"``, as in
``named_modules()``) as the autograd scope, so every graph node created inside knows
which module made it and ``draw_graph`` can cluster by module. The outermost model
pushes nothing (it is the whole picture); a lone layer uses its class name. The containers
``Sequential``, ``ModuleList`` and ``ModuleDict`` live in ``containers.py``.
"""
import collections
import itertools
import weakref

import numpy as np

from autograd import Tensor
from autograd.edits import CountedDict
from autograd.hooks import RemovableHandle
from autograd.tensor import reset_grad
from autograd.scope import pop as _pop_scope, push as _push_scope

from . import module_hooks as _hooks
from .overwrite import overwrite_
from .graph_label import lone_path as _lone_path, scope_paths as _scope_paths
from .parameter import Parameter
from .tables import Table as _Table, changes as _tree_changes

__all__ = ["Module", "Parameter", "IncompatibleKeys", "RemovableHandle"]


class IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                              ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find / did not expect."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


# Modules being called right now (outermost first); the outermost one names the paths
# and stamps them with a fresh token, so a path from an earlier, different root is
# never reused. The naming is kept while the same root is called again and no module's
# table of sub-modules or parameters has changed since (``tables.Table`` counts them).
_call_stack = []
_root_tokens = itertools.count()
_current_root = [None]
_named = [None, -1]     # (weak reference to the root that was named last, _tree_changes then)


def _check_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')


class Module:
    """Base class of every layer and model (see the module docstring).

    Subclasses call ``super().__init__()`` first, assign Parameters and sub-modules
    as attributes, and define ``forward``. ``module(x)`` runs ``forward`` inside the
    module's graph scope.
    """

    def __init__(self):
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", _Table())
        setattr_(self, "_buffers", CountedDict())   # (edits counted: autograd.edits)
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", _Table())
        _hooks.tables(self)
        setattr_(self, "_scope_name", None)
        setattr_(self, "_scope_token", None)

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: Module.__init__() was not called; "
                "call super().__init__() first in your __init__")
        _call_stack.append(self)
        pushed = False
        try:
            where = self._scope()
            if where is not None:
                _push_scope(*where)
                pushed = True
            if _hooks.has_hooks(self):
                out = _hooks.call(self, args, kwargs)
            else:
                out = self.forward(*args, **kwargs)
        finally:
            if pushed:
                _pop_scope()
            _call_stack.pop()
        return out

    def _scope(self):
        """The graph scope of this call as ``(name, absolute)``, or None for none.

        The outermost call names the tree (see ``_name_tree``). A model with
        sub-modules is the whole picture, so it pushes no scope and its sub-modules
        become the top-level clusters ("features.0"); a lone layer called on its own
        is one cluster named by its class ("Linear"). A module called inside another
        but not registered anywhere under the root nests by class name.
        """
        if len(_call_stack) == 1:
            root = _named[0]
            if root is None or root() is not self or _named[1] != _tree_changes[0]:
                _current_root[0] = next(_root_tokens)
                self._name_tree()
                _named[0], _named[1] = weakref.ref(self), _tree_changes[0]
            if self._modules:
                return None
            lone = self.__dict__.get("_lone_scope")
            if lone is None:    # the class name, able to describe this layer in pictures
                lone = _lone_path(self)
                object.__setattr__(self, "_lone_scope", lone)
            return lone, True
        path = self.__dict__.get("_scope_name")
        if path and self.__dict__.get("_scope_token") == _current_root[0]:
            return path, True
        return type(self).__name__, False

    def _name_tree(self):
        """Record every sub-module's dotted path and every Parameter's dotted name.

        Run by the outermost call when the root or its tree changed since the last
        naming: the children's scopes are their names under the root (``"features.0"``),
        as in ``named_modules()``.
        """
        for mod, path in _scope_paths(self).items():    # str paths that describe modules
            object.__setattr__(mod, "_scope_name", path)
            object.__setattr__(mod, "_scope_token", _current_root[0])
        for name, p in self.named_parameters():
            if p.name is None or p.name == getattr(p, "_auto_name", None):
                p.name = name
                if isinstance(p, Parameter):
                    p._auto_name = name

    # Hooks (PyTorch's; see module_hooks.py). Each returns a RemovableHandle.
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``(module, args, kwargs)``) runs before ``forward``;
        it may return new args (or ``(args, kwargs)``)."""
        return _hooks.register(self, "_forward_pre_hooks", hook, prepend,
                               with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` (or ``(module, args, kwargs, output)``) runs
        after ``forward``; it may return a new output."""
        return _hooks.register(self, "_forward_hooks", hook, prepend,
                               with_kwargs=with_kwargs, always_call=always_call)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients with respect to the
        outputs are known; it may return a replacement ``grad_output`` tuple."""
        return _hooks.register(self, "_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect
        to the inputs are known; it may return a replacement ``grad_input`` tuple."""
        return _hooks.register(self, "_backward_hooks", hook, prepend)

    # ------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    "cannot assign parameters before Module.__init__() call; "
                    "call super().__init__() first")
            self._remove_everywhere(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError(
                        "cannot assign module before Module.__init__() call; "
                        "call super().__init__() first")
                self._remove_everywhere(name, keep="_modules")
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{type(value).__name__}' as child module '{name}' "
                        "(nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                            "(Tensor or None expected)")
                    buffers[name] = value
                elif name in ("_modules", "_parameters") and isinstance(value, dict):
                    object.__setattr__(self, name, _Table(value))   # a whole new table
                    _tree_changes[0] += 1
                else:
                    object.__setattr__(self, name, value)

    def _remove_everywhere(self, name, keep):
        """Forget ``name`` in every table but ``keep`` (so re-assigning keeps the order)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            table = d.get(key)
            if table is not None and name in table:
                return table[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(key, {}):
                del self.__dict__[key][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        keys = set(super().__dir__())
        for key in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(key, {}))
        return sorted(k for k in keys if not k[0].isdigit())

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                "cannot assign parameter before Module.__init__() call; "
                "call super().__init__() first")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required); wrap it: nn.Parameter(tensor)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                "must be created explicitly: use nn.Parameter(tensor.detach())")
        if param is not None and param.name is None:
            param.name = param._auto_name = name
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a non-learnable state tensor (e.g. BatchNorm's running mean).

        Persistent buffers are saved in ``state_dict``; pass ``persistent=False``
        for scratch state that should not be.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(
                "cannot assign buffer before Module.__init__() call; "
                "call super().__init__() first")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if isinstance(tensor, np.ndarray):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as a child called ``name``."""
        if "_modules" not in self.__dict__:
            raise AttributeError(
                "cannot assign module before Module.__init__() call; "
                "call super().__init__() first")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at dotted path ``target`` ("" is the module itself)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            child = mod._modules.get(item)
            if child is None:
                raise AttributeError(
                    f"{type(mod).__name__} has no submodule `{item}` (path {target!r})")
            mod = child
        return mod

    def get_parameter(self, target):
        """The Parameter at dotted path ``target`` (e.g. ``"fc1.weight"``)."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # ---------------------------------------------------------------- iteration
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; shared parameters are listed once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted path, module) for this module ("" or ``prefix``) and all below it."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:      # iterative pre-order, children in registration order
            path, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield path, module
            kids = [(path + ("." if path else "") + name, child)
                    for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(kids))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    # ------------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set training mode (``True``) or evaluation mode here and in every child."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for module in self.children():   # via train() so that overrides are honoured
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default), or detach it and zero it
        in place (``autograd.tensor.reset_grad``, shared with ``Optimizer.zero_grad``)."""
        for p in self.parameters():
            reset_grad(p, set_to_none)

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively) and then on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Cast floating-point parameters and buffers to a dtype in place.

        Accepts PyTorch's spellings: ``to(np.float64)``, ``to(dtype=...)``,
        ``to("cpu")``, ``to("cpu", np.float64)``; glassgrad only runs on the CPU.
        """
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None and not str(device).startswith("cpu"):
            raise RuntimeError(f"to: glassgrad runs on the CPU only, got device {device!r}")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: only floating point dtypes are supported, got {dtype}")
        for module in self.modules():
            for table in (module._parameters, module._buffers):
                for t in table.values():
                    if t is not None and t.dtype.kind == "f" and t.dtype != dtype:
                        t.data = t.data.astype(dtype)
                        if t.grad is not None:
                            t.grad = Tensor(t.grad.data.astype(dtype))
        return self

    def cpu(self):
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):  # noqa: A003 - PyTorch's name
        return self.to(np.float32)

    # --------------------------------------------------------------- state dict
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.data.copy()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.data.copy()

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An ordered dict ``dotted name -> numpy array`` (copies) of parameters and
        persistent buffers, with PyTorch's keys and shapes.

        ``keep_vars=True`` gives the Parameters/Tensors themselves instead.
        """
        if destination is None:
            destination = collections.OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def _state_targets(self):
        """``dotted key -> (module, table name, local name)`` for every state entry."""
        targets = collections.OrderedDict()

        def visit(module, prefix):
            for name, p in module._parameters.items():
                if p is not None:
                    targets[prefix + name] = (module, "_parameters", name)
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    targets[prefix + name] = (module, "_buffers", name)
            for name, child in module._modules.items():
                if child is not None:
                    visit(child, prefix + name + ".")
        visit(self, "")
        return targets

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (arrays, Tensors or numbers) into the parameters and buffers.

        Values are cast to each parameter's dtype and copied in place, so optimizers
        holding the parameters keep working. Everything is checked before anything is
        written: missing or unexpected keys (when ``strict``) and shape mismatches
        (always) raise a ``RuntimeError`` that lists them, and nothing is changed.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        targets = self._state_targets()
        missing = [k for k, (module, _, name) in targets.items()
                   if k not in state_dict and name not in module._STATE_OPTIONAL]
        unexpected = [k for k in state_dict if k not in targets]
        errors, plan = [], []
        for key, (module, table, name) in targets.items():
            if key not in state_dict:
                continue
            current = getattr(module, table)[name]
            value = state_dict[key]
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if value.shape != current.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} "
                    f"from checkpoint, the shape in current model is {current.shape}.")
                continue
            if value.dtype.kind not in "biuf":
                errors.append(
                    f"dtype mismatch for {key}: a {value.dtype} value from the checkpoint "
                    f"cannot be loaded into a {current.dtype} tensor (expected numbers).")
                continue
            plan.append((current, value))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} "
                "(nothing was loaded):\n\t" + "\n\t".join(errors)
                + "\n\tCompare the keys and shapes with model.state_dict(); pass "
                "strict=False to skip missing/unexpected keys.")
        for current, value in plan:
            overwrite_(current, value.astype(current.dtype, copy=False))
        return IncompatibleKeys(missing, unexpected)

    # Entries an old checkpoint may lack: the current value is kept (PyTorch's
    # ``_load_from_state_dict`` does so for the norms' ``num_batches_tracked``).
    _STATE_OPTIONAL = ()

    # -------------------------------------------------------------------- repr
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (override it)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

