"""Short text summaries of arrays for graph labels and the ``explain`` table.

Small arrays are printed in full, large ones as ``min / mean / max``. Every number
keeps 4 significant figures (``{:.4g}``), so a value is never shown with fewer
than 3::

    >>> summarize(np.array([3.14159, -2.0]))
    '[3.142, -2]'
    >>> summarize(np.arange(100.0))
    'min 0  mean 49.5  max 99'
"""
import numpy as np

MAX_FULL = 6        # arrays with at most this many elements are printed in full
_FMT = "{:.4g}"


def fmt_number(v):
    """One scalar with 4 significant figures (ints and bools exactly)."""
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, complex):
        return str(v)
    return _FMT.format(float(v))


def _nested(values, shape):
    """Format a flat list of numbers as nested brackets with the given shape."""
    if not shape:
        return fmt_number(values[0])
    if len(shape) == 1:
        return "[" + ", ".join(fmt_number(v) for v in values) + "]"
    step = len(values) // shape[0] if shape[0] else 0
    rows = [_nested(values[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])]
    return "[" + ", ".join(rows) + "]"


def summarize(a, max_full=MAX_FULL):
    """A one-line summary of array ``a`` (anything ``np.asarray`` accepts).

    ``max_full`` elements or fewer: every value, nested like the array.
    More: ``min m  mean u  max M`` (plus a count of NaN/inf if there are any).
    """
    if a is None:
        return "None"
    a = np.asarray(getattr(a, "data", a))
    n = a.size
    if n == 0:
        return "[] (empty)"
    if n <= max_full:
        return _nested(a.ravel().tolist(), a.shape)
    if a.dtype == bool:
        return f"{int(a.sum())} of {n} True"
    if a.dtype.kind not in "fiuc":
        return f"{n} values of {a.dtype}"
    bad = 0
    if a.dtype.kind in "fc":
        finite = np.isfinite(a)
        bad = n - int(finite.sum())
        if bad:
            a = a[finite]
            if a.size == 0:
                return f"all {n} values NaN/inf"
    text = (f"min {fmt_number(a.min())}  mean {fmt_number(a.mean())}  "
            f"max {fmt_number(a.max())}")
    if bad:
        text += f"  ({bad} NaN/inf)"
    return text


def summarize_grad(g, max_full=MAX_FULL):
    """Like summarize; a list (one gradient per output of a multi-output node) is joined."""
    if isinstance(g, (list, tuple)):
        return "; ".join(summarize(x, max_full) for x in g)
    return summarize(g, max_full)


def shape_text(shape):
    """``(2, 3)`` for shapes, ``()`` for scalars."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
