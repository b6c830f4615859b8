"""Checking a student's backward code: ``check_vjp``, ``check_grad``, ``check_op``.

Every gradient a student writes is compared with two oracles:

* glassgrad's own backward of the same function (the reference), and
* central finite differences of ``φ(x) = Σ g ⊙ f(x)`` in float64, which check the
  reference too (a disagreement there means the point sits on a kink or a tie).

A mismatch is explained: which input, which element, expected vs got, what kind of
mistake it looks like (a sign, a constant factor, a transpose, a missing sum over a
broadcast axis, an array modified in place) and the picture of the computation
with the offending input outlined and the right gradients in red.
"""
import re

import numpy as np

from .. import functions as F
from ..grad_mode import no_grad
from ..tensor import Tensor
from .report import Check, as_float_array, call_student, finish, fmt, index_text

RTOL = 1e-5
ATOL = 1e-7
FD_EPS = 1e-6
FD_MAX_ELEMENTS = 100      # finite differences on at most this many elements per input


def _resolve(fn):
    """A callable on Tensors: ``fn`` itself or the glassgrad function of that name."""
    if isinstance(fn, str):
        found = getattr(F, fn, None)
        if found is None:
            raise ValueError(f"exercises: glassgrad has no function named {fn!r}")
        return found
    if not callable(fn):
        raise TypeError(f"exercises: expected a function of Tensors or a function name, "
                        f"got {type(fn).__name__}")
    return fn


def _label(fn):
    name = getattr(fn, "__name__", None) or type(fn).__name__
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):              # a classmethod/staticmethod such as MyOp.apply
        name = f"{owner.__name__}.{name}"
    return "the function" if name == "<lambda>" else name


def _names(inputs, names):
    if names is None:
        return [f"x{i}" if len(inputs) > 1 else "x" for i in range(len(inputs))]
    names = list(names)
    if len(names) != len(inputs):
        raise ValueError(f"exercises: {len(names)} names for {len(inputs)} inputs")
    return names


def _forward(fn, arrays):
    """fn at float64 arrays, without recording a graph: the output array."""
    with no_grad():
        out = fn(*[Tensor(a) for a in arrays])
    return np.asarray(getattr(out, "data", out), dtype=np.float64)


def reference_vjp(fn, arrays, g, names):
    """(output, upstream g, [gradient per input], graph root) from glassgrad's backward."""
    leaves = [Tensor(a.copy(), requires_grad=True, name=n) for a, n in zip(arrays, names)]
    out = fn(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"exercises: {_label(fn)} must return a Tensor, "
                        f"got {type(out).__name__}")
    out.name = out.name or "out"
    if g is None:
        g = np.random.default_rng(0).standard_normal(out.shape)
    g = np.broadcast_to(as_float_array(g, "grad_output"), out.shape).copy()
    if out.requires_grad:
        out.backward(Tensor(g), retain_graph=True)
    grads = [np.zeros(a.shape) if t.grad is None else np.array(t.grad.data, dtype=np.float64)
             for a, t in zip(arrays, leaves)]
    return out.data.astype(np.float64), g, grads, out


def finite_difference_vjp(fn, arrays, g, eps=FD_EPS, max_elements=FD_MAX_ELEMENTS):
    """Central differences of Σ g·fn(x) per element: [(indices checked, values)] per input."""
    result = []
    for i, a in enumerate(arrays):
        flat = np.arange(a.size)
        if a.size > max_elements:
            flat = np.sort(np.random.default_rng(i).choice(a.size, max_elements, replace=False))
        values = np.empty(flat.size)
        for k, j in enumerate(flat):
            up = [b.copy() for b in arrays]
            down = [b.copy() for b in arrays]
            up[i].flat[j] += eps
            down[i].flat[j] -= eps
            values[k] = (np.sum(g * _forward(fn, up)) - np.sum(g * _forward(fn, down))) / (2 * eps)
        result.append((flat, values))
    return result


def _close(got, expected, rtol, atol):
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return np.abs(got - expected) <= atol * scale + rtol * np.abs(expected)


def diagnose(got, expected, input_shape):
    """Short hints about what kind of mistake turns ``expected`` into ``got``."""
    hints = []
    if got.shape != expected.shape:
        hints.append(f"a gradient has exactly its input's shape {input_shape}; yours is "
                     f"{got.shape}")
        if got.size == expected.size:
            if got.ndim == 2 and got.shape == expected.shape[::-1] and \
                    np.allclose(got.T, expected):
                hints.append("it is the transpose of the right answer")
            elif np.allclose(got.reshape(expected.shape), expected):
                hints.append("the numbers are right: reshape it")
        else:
            try:
                summed = _sum_to(got, expected.shape)
                if np.allclose(summed, expected):
                    hints.append("sum it over the broadcast axes (the input was copied "
                                 "along them, so its gradient is a sum)")
            except ValueError:
                pass
        return hints
    if np.allclose(got, 0) and not np.allclose(expected, 0):
        hints.append("your gradient is all zeros")
        return hints
    if np.allclose(got, -expected):
        hints.append("the sign is flipped")
        return hints
    mask = np.abs(expected) > 1e-12
    if mask.any():
        ratios = got[mask] / expected[mask]
        r = float(np.median(ratios))
        if np.allclose(ratios, r, rtol=1e-6) and np.allclose(got, r * expected):
            hints.append(f"it is the right answer times {r:.6g} (a constant factor: "
                         f"{_factor_hint(r)})")
            return hints
    if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, expected):
        hints.append("it is the transpose of the right answer")
    return hints


