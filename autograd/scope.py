"""A stack of names; every graph node records the innermost one when it is created.

``nn.Module.__call__`` pushes the module's dotted path, which is how ``draw_graph``
clusters nodes by module. Users can push their own::

    with ag.scope("encoder"):
        h = (x @ w).tanh()       # h.grad_fn.scope == "encoder"

Nested scopes join with dots unless the inner name already is a full dotted path.
"""
import contextlib

_stack = []


def current_scope():
    """The innermost scope name, or None outside every scope."""
    return _stack[-1] if _stack else None


def push(name, absolute=False):
    """Enter scope ``name`` (joined to the enclosing one unless ``absolute``) until the
    matching ``pop()``; returns the full name. ``scope`` is the context-manager form."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"scope: expected a non-empty string name, got {name!r}")
    parent = current_scope()
    full = name if (absolute or parent is None) else f"{parent}.{name}"
    _stack.append(full)
    return full


def pop():
    """Leave the innermost scope (entered with ``push``)."""
    _stack.pop()


@contextlib.contextmanager
def scope(name, absolute=False):
    """Push ``name`` (joined to the enclosing scope unless ``absolute``) for the block."""
    full = push(name, absolute)
    try:
        yield full
    finally:
        pop()
