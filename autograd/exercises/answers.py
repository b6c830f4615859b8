"""Checking answers that are values: predictions, results of a student's function, orders.

* ``check_value(answer, expected)``: "predict the gradient, then check" — numbers,
  arrays, shapes, strings, lists, or a dict of named answers;
* ``check_function(student_fn, reference, *inputs)``: run a student's function
  (guarded) and compare its result with a value or with ``reference(*inputs)``;
* ``check_topological_order(order, root)``: every node once, each after its inputs,
  for glassgrad Tensors or any micrograd-style graph.
"""
import numpy as np

from .report import Check, as_float_array, call_student, finish, fmt, index_text, is_template

RTOL = 1e-4
ATOL = 1e-8


def _numeric(x):
    if isinstance(x, (bool, str)) or x is None:
        return False
    if isinstance(x, (tuple, list)) and any(isinstance(v, str) for v in x):
        return False
    try:
        as_float_array(x, "value")
        return True
    except TypeError:
        return False


def _compare_one(name, answer, expected, rtol, atol):
    """(status, message) for one answer."""
    if is_template(answer):
        return "not done", f"{name}: replace the ... with your answer"
    if _numeric(expected) and _numeric(answer):
        exp = as_float_array(expected, "the expected value")
        got = as_float_array(answer, f"your {name}")
        if got.shape != exp.shape:
            if got.size == exp.size and np.allclose(got.reshape(exp.shape), exp, rtol, atol):
                return "passed", f"{name}: right (shape {got.shape} read as {exp.shape})"
            return "failed", f"{name}: expected shape {exp.shape} ({fmt(exp)}), got {got.shape}"
        close = np.isclose(got, exp, rtol=rtol, atol=atol)
        if close.all():
            shown = answer if isinstance(answer, (tuple, list, int)) else fmt(got)
            return "passed", f"{name} = {shown} ✔"
        if got.ndim == 0:
            hint = _scalar_hint(float(got), float(exp))
            return "failed", f"{name}: expected {fmt(exp)}, you said {fmt(got)}{hint}"
        worst = np.unravel_index(int(np.argmax(~close)), exp.shape)
        whole = f" (expected {fmt(exp)})" if exp.size <= 12 else ""
        return "failed", (f"{name}: {int((~close).sum())} of {close.size} entries differ; "
                          f"at {index_text(worst)} expected {fmt(exp[worst])}, you said "
                          f"{fmt(got[worst])}{whole}")
    if answer == expected:
        return "passed", f"{name} = {answer!r} ✔"
    return "failed", f"{name}: expected {expected!r}, you said {answer!r}"


def _scalar_hint(got, exp):
    if exp != 0 and np.isclose(got, -exp):
        return " (the sign is flipped)"
    if exp != 0 and got != 0:
        r = got / exp
        for k in (2, 0.5, 3, 1 / 3, 4, 0.25):
            if np.isclose(r, k):
                return f" (off by a factor {r:.3g})"
    return ""


def check_value(answer, expected, name="answer", exercise=None, rtol=RTOL, atol=ATOL):
    """Compare a predicted ``answer`` with the ``expected`` value glassgrad computed.

    Both may be numbers, arrays, Tensors, shapes, strings or lists; a dict of answers
    is compared key by key against a dict of expected values (each reported).

    >>> bool(check_value(4.0, 4))
    True
    """
    title = f"your {name}" if not isinstance(expected, dict) else f"your {len(expected)} answers"
    if isinstance(expected, dict):
        if is_template(answer):
            return finish(Check(title, "not done", ["replace the ... with your answers"],
                                exercise=exercise))
        if not isinstance(answer, dict):
            return finish(Check(title, "failed", [f"give a dict with the keys "
                                                  f"{sorted(expected)}"], exercise=exercise))
        results = [_compare_one(str(k), answer.get(k, Ellipsis), v, rtol, atol)
                   for k, v in expected.items()]
    else:
        results = [_compare_one(name, answer, expected, rtol, atol)]
    statuses = [s for s, _ in results]
    status = ("passed" if all(s == "passed" for s in statuses)
              else "failed" if "failed" in statuses else "not done")
    return finish(Check(title, status, [m for _, m in results], exercise=exercise))


def check_function(student_fn, reference, *inputs, name=None, exercise=None, rtol=RTOL,
                   atol=ATOL):
    """Run ``student_fn(*inputs)`` safely and compare with ``reference``.

    ``reference`` is the expected value, or a function called with the same inputs.
    """
    label = name or getattr(student_fn, "__name__", "your function")
    result, problem = call_student(student_fn, *inputs)
    if problem is not None:
        return finish(Check(label, problem[0], problem[1], exercise=exercise))
    expected = reference(*inputs) if callable(reference) else reference
    expected = getattr(expected, "data", expected) if not isinstance(expected, np.ndarray) \
        else expected
    status, message = _compare_one("result", result, expected, rtol, atol)
    return finish(Check(label, status, [message], exercise=exercise))


def children_of(node):
    """The inputs of a node: glassgrad Tensors (grad_fn.inputs) or micrograd-style
    values (``_prev``, ``_children``, ``children``, ``prev`` or ``inputs``)."""
    grad_fn = getattr(node, "grad_fn", None)
    if grad_fn is not None or hasattr(node, "requires_grad"):
        if grad_fn is None:
            return []
        return [x for x in grad_fn.inputs if hasattr(x, "grad_fn")]
    for attr in ("_prev", "_children", "children", "prev", "inputs"):
        kids = getattr(node, attr, None)
        if kids is not None:
            return list(kids)
    return []


def reachable(root):
    """Every node reachable from ``root`` (each once), by identity."""
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        out.append(v)
        stack.extend(children_of(v))
    return out


def _label(node):
    for attr in ("label", "name"):
        v = getattr(node, attr, None)
        if v:
            return str(v)
    data = getattr(node, "data", None)
    return f"node({fmt(data)})" if data is not None else repr(node)


def check_topological_order(order, root, exercise=None):
    """Check that ``order`` (a list, or a function called with ``root``) lists every
    node reachable from ``root`` exactly once, each after all of its inputs — the
    order in which a forward pass can compute them (backprop uses it reversed)."""
    title = "topological order"
    if callable(order):
        order, problem = call_student(order, root)
        if problem is not None:
            return finish(Check(title, problem[0], problem[1], exercise=exercise))
    if is_template(order):
        return finish(Check(title, "not done", ["replace the ... with your code"],
                            exercise=exercise))
    order = list(order)
    nodes = reachable(root)
    ids = {id(v) for v in nodes}
    pos = {}
    lines = []
    for k, v in enumerate(order):
        if id(v) not in ids:
            lines.append(f"position {k}: {_label(v)} is not part of this graph")
        elif id(v) in pos:
            lines.append(f"{_label(v)} appears twice (positions {pos[id(v)]} and {k}): "
                         "remember which nodes you have visited")
        else:
            pos[id(v)] = k
    missing = [_label(v) for v in nodes if id(v) not in pos]
    if missing:
        lines.append(f"missing {len(missing)} of {len(nodes)} nodes: {', '.join(missing[:6])}")
    for v in nodes:
        for c in children_of(v):
            if id(v) in pos and id(c) in pos and pos[id(c)] > pos[id(v)]:
                lines.append(f"{_label(c)} (position {pos[id(c)]}) must come before "
                             f"{_label(v)} (position {pos[id(v)]}), which uses it")
                break
    status = "failed" if lines else "passed"
    if status == "passed":
        lines = [f"all {len(nodes)} nodes, each after its inputs"]
    return finish(Check(title, status, lines, exercise=exercise))