def _factor_hint(r):
    if np.isclose(r, 2) or np.isclose(r, 0.5):
        return "a forgotten or extra 2, e.g. from d(x²)/dx = 2x, or from a + a"
    inv = 1 / r
    if inv >= 2 and np.isclose(inv, round(inv)):
        return f"divided by {round(inv)} — if that is the batch size: a mean belongs to " \
               "the loss, not to this backward"
    if r >= 2 and np.isclose(r, round(r)):
        return f"multiplied by {round(r)}"
    return "a missing or extra term in the product"


def _sum_to(g, shape):
    """Sum ``g`` over the axes along which ``shape`` was broadcast to ``g.shape``."""
    lead = g.ndim - len(shape)
    if lead < 0:
        raise ValueError("not a broadcast")
    out = g.sum(axis=tuple(range(lead))) if lead else g
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and out.shape[k] != 1)
    out = out.sum(axis=axes, keepdims=True) if axes else out
    if out.shape != tuple(shape):
        raise ValueError("not a broadcast")
    return out


def _outline(graph, tensor):
    """Outline ``tensor``'s box in a drawn graph (red, thick)."""
    pattern = re.compile(r'^(\s*)"t%d" \[' % tensor._index)
    for k, line in enumerate(graph.body):
        if pattern.match(line):
            graph.body[k] = pattern.sub(r'\1"t%d" [color="#c62828" penwidth=4 ' % tensor._index,
                                        line, count=1)
    return graph


def _picture(root, bad_leaf):
    from ..viz import draw_graph
    try:
        return _outline(draw_graph(root, legend=False), bad_leaf)
    except Exception:        # drawing is a bonus; the text report stands alone
        return None


def _normalize(result, n):
    """The student's return value as a list of n entries (None allowed)."""
    if n == 1 and not isinstance(result, (tuple, list)):
        return [result]
    if n == 1 and isinstance(result, list) and len(result) != 1:
        return [result]          # a gradient given as a nested list
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = len(result) if isinstance(result, (tuple, list)) else 1
        raise TypeError(f"return one gradient per input: a tuple of {n}, got {got}")
    return list(result)


def check_vjp(student_vjp, fn, *inputs, grad_output=None, names=None, exercise=None,
              rtol=RTOL, atol=ATOL, only=None):
    """Compare ``student_vjp(g, *inputs)`` with the vector-Jacobian product of ``fn``.

    ``fn`` is a function of Tensors (``ag.softmax``, ``lambda x, w: x @ w``) or the name
    of a glassgrad function; ``inputs`` are arrays or numbers (used in float64). The
    student's function receives the upstream gradient ``g`` (shaped like ``fn``'s
    output; random but fixed unless ``grad_output`` is given) and copies of the
    inputs, and returns ``dL/dx`` for a single input or a tuple with one gradient per
    input. ``only`` (a list of input positions) checks just those inputs. Returns a
    :class:`Check`.

    >>> import autograd as ag
    >>> def square_vjp(g, x):
    ...     return 2 * x * g
    >>> bool(check_vjp(square_vjp, lambda x: x ** 2, [1.0, -2.0]))
    True
    """
    fn = _resolve(fn)
    title = f"{_label(student_vjp).replace('the function', 'your function')} vs the gradient " \
            f"of {_label(fn)}"
    arrays = [as_float_array(x, f"input {i}") for i, x in enumerate(inputs)]
    labels = _names(arrays, names)
    out, g, expected, root = reference_vjp(fn, arrays, grad_output, labels)
    g_copy, in_copies = g.copy(), [a.copy() for a in arrays]
    result, problem = call_student(student_vjp, g_copy, *in_copies)
    if problem is not None:
        return finish(Check(title, problem[0], problem[1], exercise=exercise))
    fd = finite_difference_vjp(fn, arrays, g)
    lines = _mutation_lines(g, g_copy, arrays, in_copies, labels)
    try:
        got = _normalize(result, len(arrays))
    except TypeError as e:
        return finish(Check(title, "failed", [str(e)], exercise=exercise))
    return finish(_compare(title, got, expected, fd, arrays, labels, leaves_of(root, labels),
                           root, lines, exercise, rtol, atol, only))


def leaves_of(root, labels):
    """The named input Tensors of the reference graph, in input order."""
    from ..viz.trace import trace
    found = {t.name: t for t in trace(root).tensors.values() if t.grad_fn is None}
    return [found.get(n) for n in labels]


def _mutation_lines(g, g_after, arrays, after, labels):
    lines = []
    if not np.array_equal(g, g_after, equal_nan=True):
        lines.append("your function changed the upstream gradient g in place (e.g. dx = g; "
                     "dx[...] = 0 writes into g): the caller's array is corrupted — work on "
                     "a copy (g.copy() or np.where)")
    for a, b, n in zip(arrays, after, labels):
        if not np.array_equal(a, b, equal_nan=True):
            lines.append(f"your function changed the input {n} in place: copy it first")
    return lines


