"""Text for arrays in graph labels, the ``explain`` table and the step player.

Small arrays are shown in full, large ones as ``min / mean / max``. "Small" is a
shape limit, ``max_full=(rows, cols)`` (default 5×5): an array fits when, seen as a
matrix (its last axis across, every other axis down), it has at most that many rows
and columns. An int ``max_full=n`` is the older rule: at most ``n`` elements.

Every number keeps 4 significant figures (``{:.4g}``, so never fewer than 3), and
values that are float noise next to the array's largest entry (below 64 machine
epsilons of it, e.g. 6e-18 beside numbers of order 1) print as 0::

    >>> summarize(np.array([3.14159, -2.0]))
    '[3.142, -2]'
    >>> summarize(np.array([1.0, 6e-18]))
    '[1, 0]'
    >>> summarize(np.arange(100.0))
    'min 0  mean 49.5  max 99'
    >>> matrix_rows(np.array([[1.0, -2.5], [30.0, 4.0]]))
    [['1', '-2.5'], ['30', '4']]
"""
import numpy as np

from ..release import is_released

RELEASED_TEXT = "freed by backward()"   # an intermediate value backward released
MAX_FULL = (5, 5)   # the default: arrays up to 5 rows x 5 columns are printed in full
NOISE_EPS = 64      # values below this many machine epsilons of the largest print as 0
_FMT = "{:.4g}"


def fmt_number(v, tiny=0.0):
    """One scalar with 4 significant figures (ints and bools exactly); ``|v| < tiny``
    prints as 0."""
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return str(complex(v))
    v = float(v)
    if tiny and abs(v) < tiny:
        return "0"
    return _FMT.format(v)


def noise_floor(a):
    """The magnitude below which entries of float array ``a`` are rounding noise: 64
    machine epsilons of its largest finite entry (0 for non-float arrays)."""
    if a.dtype.kind != "f" or a.size < 2:
        return 0.0
    finite = np.abs(a[np.isfinite(a)])
    if finite.size == 0:
        return 0.0
    return float(finite.max()) * NOISE_EPS * float(np.finfo(a.dtype).eps)


def as_limit(max_full):
    """Normalise ``max_full`` to (rows, cols) or an int element count; raise if bad."""
    if max_full is None:
        return MAX_FULL
    if isinstance(max_full, (int, np.integer)) and not isinstance(max_full, bool):
        if max_full < 0:
            raise ValueError(f"max_full must be >= 0, got {max_full!r}")
        return int(max_full)
    if (isinstance(max_full, tuple) and len(max_full) == 2
            and all(isinstance(n, (int, np.integer)) and n >= 0 for n in max_full)):
        return (int(max_full[0]), int(max_full[1]))
    raise ValueError(f"max_full must be an int (elements) or a (rows, cols) pair such as "
                     f"(5, 5), got {max_full!r}")


def fits(shape, max_full=MAX_FULL):
    """True if an array of ``shape`` is small enough to print in full."""
    limit = max_full if type(max_full) is tuple else as_limit(max_full)
    size = 1
    for n in shape:
        size *= n
    if isinstance(limit, int):
        return size <= limit
    cols = shape[-1] if shape else 1
    rows = size // cols if cols else 0
    return rows <= limit[0] and cols <= limit[1]


def matrix_rows(a, tiny=None):
    """The entries of a small array as rows of strings (its last axis across).

    A 0-d array is one row of one entry; for 3 or more dimensions the rows of the
    successive matrices follow each other (``block_starts`` tells where each begins).
    """
    a = np.asarray(a)
    if tiny is None:
        tiny = noise_floor(a)
    cols = a.shape[-1] if a.ndim else 1
    flat = a.reshape(-1, cols) if a.size else a.reshape(0, cols)
    return [[fmt_number(v, tiny) for v in row] for row in flat.tolist()]


def block_starts(shape):
    """The row indices (in ``matrix_rows``) where each 2-d matrix of a 3+-d array starts."""
    if len(shape) < 3:
        return [0]
    per = shape[-2]
    n = int(np.prod(shape[:-2]))
    return [k * per for k in range(n)]


def _nested(values, shape, tiny):
    """Format a flat list of numbers as nested brackets with the given shape."""
    if not shape:
        return fmt_number(values[0], tiny)
    if len(shape) == 1:
        return "[" + ", ".join(fmt_number(v, tiny) for v in values) + "]"
    step = len(values) // shape[0] if shape[0] else 0
    rows = [_nested(values[k * step:(k + 1) * step], shape[1:], tiny)
            for k in range(shape[0])]
    return "[" + ", ".join(rows) + "]"


def stats_lines(a):
    """A large array in words, as short lines: ``["min m  max M", "mean u"]`` (plus a
    count of NaN/inf), or a count for bool arrays."""
    n = a.size
    if a.dtype == bool:
        return [f"{int(a.sum())} of {n} True"]
    if a.dtype.kind not in "fiuc":
        return [f"{n} values of {a.dtype}"]
    bad = 0
    if a.dtype.kind in "fc":
        finite = np.isfinite(a)
        bad = n - int(finite.sum())
        if bad:
            a = a[finite]
            if a.size == 0:
                return [f"all {n} values NaN/inf"]
    tiny = noise_floor(a) if a.dtype.kind == "f" else 0.0
    lines = [f"min {fmt_number(a.min(), tiny)}  max {fmt_number(a.max(), tiny)}",
             f"mean {fmt_number(a.mean(), tiny)}"]
    if bad:
        lines.append(f"({bad} NaN/inf)")
    return lines


def stats(a):
    """``min m  mean u  max M`` of a large array (see ``stats_lines``), on one line."""
    lines = stats_lines(a)
    if len(lines) == 1:
        return lines[0]
    low, high = lines[0].split("  ")
    return "  ".join([low, lines[1], high] + lines[2:])


def summarize(a, max_full=MAX_FULL):
    """A one-line summary of array ``a`` (anything ``np.asarray`` accepts).

    Small enough for ``max_full`` (see the module docstring): every value, nested
    like the array. Larger: ``min m  mean u  max M``.
    """
    if a is None:
        return "None"
    if is_released(a):
        return RELEASED_TEXT
    a = np.asarray(getattr(a, "data", a))
    if a.size == 0:
        return "[] (empty)"
    if fits(a.shape, max_full):
        return _nested(a.ravel().tolist(), a.shape, noise_floor(a))
    return stats(a)


def summarize_grad(g, max_full=MAX_FULL):
    """Like summarize; a list (one gradient per output of a multi-output node) is joined."""
    if isinstance(g, (list, tuple)):
        return "; ".join(summarize(x, max_full) for x in g)
    return summarize(g, max_full)


def norm(g):
    """The Euclidean norm of a gradient (a list: of all its parts), or None."""
    if g is None:
        return None
    if isinstance(g, (list, tuple)):
        parts = [norm(x) for x in g if x is not None]
        return float(np.sqrt(sum(p * p for p in parts))) if parts else None
    a = np.asarray(getattr(g, "data", g))
    if a.dtype.kind not in "fiuc" or a.size == 0:
        return None
    if a.dtype.kind in "iu":
        a = a.astype(np.float64)
    return float(np.linalg.norm(a.ravel()))


def shape_text(shape):
    """``(2, 3)`` for shapes, ``()`` for scalars."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
