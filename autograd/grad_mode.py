"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``is_grad_enabled``.

Both are context managers and decorators, like PyTorch's::

    with ag.no_grad():
        y = x * 2          # y.requires_grad is False
"""
import functools
import inspect


class _State:
    enabled = True


STATE = _State()


def is_grad_enabled():
    """True when operations on tensors that require grad are recorded."""
    return STATE.enabled


def decorate(func, make_context):
    """``func`` run inside a fresh ``make_context()``; for a generator function every
    resumption of the generator body is (PyTorch's rule), and the caller's mode is back
    in force whenever the generator yields."""
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with make_context():
                    request = next(gen)
                while True:
                    try:
                        response = yield request
                    except GeneratorExit:
                        with make_context():
                            gen.close()
                        raise
                    except BaseException as exc:    # thrown in: pass it to the body
                        with make_context():
                            request = gen.throw(exc)
                    else:
                        with make_context():
                            request = gen.send(response)
            except StopIteration as stop:
                return stop.value
        return generator

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with make_context():
            return func(*args, **kwargs)
    return wrapper


class _GradMode:
    _target = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def _clone(self):
        return self.__class__()

    def __call__(self, func):
        return decorate(func, self._clone)


class no_grad(_GradMode):
    """Context manager / decorator: do not record operations."""
    _target = False


class enable_grad(_GradMode):
    """Context manager / decorator: record operations (e.g. inside ``no_grad``)."""
    _target = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(flag)`` switches recording now (PyTorch's behaviour when it is
    called as a function); as a context manager or decorator it applies inside only and
    restores the previous mode afterwards."""

    def __init__(self, mode=True):
        self._target = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __enter__(self):
        return self

    def __call__(self, func):
        STATE.enabled = self._prev          # decorating switches nothing (PyTorch)
        return decorate(func, self._clone)

    def _clone(self):
        return set_grad_enabled(self._target)
