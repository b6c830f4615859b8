"""Constructor argument checks shared by the layers.

PyTorch checks many of these only in the forward pass (a zero stride there is a bare
``ZeroDivisionError`` here), some never; a layer checks them when it is built, and the
error names the layer, the argument, the value and what it must be.

>>> import nn
>>> nn.Conv2d(3, 8, 3, stride=0)
Traceback (most recent call last):
    ...
ValueError: Conv2d: stride must be positive (at least 1), got (0, 0)
"""
import numbers

from ..functional.conv import ntuple

__all__ = ["count", "real", "probability", "choice", "reduction", "window"]

REDUCTIONS = ("mean", "sum", "none")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def count(layer, what, value, minimum=1):
    """An int of at least ``minimum`` (channels, features, sizes, heads, layers...)."""
    if not _is_int(value):
        raise TypeError(f"{layer}: {what} must be an int, got {value!r}")
    if value < minimum:
        kind = {1: "positive", 0: "non-negative"}.get(minimum, f"at least {minimum}")
        raise ValueError(f"{layer}: {what} must be {kind}, got {value}")
    return int(value)


def real(layer, what, value, low=None, high=None, strict=False):
    """A real number in [low, high] (``strict``: low itself excluded)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{layer}: {what} must be a number, got {value!r}")
    too_low = low is not None and (value < low or (strict and value == low))
    if too_low or (high is not None and value > high):
        if high is None:
            want = f"{'greater than' if strict else 'at least'} {low}"
        else:
            want = f"between {low} and {high}"
        raise ValueError(f"{layer}: {what} must be {want}, got {value}")
    return value


def probability(layer, what, value):
    """A probability in [0, 1] (dropout rates; PyTorch's message for dropout)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValueError(f"{layer}: {what} probability has to be between 0 and 1, but got "
                         f"{value!r}")
    return value


def choice(layer, what, value, options):
    """One of ``options``."""
    if value not in options:
        raise ValueError(f"{layer}: {what} must be one of {list(options)}, got {value!r}")
    return value


def reduction(layer, value):
    """A loss reduction: 'mean', 'sum' or 'none' (PyTorch's message, at construction)."""
    if value not in REDUCTIONS:
        raise ValueError(f"{layer}: {value!r} is not a valid value for reduction; use "
                         "'mean', 'sum' or 'none'")
    return value


def window(layer, n, kernel_size, stride=None, padding=0, dilation=1):
    """Check a pooling window (PyTorch's pooling rules: positive kernel, stride and
    dilation, non-negative padding of at most half the kernel); nothing is stored."""
    kernel = ntuple(kernel_size, n, "kernel_size", layer)
    if stride is not None and stride != () and stride != []:
        ntuple(stride, n, "stride", layer)
    ntuple(dilation, n, "dilation", layer)
    pad = ntuple(padding, n, "padding", layer)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"{layer}: padding {pad} must be at most half of the kernel size "
                         f"{kernel}")
