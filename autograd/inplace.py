"""In-place modification, made safe with version counters (PyTorch's scheme).

A node keeps references to its input Tensors and reads their ``.data`` again during
backward (``d(a*b)/da = b``). Changing ``b`` in place between the forward pass and
``backward()`` would silently give a wrong gradient, so:

* every in-place write bumps the tensor's ``_version`` (``add_ sub_ mul_ div_ copy_
  fill_ zero_ clamp_``, ``x[i] = v``, and anything else that does ``t._version += 1``,
  e.g. optimizer steps and ``nn.init``);
* in-place writes are refused on tensors made by an op (``grad_fn`` set) and on leaves
  that require grad while grad mode is on: do them under ``ag.no_grad()``;
* at backward, before a node's VJP runs, its inputs (and its output) must not have
  been written since the node was recorded; otherwise a ``RuntimeError`` names the op,
  the input position and shape, and the versions.

The check is cheap: one global counter ``CLOCK.count`` counts every in-place write in
the process. A node stores the counter's value when it is created (``node.clock``);
the walk looks at the inputs only when the counter has moved since then. Each write
stamps the tensor with the new counter value (``_stamp`` keeps the last few), so
"written after the node was recorded" is ``last stamp > node.clock``, and the version
the node saw is the current one minus the writes stamped after ``node.clock``.

Views share one counter, as in PyTorch: ``detach()``, basic slicing (``x[0:2]``,
``x[:, 1]``), ``reshape``/``view``/``flatten``/``squeeze``/``unsqueeze`` when NumPy
returns a view, ``transpose``/``.T``/``permute``/``swapaxes``, ``expand``/
``broadcast_to``. The result remembers the tensor whose memory it shares (``_base``,
the root of a chain of views): a write through any of them bumps the root's counter,
and every check looks at the root's, so ``x[0:2].mul_(10)`` under ``no_grad`` makes a
later ``backward`` through an op that saved ``x`` (or another view of it) fail.

Not detected (documented limits): writing into ``t.data`` with NumPy directly
(``t.data[0] = 1``), writes through NumPy views obtained outside glassgrad, and
mutating a NumPy array passed to an op as a constant. Use the methods above. (Catching
them would mean fingerprinting every saved array at every op, or making saved arrays
read-only, which the optimizers' in-place updates of the same arrays would then trip.)

>>> import autograd as ag
>>> w = ag.tensor([1.0, 2.0], requires_grad=True)
>>> loss = (w * w).sum()
>>> with ag.no_grad():
...     _ = w.sub_(0.1)             # an optimizer step before backward
>>> loss.backward()                 # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
RuntimeError: backward: input 0 of 'mul' (node #...), a tensor of shape (2,), was modified...
"""
import numpy as np

from . import grad_mode, tensor as tensor_module
from .tensor import Tensor


class _Clock:
    """The process-wide count of in-place writes (see the module docstring)."""

    count = 0


CLOCK = _Clock()


_KEEP = 8      # clock stamps of the last writes kept per tensor (to report versions)


def _record(t, stamp):
    log = getattr(t, "_stamp", None)
    if log is None:
        t._stamp = [stamp]
    else:
        log.append(stamp)
        if len(log) > _KEEP:
            del log[0]


def _counter(t):
    """(version, recent write stamps) of the memory ``t`` holds: an alias made by
    ``detach()`` reports its base's, which counts the writes through every alias."""
    base = getattr(t, "_base", None)
    owner = base if base is not None else t
    return owner._ver, getattr(owner, "_stamp", ())


def _last_write(t):
    log = _counter(t)[1]
    return log[-1] if log else 0


def _saved_version(t, clock):
    """The version ``t`` had when the clock read ``clock`` ("at most" if out of the log)."""
    now, log = _counter(t)
    later = sum(1 for s in log if s > clock)
    exact = len(log) < _KEEP or log[0] <= clock
    return now, ("" if exact else "at most ") + str(now - later)


def bump(t, value):
    """Set ``t``'s version to ``value`` (normally old + 1) and stamp the write."""
    CLOCK.count += 1
    t._ver = value
    _record(t, CLOCK.count)
    base = getattr(t, "_base", None)
    if base is not None:
        base._ver += 1
        _record(base, CLOCK.count)


