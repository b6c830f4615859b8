"""Module hooks: running a call with them, and backward hooks (PyTorch's
``torch.utils.hooks.BackwardHook``).

``call(module, args, kwargs)`` is ``Module.__call__`` once any hook is registered, in
PyTorch's order: backward-hook setup, forward pre-hooks (which may replace the
arguments), the input taps, ``forward``, forward hooks (which may replace the
output), the output taps. A forward hook registered with ``always_call=True`` runs
even when ``forward`` raised.

When a module has full backward hooks or backward pre-hooks, each call wraps its
tensor arguments and its output(s) in identity nodes (``autograd.hooks.tap``, drawn
as ``BackwardHookFunctionBackward``):

* when backward reaches the output tap, the gradients with respect to the outputs,
  ``grad_output`` (a tuple with None for non-tensor outputs or outputs that got
  no gradient), go through each ``hook(module, grad_output)`` registered with
  ``register_full_backward_pre_hook``, which may return a replacement tuple;
* when it reaches the input tap, i.e. once every gradient with respect to the
  inputs is known, ``hook(module, grad_input, grad_output)`` (registered with
  ``register_full_backward_hook``) sees them (``grad_input`` has one entry per
  positional argument: None for non-tensors, zeros for tensors that got none) and
  may return a replacement ``grad_input``.

If no input requires a gradient, the full backward hooks fire at the output tap with
``grad_input`` all None (PyTorch warns about this, and so do we).
"""
import collections
import warnings

from autograd import Tensor, is_grad_enabled
from autograd.hooks import add_hook, as_hook_arg, from_hook_result, hook_dict, tap

HOOK_TABLES = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
               "_backward_pre_hooks")


def tables(module):
    """Create the module's hook tables that it lacks (``Module.__init__``, or a module
    unpickled from before they existed)."""
    d = module.__dict__
    for name in HOOK_TABLES:
        if not isinstance(d.get(name), collections.OrderedDict):
            object.__setattr__(module, name, hook_dict(d.get(name) or ()))
    if "_hook_flags" not in d:
        object.__setattr__(module, "_hook_flags", {})  # handle id -> {"with_kwargs", ...}


def register(module, table, hook, prepend=False, **flags):
    """Add ``hook`` to one of the module's tables and return its handle."""
    tables(module)               # a no-op unless restored from before the tables
    hooks = module.__dict__[table]
    flag_table = module._hook_flags

    def forget():
        flag_table.pop(handle.id, None)
    handle = add_hook(hooks, hook, prepend, on_remove=forget)
    if any(flags.values()):
        flag_table[handle.id] = flags
    return handle


def has_hooks(module):
    # Every module call asks: the four tables of HOOK_TABLES spelled out, not an
    # any() over a generator (~3x the time).
    d = module.__dict__
    return bool(d.get("_forward_hooks") or d.get("_forward_pre_hooks")
                or d.get("_backward_hooks") or d.get("_backward_pre_hooks"))


def call(module, args, kwargs):
    """Run ``module.forward`` with its hooks (see the module docstring)."""
    tables(module)
    d = module.__dict__
    flags = d["_hook_flags"]
    bw_hook = None
    if d["_backward_hooks"] or d["_backward_pre_hooks"]:
        bw_hook = BackwardHook(module, d["_backward_hooks"].values(),
                               d["_backward_pre_hooks"].values())
    for key, hook in list(d["_forward_pre_hooks"].items()):
        if flags.get(key, {}).get("with_kwargs"):
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    if bw_hook is not None:
        args = bw_hook.setup_input_hook(args)
    called = set()
    try:
        out = module.forward(*args, **kwargs)
        for key, hook in list(d["_forward_hooks"].items()):
            called.add(key)
            if flags.get(key, {}).get("with_kwargs"):
                res = hook(module, args, kwargs, out)
            else:
                res = hook(module, args, out)
            if res is not None:
                out = res
    except Exception:
        for key, hook in list(d["_forward_hooks"].items()):
            if key in called or not flags.get(key, {}).get("always_call"):
                continue
            try:
                if flags[key].get("with_kwargs"):
                    hook(module, args, kwargs, None)
                else:
                    hook(module, args, None)
            except Exception as err:     # PyTorch warns and re-raises the first error
                warnings.warn(f"forward hook with always_call=True raised an exception "
                              f"that was silenced, as another error was raised in "
                              f"forward: {err}", stacklevel=2)
        raise
    if bw_hook is not None:
        out = bw_hook.setup_output_hook(out)
    return out


class BackwardHook:
    """The state of one module call with backward hooks (see the module docstring)."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = list(user_hooks)
        self.user_pre_hooks = list(user_pre_hooks)
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    def setup_input_hook(self, args):
        # PyTorch's input tap is a Function: inputs that got no gradient show zeros
        res, self.input_index = _tap_tensors(args, self._input_grads, materialize=True)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        if not all(isinstance(a, Tensor) or a is None for a in args) and not is_tuple:
            warnings.warn("For backward hooks to be called, module output should be a "
                          "Tensor or a tuple of Tensors", stacklevel=3)
        res, self.output_index = _tap_tensors(args, self._output_grads)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]

    def _output_grads(self, grads, create_graph):
        """At the output tap: pre-hooks on grad_output; full hooks if no input tap."""
        packed = _pack(self.output_index, [as_hook_arg(g) for g in grads], self.n_outputs)
        self.grad_outputs = packed
        for hook in self.user_pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            new = new if isinstance(new, tuple) else (new,)
            if len(new) != len(packed):
                raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(new)}, but expected "
                                   f"{len(packed)} ({type(self.module).__name__})")
            self.grad_outputs = new
        local = self.grad_outputs
        if self.input_index is None:
            if self.user_hooks:
                warnings.warn("Full backward hook is firing when gradients are computed "
                              "with respect to module outputs since no inputs require "
                              "gradients", stacklevel=2)
            grad_inputs = (None,) * max(self.n_inputs, 0)
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for "
                                       "all gradients.")
            self.grad_outputs = None
        who = f"a backward pre hook of {type(self.module).__name__}"
        return [from_hook_result(local[i], g, create_graph, who)
                for i, g in zip(self.output_index, grads)]

    def _input_grads(self, grads, create_graph):
        """At the input tap: the full backward hooks see grad_input and grad_output."""
        if self.grad_outputs is None:    # reached without passing the outputs' tap
            return grads
        res = _pack(self.input_index, [as_hook_arg(g) for g in grads], self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            out = out if isinstance(out, tuple) else (out,)
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of "
                                   f"grad_input, got {len(out)}, but expected {len(res)} "
                                   f"({type(self.module).__name__})")
            res = out
        self.grad_outputs = None
        who = f"a full backward hook of {type(self.module).__name__}"
        return [from_hook_result(res[i], g, create_graph, who)
                for i, g in zip(self.input_index, grads)]


def _pack(indices, values, size):
    packed = [None] * size
    for i, v in zip(indices, values):
        packed[i] = v
    return tuple(packed)


def _tap_tensors(args, on_grads, materialize=False):
    """``args`` with its tensors replaced by tapped copies, and their positions (None
    and ``args`` unchanged when none requires grad or grad mode is off)."""
    index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    if not (is_grad_enabled() and any(args[i].requires_grad for i in index)):
        return args, None
    new = tap([args[i] for i in index], on_grads, materialize=materialize)
    out = list(args)
    for i, t in zip(index, new):
        out[i] = t
    if type(args) is tuple:
        return tuple(out), index
    return type(args)(*out), index
