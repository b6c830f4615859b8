"""``Optimizer``: the base every optimizer shares (PyTorch's ``torch.optim.Optimizer``).

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus that group's
hyper-parameters, missing ones filled from ``defaults``) and ``state`` (a dict keyed by
the parameter Tensor holding that parameter's buffers as Tensors, and numbers).
``step`` runs under ``no_grad``: it reads each parameter's ``.grad`` array, keeps its
buffers (Tensors in ``state``) up to date in place, and changes the parameter through
one helper, ``update_``, which writes into the parameter's existing array with NumPy's
``out=`` and bumps its version once; nothing here ever records a graph node.

Frozen parameters (``requires_grad=False``) are accepted, as in PyTorch: like every
parameter without a ``.grad`` they are skipped, and they train again once unfrozen.

>>> import numpy as np, autograd as ag, optim
>>> w = ag.Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.data
array([ 0.8, -1.6])

``state_dict()`` uses PyTorch's layout: ``{"state": {id: {...}}, "param_groups":
[{..., "params": [ids]}]}`` with parameters replaced by integers counted across groups
in order, so a state saved mid-training can be loaded into a fresh optimizer built on
the same parameters and training continues exactly as before. The exported dict holds
only plain data: dicts, lists, tuples (e.g. Adam's ``betas``), NumPy arrays (copies of
the state Tensors), ``int``, ``float``, ``bool``, ``str`` and ``None``; loading turns
the arrays back into Tensors.
"""
import copy
import math
import numpy as np

from autograd import Tensor, enable_grad, zeros_like
from autograd.edits import CountedDefaultDict, CountedDict, CountedList
from autograd.tensor import reset_grad, stored_grad

__all__ = ["Optimizer", "required", "update_"]


class _RequiredParameter:
    """Marks a hyper-parameter that has no default and must be given."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def check_number(owner, name, value, low=0.0, high=None, low_open=False, high_open=True):
    """Raise ``ValueError`` naming ``owner``'s option ``name`` unless ``value`` is a real
    number in the interval (NaN is always refused)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: invalid {name} {value!r}; expected a real number") from None
    bad = math.isnan(x) or (x <= low if low_open else x < low)
    if high is not None:
        bad = bad or (x >= high if high_open else x > high)
    if bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        rng = f"{lo}{low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{owner}: invalid {name} value: {value} (must be in {rng})")
    return x