def share_version(view, base):
    """``view`` (a detached tensor sharing ``base``'s data) reports writes to ``base``."""
    root = getattr(base, "_base", None)      # a Tensor: never test it for truth
    view._base = base if root is None else root


def mark_view(out, x):
    """``out``, made by a view op (basic indexing, reshape, transpose, expand...) from
    ``x``, shares ``x``'s version counter when it shares its memory (as PyTorch's
    views do): a write through either is seen by every node that saved the other.
    Returns ``out``."""
    data = out.data
    if type(data) is not np.ndarray or data.base is None or not isinstance(x, Tensor):
        return out
    if data.base is x.data:         # a view of x's own array (x[t], W.T): shares unless empty
        shares = data.size != 0
    else:
        shares = np.may_share_memory(data, x.data)
    if shares:
        share_version(out, x)
    return out


def check_versions(node):
    """Raise if an input or the output of ``node`` was written after it was recorded."""
    clock = node.clock
    for i, x in enumerate(node.inputs):
        if isinstance(x, Tensor) and _last_write(x) > clock:
            now, then = _saved_version(x, clock)
            raise RuntimeError(
                f"backward: input {i} of '{node.name}' (node #{node.index}), a tensor of "
                f"shape {x.shape}, was modified by an in-place operation after it was "
                f"used by '{node.name}': it is at version {now}, '{node.name}' saved it "
                f"at version {then}. Copy it before modifying (ag.tensor(x)), use an "
                "out-of-place op (x = x + 1), or modify it after backward().")
    out = node.out()
    if out is not None and _last_write(out) > clock:
        raise RuntimeError(
            f"backward: the output of '{node.name}' (node #{node.index}), shape "
            f"{out.shape}, was modified in place (directly under no_grad, or through a "
            f"view or detached alias) after it was computed; its gradient may need the "
            "original value. Copy it before modifying (ag.tensor(y.detach())), or modify "
            "it with grad mode on, which records the write.")


def records(t, value=None):
    """True if an in-place write of ``value`` into ``t`` is recorded in the graph, as
    PyTorch records it: while grad mode is on, into a tensor made by an op, or into a
    tensor that needs no gradient from a ``value`` that does (``buf[1:] = w * 2``:
    ``buf`` becomes part of the graph and the gradient reaches ``w``)."""
    if not grad_mode.STATE.enabled:
        return False
    if t.grad_fn is not None:
        return True
    return (not t.requires_grad and isinstance(value, Tensor) and value.requires_grad)


def check_view_write(t, opname):
    """Refuse a recorded in-place write into a view (``t._base`` set) while gradients
    are recorded. A view of a leaf that requires grad gets PyTorch's error; a view of a
    tensor made by an op would need the write recorded on its base (PyTorch does), which
    glassgrad does not do, so it is refused rather than leaving the base unchanged."""
    base = getattr(t, "_base", None)
    if base is None or not grad_mode.STATE.enabled:
        return
    if base.grad_fn is None and base.requires_grad:
        raise RuntimeError(
            f"{opname}: a view of a leaf Variable that requires grad is being used in an "
            f"in-place operation (view shape {t.shape}, leaf shape {base.shape}); do it "
            "inside `with ag.no_grad():` (as optimizers do) or use the out-of-place op")
    if t.requires_grad:
        raise RuntimeError(
            f"{opname}: an in-place write into a view of another tensor (view shape "
            f"{t.shape}; its base, shape {base.shape}, was computed by an op) cannot be "
            "recorded in the graph while gradients are recorded; use the out-of-place op "
            "(inplace=False), write into the base tensor itself (base[i] = v, "
            "base.add_(...)), or make the view a tensor of its own first (v = v * 1)")


def record_write(t, fn, opname):
    """A write that ``records`` says is recorded: ``t`` becomes ``fn(old value)`` in the
    graph (``rebase_``). Refused on a view of another tensor: the base would neither
    see the recorded value nor pass its gradient on."""
    check_view_write(t, opname)
    if getattr(t, "_base", None) is not None:
        raise RuntimeError(
            f"{opname}: an in-place write into a view of another tensor (shape {t.shape}) "
            "cannot be recorded in the graph while gradients are recorded; write into the "
            "base tensor itself (base[i] = v, base.add_(...)), or make the view a tensor "
            "of its own first (v = v * 1)")
    return rebase_(t, fn, opname, adopt=t.grad_fn is None)


