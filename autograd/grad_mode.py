"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``is_grad_enabled``.

Both are context managers and decorators, like PyTorch's::

    with ag.no_grad():
        y = x * 2          # y.requires_grad is False
"""
import functools


class _State:
    enabled = True


STATE = _State()


def is_grad_enabled():
    """True when operations on tensors that require grad are recorded."""
    return STATE.enabled


class _GradMode:
    _target = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: do not record operations."""
    _target = False


class enable_grad(_GradMode):
    """Context manager / decorator: record operations (e.g. inside ``no_grad``)."""
    _target = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(flag):`` records operations when ``flag`` is true."""

    def __init__(self, mode=True):
        self._target = bool(mode)

    def __call__(self, func):
        mode = self._target

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper
