"""Anomaly mode: stop at the first op that makes a NaN or an infinity, and say where.

>>> import autograd as ag
>>> x = ag.tensor([0.0, 4.0], requires_grad=True)
>>> with ag.detect_anomaly():       # doctest: +ELLIPSIS
...     y = ag.log(x)               # log(0) = -inf from finite inputs
Traceback (most recent call last):
    ...
RuntimeError: detect_anomaly: 'log' (node #...) produced inf in its output of shape (2,)...
>>> with ag.detect_anomaly():       # doctest: +ELLIPSIS
...     ag.sqrt(x).sum().backward()  # d sqrt(x)/dx = inf at 0
Traceback (most recent call last):
    ...
RuntimeError: detect_anomaly: the backward of 'sqrt' (node #...) produced inf in the gradient...

While it is on (``detect_anomaly()`` as a context manager or decorator, or
``set_detect_anomaly(True)``):

* every op records where it was created: the first frame outside ``autograd`` and, if
  that is library code (``nn``, ``optim``), the first frame of the caller's own code;
* every forward result is checked. An op is blamed when it *introduces* a non-finite
  value: its output has a NaN although no input had one, or an infinity although all
  inputs (and number parameters, e.g. a pad value) were finite. Non-finite values that
  a user feeds in on purpose (``-inf`` attention masks) pass through unblamed, and the
  first op that turns them into NaN is reported;
* during backward every VJP result is checked the same way against the upstream
  gradient: a NaN/inf in a gradient computed from a finite upstream gradient names the
  op whose backward produced it, the input position and where that op was created.

When it is off the cost is one attribute test per op and per backward step.
Forward checks cost a pass over each output, and the creation sites a stack walk per op:
use it to debug, not to train.
"""
import os
import sys
import weakref

import numpy as np

from . import grad_mode

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_PACKAGE)
_LIBRARY = tuple(os.path.join(_ROOT, name) + os.sep for name in ("autograd", "nn", "optim"))


class _Mode:
    enabled = False


MODE = _Mode()
_sites = weakref.WeakKeyDictionary()    # node -> where it was created


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return MODE.enabled


class detect_anomaly:
    """Context manager / decorator: anomaly detection on (or off with ``False``) inside."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._prev = MODE.enabled

    def __enter__(self):
        self._prev = MODE.enabled
        MODE.enabled = self.mode
        return self

    def __exit__(self, *exc):
        MODE.enabled = self._prev
        return False

    def __call__(self, func):
        mode = self.mode
        return grad_mode.decorate(func, lambda: detect_anomaly(mode))


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(flag)`` switches it now; as a context manager it also
    restores the previous state on exit (PyTorch's behaviour)."""

    def __init__(self, mode):
        super().__init__(mode)
        MODE.enabled = self.mode

    def __enter__(self):
        return self


# ------------------------------------------------------------------ creation sites
def _short(filename):
    """Library files relative to the checkout (nn/functional/linear.py), others by their
    last two path parts (tests/test_model.py)."""
    if filename.startswith(_LIBRARY):
        return os.path.relpath(filename, _ROOT)
    parts = os.path.normpath(filename).split(os.sep)
    return os.sep.join(parts[-2:])


def creation_site():
    """'file:line in func' of the first frame outside autograd (+ the user's own frame)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY[0]):
        frame = frame.f_back
    if frame is None:
        return "unknown"
    first = frame
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY):
        frame = frame.f_back
    sites = [first] if frame is None or frame is first else [first, frame]
    text = [f"{_short(f.f_code.co_filename)}:{f.f_lineno} in {f.f_code.co_name}"
            for f in sites]
    return ", called from ".join(text)


def site_of(node):
    """Where ``node`` was created, if anomaly mode was on at the time."""
    try:
        return _sites.get(node)
    except TypeError:       # a node type that cannot be weakly referenced
        return None


def _where(node):
    site = site_of(node) if node is not None else None
    if site is None:
        return ("created before anomaly mode was switched on, so its creation site is "
                "unknown")
    return f"created at {site}"


# ------------------------------------------------------------------------ checks
def _bad(a):
    """(has_nan, has_inf) for a float array; (False, False) for anything else."""
    a = a.data if hasattr(a, "data") and not isinstance(a, np.ndarray) else a
    if isinstance(a, (float, np.floating)):
        a = np.asarray(a)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
        return False, False
    if np.isfinite(a).all():
        return False, False
    return bool(np.isnan(a).any()), bool(np.isinf(a).any())


def _introduced(results, sources):
    """'nan' or 'inf' if ``results`` have a NaN/inf that ``sources`` explain not, else None."""
    out_nan = out_inf = False
    for r in results:
        n, i = _bad(r)
        out_nan, out_inf = out_nan or n, out_inf or i
    if not (out_nan or out_inf):
        return None
    in_nan = in_inf = False
    for s in sources:
        n, i = _bad(s)
        in_nan, in_inf = in_nan or n, in_inf or i
    if out_nan and not in_nan:
        return "nan"
    if out_inf and not (in_nan or in_inf):
        return "inf"
    return None


def after_forward(name, arrays, params, outputs, node):
    """Record ``node``'s creation site and blame the op if it introduced NaN/inf."""
    site = creation_site()
    if node is not None:
        try:
            _sites[node] = site
        except TypeError:
            pass
    sources = list(arrays) + [v for v in params.values()
                              if isinstance(v, (float, np.floating, np.ndarray))]
    what = _introduced([o.data for o in outputs], sources)
    if what is None:
        return
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    label = f"'{name}' (node #{node.index})" if node is not None else f"'{name}'"
    raise RuntimeError(
        f"detect_anomaly: {label} produced {what} in its output of shape "
        f"{outputs[0].shape} from inputs of shapes {shapes} that had no {what}; "
        f"created at {site}. Check the inputs' range (e.g. log of 0 or of a negative, "
        "0/0, overflow in exp) or add an epsilon/clamp before this op.")


def after_backward(node, g, input_grads):
    """Blame ``node`` if its VJP turned a finite upstream gradient into NaN/inf."""
    upstream = g if isinstance(g, (list, tuple)) else [g]
    upstream = [u for u in upstream if u is not None]
    for i, gi in enumerate(input_grads):
        if gi is None:
            continue
        what = _introduced([gi], upstream)
        if what is None:
            continue
        x = node.inputs[i]
        raise RuntimeError(
            f"detect_anomaly: the backward of '{node.name}' (node #{node.index}) produced "
            f"{what} in the gradient for its input {i} (shape {np.shape(x)}) from an "
            f"upstream gradient without {what}; '{node.name}' was {_where(node)}. Its "
            f"rule is: {node.rule(i)}; look for the values that make it undefined.")