def check_allowed(t, opname, hint=""):
    """Refuse in-place writes that would corrupt a gradient (see the module docstring):
    a leaf that requires grad while grad mode is on, and (with ``hint``, for writes
    that cannot be recorded) a tensor made by an op while grad mode is on. Under
    ``no_grad`` a tensor made by an op may be written, as in PyTorch: the version bump
    makes a backward through any node that used it fail."""
    if t.grad_fn is not None and grad_mode.STATE.enabled:
        raise RuntimeError(
            f"{opname}: in-place modification of a tensor computed by '{t.grad_fn.name}' "
            f"(node #{t.grad_fn.index}, shape {t.shape}) would make the gradients of its "
            f"graph wrong; use an out-of-place op instead (y = y + 1){hint}")
    if t.requires_grad and grad_mode.STATE.enabled:
        raise RuntimeError(
            f"{opname}: a leaf tensor that requires grad (shape {t.shape}) cannot be "
            "modified in-place while gradients are recorded; do it inside "
            f"`with ag.no_grad():` (as optimizers do) or use an out-of-place op{hint}")


def _array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _write(t, opname, value, fn, graph_fn=None):
    """Check, run ``fn()`` (which writes ``value`` into ``t.data``), bump the version.
    Where the write is recorded (``records``), ``graph_fn(old)`` computes the new value
    out of place and ``rebase_`` makes ``t`` its result."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{opname}: expected a Tensor, got {type(t).__name__}")
    if graph_fn is not None and records(t, value):
        return record_write(t, graph_fn, opname)
    check_allowed(t, opname)
    try:
        fn()
    except TypeError as err:            # NumPy's casting errors (UFuncTypeError)
        raise TypeError(
            f"{opname}: cannot write {_describe(value)} into a tensor of dtype {t.dtype} "
            f"and shape {t.shape} in place ({err}); use an out-of-place op or .astype() "
            "first") from None
    except ValueError as err:           # broadcasting, read-only arrays
        raise ValueError(
            f"{opname}: cannot write {_describe(value)} into a tensor of shape {t.shape} "
            f"in place: {err}") from None
    t._version = t._ver + 1
    return t


def _describe(value):
    if isinstance(value, str):
        return value
    a = _array(value)
    return f"{a.dtype} values of shape {a.shape}"


def _operand(value):
    """A Tensor stays (it may need a gradient), anything else becomes an array."""
    return value if isinstance(value, Tensor) else np.asarray(value)


def _replace(t, value):
    """Out of place: ``value`` (cast to t's dtype) broadcast over ``t``'s shape, with no
    gradient to ``t``'s old value (the recorded form of copy_/fill_/zero_)."""
    def fn(old):
        F = tensor_module.F     # the public functions, through tensor.py's seam import
        v = F.astype(value, old.dtype) if isinstance(value, Tensor) else value
        return F.where(np.zeros(old.shape, dtype=bool), old, v)
    return fn


def add_(t, other, alpha=1, opname="add_"):
    """t += alpha * other (in place; ``sub_`` is alpha = -alpha)."""
    other = _operand(other)
    v = _array(other)
    if alpha != 1:
        v = v * alpha

    def run():
        np.add(t.data, v, out=t.data, casting="same_kind")
    return _write(t, opname, other, run,
                  lambda old: old + (other if alpha == 1 else other * alpha))


def mul_(t, other):
    """t *= other (in place)."""
    other = _operand(other)
    v = _array(other)
    return _write(t, "mul_", other,
                  lambda: np.multiply(t.data, v, out=t.data, casting="same_kind"),
                  lambda old: old * other)


def div_(t, other):
    """t /= other (in place; float tensors only, as true division gives floats)."""
    other = _operand(other)
    v = _array(other)
    return _write(t, "div_", other,
                  lambda: np.true_divide(t.data, v, out=t.data, casting="same_kind"),
                  lambda old: old / other)


def copy_(t, src):
    """Copy ``src`` (broadcast to t's shape, same-kind cast) into t."""
    src = _operand(src)
    v = _array(src)
    return _write(t, "copy_", src,
                  lambda: np.copyto(t.data, v, casting="same_kind"), _replace(t, src))


def fill_(t, value, opname="fill_"):
    """Set every element to the number ``value``."""
    value = _operand(value)
    v = _array(value)
    if v.ndim != 0:
        raise ValueError(f"{opname}: expected a number or a 0-d tensor, got shape {v.shape}")
    return _write(t, opname, value,
                  lambda: np.copyto(t.data, v, casting="same_kind"), _replace(t, value))


def clamp_(t, min=None, max=None):  # noqa: A002 - PyTorch names
    """Clip t to [min, max] in place."""
    if min is None and max is None:
        raise ValueError("clamp_: give at least one of min and max")

    def clipped(old):
        return tensor_module.F.clip(old, min, max)   # through tensor.py's seam import
    return _write(t, "clamp_", "clipped values",
                  lambda: np.clip(t.data, min, max, out=t.data, casting="same_kind"),
                  clipped)



def rebase_(t, fn, opname, adopt=False):
    """``t ← fn(t)`` in place, also on a tensor that is part of a graph: PyTorch's
    in-place ops (``F.relu_(x)``, ``nn.ReLU(inplace=True)``, ``F.dropout(x, inplace=True)``).

    ``fn`` computes the new value out of place from a tensor (one op or several). Off
    the graph (grad mode off, or ``t`` needs no gradient) the values are written into
    ``t`` and its version is bumped. On the graph ``t`` is "rebased", as in PyTorch: a
    new tensor takes over ``t``'s old value and its place in the graph, ``fn`` is
    applied to that, and ``t`` becomes the result, with the last op of ``fn`` as its
    ``grad_fn``. ``t``'s memory is written when ``t`` owns it (views of ``t`` see the new
    values) or, off the graph, when ``t`` is a view (its base sees them, as in PyTorch),
    else ``t`` gets the new array. Checks, as PyTorch's:

    * a leaf that requires grad, or a view of one, is refused while gradients are
      recorded; so is a view of a tensor made by an op (PyTorch records that write on
      the base, glassgrad does not: ``check_view_write``);
    * the version bump makes ``backward`` refuse ops that used ``t`` before the write;
    * if the op that made ``t`` reads its output in its gradient (relu, sigmoid, tanh,
      exp, softmax, ...: found in the VJP's bytecode), ``backward`` through it raises
      "modified by an inplace operation" (glassgrad keeps the old value, but follows
      PyTorch's rule). A custom Function that saved its output is refused at once.

    >>> import autograd as ag
    >>> x = ag.tensor([-1.0, 2.0], requires_grad=True)
    >>> y = x * 3
    >>> _ = rebase_(y, ag.relu, "relu_")
    >>> y.grad_fn.name, y.tolist()
    ('relu', [0.0, 6.0])
    >>> y.sum().backward(); x.grad.tolist()
    [0.0, 3.0]
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"{opname}: expected a Tensor, got {type(t).__name__}")
    recording = grad_mode.STATE.enabled
    if t.grad_fn is None and t.requires_grad and recording:
        raise RuntimeError(
            f"{opname}: a leaf tensor that requires grad (shape {t.shape}) is being used in "
            "an in-place operation; use the out-of-place op (inplace=False), or do it "
            "inside `with ag.no_grad():`")
    check_view_write(t, opname)
    if adopt and recording and not t.requires_grad:
        return _adopt(t, fn)
    if not (recording and t.requires_grad):
        _store(t, fn(t).data, _owns_memory(t, ()) or _writable_view(t, opname))
        t._version = t._ver + 1
        return t
    old, through = _split_off_old_value(t, opname)
    res = fn(old)
    if res.grad_fn is None:
        raise RuntimeError(f"{opname}: the in-place computation did not end in a graph op")
    new = res.data
    if not through and np.shares_memory(new, old.data):
        new = new.copy()
    _store(t, new, through)
    t._version = t._ver + 1                   # earlier users of t fail their check ...
    _take_place_of(t, res)                    # ... and t takes the result's place
    return t


def _owns_memory(t, saved):
    """True if ``t`` has writable memory of its own, not one of the ``saved`` arrays."""
    data = t.data
    return data.base is None and data.flags.writeable and all(a is not data for a in saved)


def _store(t, new, through):
    """Give ``t`` the values ``new``: written into its memory if ``through`` (and the
    shapes agree), else as a new array (``t`` then no longer shares a base's memory)."""
    if through and new.shape == t.data.shape:
        np.copyto(t.data, new, casting="same_kind")
    else:
        t.data = np.asarray(new, dtype=t.data.dtype)
        if getattr(t, "_base", None) is not None:
            t._base = None


def _take_place_of(t, res):
    """``t`` takes ``res``'s place in the graph: its creation index, and its last node
    re-made with ``t`` as the output (after the version bump: the node's clock)."""
    last = res.grad_fn
    t._index = res._index
    t.grad_fn = last.moved(res, t)
    t.grad_fn.clock = CLOCK.count             # the write just made is the node's own


def _split_off_old_value(t, opname):
    """A new tensor with ``t``'s old value in ``t``'s place in the graph (the node that
    made ``t`` now makes it), and whether the new value may be written into ``t``'s
    memory (only if the old value got a copy and no saved array is that memory)."""
    node = t.grad_fn
    old = Tensor.__new__(Tensor)
    if node.outs is not None:                 # a Function's or a tap's node
        node.op.check_overwrite(node, t, opname)
        through = False
        old._init(t.data)
        old.grad_fn = node.moved(t, old)
    else:
        through = _owns_memory(t, node.arrays)
        old._init(t.data.copy() if through else t.data)
        op = _raising_op(node, t, opname) if _reads_output(node) else node.op
        old.grad_fn = node.moved(t, old, op)
    old._index, old.requires_grad = t._index, True
    return old, through


def _reads_output(node):
    """Does a VJP that ``node`` will run load its ``out`` parameter (read from the VJP's
    bytecode; True when it cannot tell)?"""
    import dis

    op = node.op
    for i, x in enumerate(node.inputs):
        vjp = op.vjps[0] if op.variadic else op.vjps[i]
        if not (isinstance(x, Tensor) and x.requires_grad and vjp is not None):
            continue
        code, pos = getattr(vjp, "__code__", None), 2 if op.variadic else 1
        if code is None or pos >= code.co_argcount:
            return True                          # cannot tell: assume it does
        name = code.co_varnames[pos]
        if name in code.co_cellvars or any(
                ins.opname.startswith("LOAD_FAST") and name in (
                    ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
                for ins in dis.get_instructions(code)):
            return True
    return False


def _raising_op(node, t, opname):
    """``node``'s op with VJPs that raise PyTorch's error: its output ``t``, which they
    read, was overwritten by ``opname``."""
    op = node.op
    message = (
        f"backward: one of the values needed for gradient computation has been "
        f"modified by an inplace operation: the output of '{op.name}' (node "
        f"#{node.index}, shape {t.shape}) was overwritten by {opname}, and "
        f"'{op.name}' needs it for its gradient (as in PyTorch). Use the out-of-place "
        "op (inplace=False), or apply the in-place op to a copy.")

    def vjp(*args, **params):
        raise RuntimeError(message)
    return type(op)(op.name, op.forward, [vjp] * max(len(op.vjps), 1), op.rules,
                    op.doc, op.variadic)


def _writable_view(t, opname):
    """True if ``t`` is a view (``_base`` set) whose memory can be written, so that a
    write into it reaches its base as in PyTorch; refuses a view whose elements overlap
    (``expand``/``broadcast_to``), which cannot be written element by element."""
    if getattr(t, "_base", None) is None or type(t.data) is not np.ndarray:
        return False
    if not t.data.flags.writeable:
        raise RuntimeError(
            f"{opname}: unsupported operation: more than one element of the written-to "
            f"tensor (shape {t.shape}, a broadcast view of shape {t._base.shape}) refers "
            "to a single memory location; copy it before the operation (v = v * 1)")
    return True


def _adopt(t, fn):
    """``rebase_`` for a tensor that needs no gradient, written from one that does
    (``adopt``): ``fn`` runs on a constant copy of ``t``'s old value, then ``t`` takes
    the result's values (written through its memory) and its place in the graph."""
    old = Tensor.__new__(Tensor)
    old._init(np.array(t.data, copy=True))
    res = fn(old)
    last = res.grad_fn
    if last is None:
        _store(t, res.data, t.data.flags.writeable)
        t._version = t._ver + 1
        return t
    _store(t, res.data, t.data.flags.writeable and type(t.data) is np.ndarray)
    t._version = t._ver + 1
    t.requires_grad = True
    _take_place_of(t, res)
    return t