def _compare(title, got, expected, fd, arrays, labels, leaves, root, lines, exercise,
             rtol, atol, only):
    status = "failed" if lines else "passed"
    rows, picture = [], None
    positions = range(len(arrays)) if only is None else only
    for i in positions:
        name, exp = labels[i], expected[i]
        if got[i] is None or got[i] is Ellipsis:
            status = "failed" if status != "not done" else status
            lines.append(f"no gradient returned for {name}")
            continue
        try:
            mine = as_float_array(got[i], f"your gradient for {name}")
        except TypeError as e:
            status = "failed"
            lines.append(str(e))
            continue
        if mine.shape != exp.shape:
            status = "failed"
            lines.append(f"{name}: wrong shape {mine.shape}, expected {exp.shape}")
            lines += ["  hint: " + h for h in diagnose(mine, exp, exp.shape)]
            picture = picture or (leaves[i] is not None and _picture(root, leaves[i])) or None
            continue
        ok = _close(mine, exp, rtol, atol)
        if np.all(ok):
            rows.append((name, str(exp.shape), "✔", "", "", ""))
            continue
        status = "failed"
        worst = np.unravel_index(int(np.argmax(np.where(ok, -1, np.abs(mine - exp)))), exp.shape)
        rows.append((name, str(exp.shape), f"✘ {int((~ok).sum())} of {ok.size} wrong",
                     index_text(worst), fmt(exp[worst]), fmt(mine[worst])))
        lines.append(f"{name}: element {index_text(worst)} should be {fmt(exp[worst])}, "
                     f"yours is {fmt(mine[worst])}")
        lines += ["  hint: " + h for h in diagnose(mine, exp, exp.shape)]
        if picture is None and leaves[i] is not None:
            picture = _picture(root, leaves[i])
    lines += _fd_notes(expected, fd, labels)
    table = (("input", "shape", "result", "worst element", "expected", "yours"), rows)
    if picture is not None:
        lines.append("picture: the computation, the right gradients in red, the input "
                     "to look at outlined")
    return Check(title, status, lines, table=table, picture=picture, exercise=exercise)


def _fd_notes(expected, fd, labels):
    notes = []
    for exp, (idx, values), name in zip(expected, fd, labels):
        ref = exp.ravel()[idx]
        bad = np.abs(values - ref) > 1e-4 * np.maximum(1.0, np.abs(ref))
        if bad.any():
            k = idx[int(np.argmax(bad))]
            notes.append(f"note: finite differences disagree with glassgrad for {name} at "
                         f"flat element {k}: the function has a kink or a tie there, so "
                         "its gradient is a convention; try another point")
    return notes


def check_grad(student_grad, fn, *inputs, names=None, exercise=None, rtol=RTOL, atol=ATOL):
    """Compare ``student_grad(*inputs)`` with the gradient of the scalar function ``fn``.

    Like :func:`check_vjp` without an upstream gradient: ``fn`` returns one number and
    the student returns ``dfn/dx`` (or one gradient per input).
    """
    def as_vjp(g, *xs):
        return student_grad(*xs)
    as_vjp.__name__ = getattr(student_grad, "__name__", "your function")
    return check_vjp(as_vjp, fn, *inputs, grad_output=1.0, names=names, exercise=exercise,
                     rtol=rtol, atol=atol)


def check_op(student_op, reference, *inputs, grad_output=None, names=None, exercise=None,
             rtol=RTOL, atol=ATOL):
    """Check a whole differentiable op a student wrote (e.g. an ``ag.Function``).

    ``student_op(*tensors)`` must return a Tensor: its value is compared with
    ``reference(*tensors)`` (a glassgrad function), then the gradient glassgrad gets
    by backpropagating through the student's op (which runs its ``backward``) is
    compared with the reference's and with finite differences of the student's
    forward.
    """
    reference = _resolve(reference)
    title = f"{_label(student_op)} (forward and backward) vs {_label(reference)}"
    arrays = [as_float_array(x, f"input {i}") for i, x in enumerate(inputs)]
    labels = _names(arrays, names)
    out, g, expected, root = reference_vjp(reference, arrays, grad_output, labels)

    def run():
        _, _, grads, mine_out = reference_vjp(student_op, arrays, g, labels)
        return mine_out.data.astype(np.float64), grads
    result, problem = call_student(run)
    if problem is not None:
        return finish(Check(title, problem[0], problem[1], exercise=exercise))
    value, got = result
    if value.shape != out.shape or not np.all(_close(value, out, rtol, atol)):
        lines = [f"the forward is wrong: expected {fmt(out)}, got {fmt(value)}"]
        return finish(Check(title, "failed", lines, exercise=exercise))
    fd = finite_difference_vjp(reference, arrays, g)
    return finish(_compare(title, got, expected, fd, arrays, labels, leaves_of(root, labels),
                           root, [], exercise, rtol, atol, None))