def _as_state_value(value, param, key):
    """A loaded state entry as kept in ``self.state``: arrays (NumPy, Tensors or e.g.
    torch tensors) become Tensors (copied; float arrays shaped like the parameter are
    cast to its dtype), other 0-d arrays and NumPy scalars become Python numbers (``"step"``
    an int when whole), lists/tuples are converted item by item."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_as_state_value(v, param, key) for v in value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if key == "step":
            number = arr.item()
            return int(number) if float(number).is_integer() else number
        if arr.dtype.kind == "f" and arr.shape == param.shape:
            return Tensor(np.array(arr, dtype=param.dtype, copy=True))
        if arr.ndim == 0:
            return arr.item()
        return Tensor(np.array(arr, copy=True))
    if hasattr(value, "numpy") and hasattr(value, "detach"):      # e.g. a torch.Tensor
        return _as_state_value(value.detach().cpu().numpy(), param, key)
    return copy.deepcopy(value)


def _exported(value):
    """Plain data for ``state_dict``: Tensors and arrays become NumPy array copies,
    NumPy scalars Python numbers; dicts, lists and tuples are converted item by item."""
    if isinstance(value, Tensor):
        return np.array(value.data, copy=True)
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _exported(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_exported(v) for v in value)
    return copy.deepcopy(value)


# PyTorch's implementation switches are accepted wherever its signature has them and
# kept in ``defaults`` (so ``param_groups`` carry PyTorch's keys). foreach (batched
# kernels), fused (one kernel per step) and capturable (CUDA-graph capture) choose how
# PyTorch computes the same update; glassgrad has one implementation, in place (a NumPy
# loop over the parameters; Adam/AdamW/momentum SGD on flat per-group buffers for small
# parameters, flat.py), so they change nothing. differentiable=True (a graph through the
# update) is refused in ``add_param_group``.


def update_(p, delta=None, alpha=1.0, *, decay=None, value=None):
    """The one way an optimizer changes a parameter: in place, and counted once.

        θ ← decay·θ + alpha·delta        (decay, delta optional)
        θ ← value                        (``value=``: restore or assign)

    The new values go into ``p.data`` itself with NumPy's ``out=`` (the same array
    object: views of it and modules holding it stay valid; the parameter keeps its
    dtype), and ``p._version`` is bumped exactly once, however many terms the update
    has, so the engine knows the parameter changed. ``delta``/``value`` may be arrays or
    Tensors of ``p``'s shape.

    >>> import numpy as np, autograd as ag
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> update_(w, np.array([10.0, 10.0]), alpha=-0.1, decay=0.5)
    >>> w.data.tolist(), w._version
    ([-0.5, 0.0], 1)
    """
    data = p.data
    if value is not None:
        new = value.data if isinstance(value, Tensor) else np.asarray(value)
        _check_update_shape(data, new)
        np.copyto(data, new, casting="same_kind")
    else:
        if decay is not None and decay != 1:
            np.multiply(data, decay, out=data, casting="same_kind")
        if delta is not None:
            step = delta.data if isinstance(delta, Tensor) else delta
            _check_update_shape(data, step)
            if alpha != 1:
                step = step * alpha
            np.add(data, step, out=data, casting="same_kind")
    p._version = p._version + 1


def _check_update_shape(data, new):
    if np.shape(new) != data.shape:
        raise RuntimeError(f"optimizer: the update for a parameter of shape {data.shape} "
                           f"has shape {np.shape(new)}")


class Optimizer:
    """Base class: parameter groups, per-parameter state, closures and state dicts.

    Subclasses call ``super().__init__(params, defaults)`` after validating their
    hyper-parameters, may override ``_validate_group(group)`` (run for every group,
    including ones added later) and implement ``step(closure=None)``.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or of "
                "dicts, but got a single Tensor; wrap it in a list: [x]")
        if isinstance(params, dict):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or of "
                "dicts, but got one dict; wrap it in a list: [{'params': ...}]")
        # (dicts and lists that count their edits, for ag.compile's guards: autograd.edits)
        self.state = CountedDefaultDict(CountedDict)
        self.param_groups = CountedList()
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list; "
                             "pass the tensors to train, e.g. [w, b]")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------- groups
    def _validate_group(self, group):
        """Check one group's hyper-parameters (override in subclasses)."""
        if "lr" in group:
            check_number(type(self).__name__, "lr", group["lr"])

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"`` and optional overrides).

        Missing options are filled from ``defaults``; a parameter may belong to one
        group only.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the group has no 'params' entry")
        group = CountedDict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be in an ordered collection (a list), "
                            "not a set, so that their order is the same in every run")
        params = list(params)
        if len(params) == 0:
            raise ValueError(f"{name}: a parameter group got an empty parameter list")
        for k, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, but parameter {k} is a "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (parameter {k}, shape "
                    f"{p.shape}, made by {p.grad_fn.name}); pass the leaf it was computed "
                    "from, or x.detach().requires_grad_()")
            if p.dtype.kind != "f":
                raise ValueError(f"{name}: parameter {k} has dtype {p.dtype}; only floating "
                                 "point tensors can be optimized")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter "
                             "group; each parameter may belong to one group only")
        group["params"] = CountedList(params)
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of "
                                 f"required optimization parameter {key}")
            group.setdefault(key, default)
        if group.get("differentiable"):
            raise ValueError(
                f"{name}: differentiable=True (recording the update itself in the graph, "
                "to differentiate through training steps) is not supported; glassgrad "
                "updates parameters in place under no_grad. Use differentiable=False.")
        self._validate_group(group)
        self.param_groups.append(group)

    # --------------------------------------------------------------- stepping
    @staticmethod
    def _eval_closure(closure):
        """Run ``closure`` with graph recording on (``step`` itself runs under no_grad)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default), or detach it and zero it
        in place (``autograd.tensor.reset_grad``, shared with ``Module.zero_grad``)."""
        for group in self.param_groups:
            for p in group["params"]:
                reset_grad(p, set_to_none)

    def _params_with_grad(self, group):
        """``(p, g)`` for every parameter of ``group`` that has a gradient: the loop every
        ``step`` runs. ``g`` is the gradient's NumPy array (negated, a new array, when the
        group maximizes); it may be ``p.grad``'s own memory, so read it, never write it."""
        maximize = group.get("maximize", False)
        for p in group["params"]:
            if stored_grad(p) is not None:
                yield p, self._grad_of(p, maximize)

    def _lazy_state(self, p, **buffers):
        """``self.state[p]``; on first use set to ``step = 0`` and a zero Tensor like ``p``
        for each buffer whose flag is true, in the order given (PyTorch's state_dict order),
        e.g. ``self._lazy_state(p, exp_avg=True, max_exp_avg_sq=group["amsgrad"])``."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = 0
            for name, wanted in buffers.items():
                if wanted:
                    state[name] = zeros_like(p)
        return state

    def _grad_of(self, p, maximize=False):
        """``p``'s gradient as a NumPy array (negated when maximizing), shape-checked."""
        g = stored_grad(p).data
        if g.shape != p.data.shape:
            raise RuntimeError(f"{type(self).__name__}: the gradient of a parameter "
                               f"has shape {g.shape} but the parameter has shape {p.shape}")
        return -g if maximize else g

    @staticmethod
    def _clone(array):
        """A state buffer holding a copy of ``array`` (that nothing else can change)."""
        return Tensor(np.array(array, copy=True))

    @staticmethod
    def _write(p, new):
        """θ ← new (a Tensor or array): ``update_`` with ``value=`` (kept for LBFGS and the
        second-order optimizers, which restore saved values)."""
        update_(p, value=new)

    # ------------------------------------------------------------ state dicts
    def _param_ids(self):
        ids, start = {}, 0
        for group in self.param_groups:
            for k, p in enumerate(group["params"]):
                ids.setdefault(id(p), start + k)
            start += len(group["params"])
        return ids

    def state_dict(self):
        """``{"state": {int: {name: array|number}}, "param_groups": [{..., "params": [int]}]}``.

        Parameters are referred to by their position counted across all groups. State
        Tensors are exported as NumPy array copies (so training on does not change a
        saved state dict) and NumPy scalars as Python numbers; see the module docstring
        for the complete list of value types.
        """
        ids = self._param_ids()
        groups, start = [], 0
        for group in self.param_groups:
            packed = {k: _exported(v) for k, v in group.items() if k != "params"}
            packed["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(packed)
        state = {ids[id(p)]: _exported(dict(s)) for p, s in self.state.items()
                 if id(p) in ids}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict made by ``state_dict()`` (ours or PyTorch's with arrays for tensors).

        The number of groups and each group's size must match; arrays (or Tensors)
        become state Tensors, copied and, when shaped like the parameter, cast to its
        dtype; ``"step"`` counters and 0-d arrays become numbers.
        """
        name = type(self).__name__
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups', got keys {sorted(state_dict)}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        for k, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {k} has "
                                 f"{len(s['params'])} parameters in the state dict but "
                                 f"{len(g['params'])} in the optimizer")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            for p, i in zip(g["params"], s["params"]):
                id_map[int(i)] = p
        state = CountedDefaultDict(CountedDict)
        for key, entry in state_dict["state"].items():
            key = int(key)
            if key not in id_map:
                raise ValueError(f"{name}.load_state_dict: state refers to parameter {key}, "
                                 "which is in no parameter group")
            p = id_map[key]
            state[p] = CountedDict((k, _as_state_value(v, p, k)) for k, v in entry.items())
        new_groups = CountedList()
        for g, s in zip(self.param_groups, saved_groups):
            merged = CountedDict((k, copy.deepcopy(v)) for k, v in s.items() if k != "params")
            merged["params"] = g["params"]
            for key, default in self.defaults.items():      # options newer than the save
                merged.setdefault(key, copy.deepcopy(default))   # (as PyTorch's setstate)
            new_groups.append(merged)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
