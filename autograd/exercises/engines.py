"""Checking a student's own autograd engine against glassgrad, node by node.

A micrograd-style engine has scalar nodes with ``.data``, ``.grad``, their inputs in
``_prev`` (or ``_children``), the op in ``_op`` and an optional ``label``.
``compare_graphs(student_root, glassgrad_root)`` pairs the nodes of the two graphs
(by label, else by position and value), compares every value and every gradient,
and says where the gradients first go wrong in backprop order — which is where the
bug is: a node whose gradient is wrong while all of its consumers are right got a
wrong contribution from one of them (a wrong local derivative, or ``=`` where
``+=`` is needed because the node is used twice).

``draw_values(root)`` draws such a graph with Graphviz (values in black, gradients
in red, wrong nodes outlined).
"""
import numpy as np

from ..engine import grad as engine_grad
from ..tensor import Tensor, quiet_grad
from ..viz.render import make_graph
from ..viz.trace import trace
from .answers import children_of, reachable
from .report import Check, NotDone, call_student, finish, fmt

RTOL = 1e-6
ATOL = 1e-9


def _op(node):
    if isinstance(node, Tensor):
        return node.grad_fn.name if node.grad_fn is not None else "leaf"
    op = getattr(node, "_op", None) or getattr(node, "op", None)
    return str(op) if op else "leaf"


def _name(node):
    for attr in ("label", "name"):
        v = getattr(node, attr, None)
        if v:
            return str(v)
    return ""


def _value(x):
    if x is None:
        return None
    return np.asarray(getattr(x, "data", x), dtype=np.float64)


def _unique(nodes):
    seen, out = set(), []
    for v in nodes:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _pair_children(s_kids, r_kids):
    """Match student children to glassgrad children: by name, else position, else value."""
    pairs, free = [], list(s_kids)
    for k, r in enumerate(r_kids):
        if not free:
            break
        match = next((s for s in free if _name(s) and _name(s) == _name(r)), None)
        if match is None and k < len(s_kids) and any(s is s_kids[k] for s in free) \
                and _same_value(s_kids[k], r):
            match = s_kids[k]
        if match is None:
            match = min(free, key=lambda s: _distance(s, r))
        free = [s for s in free if s is not match]
        pairs.append((match, r))
    return pairs


def _same_value(s, r):
    a, b = _value(getattr(s, "data", None)), _value(r.data)
    return a is not None and a.shape == b.shape and np.allclose(a, b)


def _distance(s, r):
    a, b = _value(getattr(s, "data", None)), _value(r.data)
    if a is None or a.shape != b.shape:
        return np.inf
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def pair_nodes(student_root, reference_root):
    """[(student node, glassgrad tensor)] reachable from the two roots, roots first."""
    pairs, seen, queue = [], set(), [(student_root, reference_root)]
    while queue:
        s, r = queue.pop(0)
        if id(s) in seen:
            continue
        seen.add(id(s))
        pairs.append((s, r))
        r_kids = [] if r.grad_fn is None else _unique(
            [x for x in r.grad_fn.inputs if isinstance(x, Tensor)])
        queue.extend(_pair_children(_unique(children_of(s)), r_kids))
    return pairs


def _zero_grads(nodes):
    for v in nodes:
        g = quiet_grad(v)
        try:
            v.grad = 0.0 if g is None or np.ndim(g) == 0 else np.zeros_like(g)
        except AttributeError:
            pass


def _run_closures(root):
    order, seen = [], set()

    def visit(v):                       # iterative post-order (inputs first)
        stack = [(v, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children_of(node)))
    visit(root)
    root.grad = 1.0
    for node in reversed(order):
        fn = getattr(node, "_backward", None)
        if fn is not None:
            fn()
    return True


def _run(student_root, run):
    if run is None:
        return None
    _zero_grads(reachable(student_root))
    if run == "backward":
        result, problem = call_student(lambda: student_root.backward() or True)
    elif run == "closures":
        result, problem = call_student(lambda: _run_closures(student_root))
    else:
        raise ValueError(f"compare_graphs: run must be None, 'backward' or 'closures', "
                         f"got {run!r}")
    return problem


def reference_grads(root):
    """Every Tensor of the glassgrad graph -> its gradient (None if it needs none).

    The root is not passed to ``grad`` as a target (its gradient is 1 by definition).
    """
    tensors = [t for t in trace(root).tensors.values() if t.requires_grad and t is not root]
    got = engine_grad(root, tensors, retain_graph=True, allow_unused=True) if tensors else ()
    out = {id(t): (None if g is None else np.asarray(g.data, dtype=np.float64))
           for t, g in zip(tensors, got)}
    out[id(root)] = np.ones(root.shape)
    return out


def _close(a, b, rtol, atol):
    return a is not None and b is not None and a.shape == b.shape and \
        np.allclose(a, b, rtol=rtol, atol=atol)


def compare_graphs(student_root, reference_root, run=None, exercise=None, rtol=RTOL,
                   atol=ATOL, picture=True):
    """Compare a student's engine with glassgrad on the same expression, node by node.

    ``student_root``: the output of the student's graph (micrograd-style nodes), or a
    function without arguments that builds it (called safely: a template or an error
    in the student's ops is reported, not raised);
    ``reference_root``: the same expression built with glassgrad Tensors
    (``ag.Tensor(..., requires_grad=True)``); give both the same labels/names to pair
    nodes by name. ``run``: ``None`` (the student already ran backward),
    ``"backward"`` (call ``student_root.backward()``) or ``"closures"`` (call every
    node's ``_backward`` in reverse topological order, for an engine that has no
    ``backward`` yet); gradients are reset to 0 first.
    """
    title = "your engine vs glassgrad"
    if callable(student_root) and not hasattr(student_root, "data"):
        student_root, problem = call_student(student_root)     # build the graph, guarded
        if problem is not None:
            return finish(Check(title, problem[0], problem[1], exercise=exercise))
    problem = _run(student_root, run)
    if problem is not None:
        return finish(Check(title, problem[0], problem[1], exercise=exercise))
    expected = reference_grads(reference_root)
    pairs = pair_nodes(student_root, reference_root)
    pairs.sort(key=lambda p: -p[1]._index)          # creation order reversed = backprop order
    lines = []
    consumers = {}
    for s, _ in pairs:
        for c in children_of(s):
            consumers.setdefault(id(c), []).append(s)
    rows, wrong = _compare_pairs(pairs, expected, rtol, atol)
    status = "passed"
    if wrong:
        status = "failed"
        lines += _diagnose(wrong, expected, consumers, student_root, pairs)
    elif len(pairs) < len(reachable(student_root)):
        lines.append(f"{len(reachable(student_root)) - len(pairs)} of your nodes have no "
                     "glassgrad counterpart (constants); they were not compared")
    if status == "passed":
        lines.insert(0, f"all {len(pairs)} nodes have the same value and gradient as glassgrad")
    if status == "failed" and _all_zero(pairs, expected):
        status = "not done"
        lines = ["every gradient except the output's is still 0: write the _backward "
                 "functions (and run backward) first"]
    table = (("node", "op (yours / glassgrad)", "value", "glassgrad value", "grad",
              "glassgrad grad", ""), rows)
    pic = None
    if picture and status == "failed":
        pic = _safe_draw(student_root, {id(s): expected.get(id(r)) for s, r in pairs},
                         {id(s) for s, _, _ in wrong})
    return finish(Check(title, status, lines, table=table, picture=pic, exercise=exercise))


def _compare_pairs(pairs, expected, rtol, atol):
    """One table row per (student node, glassgrad node) pair, and the pairs whose value
    or gradient differs, as (student node, glassgrad node, value ok)."""
    rows, wrong = [], []
    for s, r in pairs:
        mine_v, ref_v = _value(getattr(s, "data", None)), _value(r.data)
        mine_g, ref_g = _value(quiet_grad(s)), expected.get(id(r))
        v_ok = _close(mine_v, ref_v, rtol, atol)
        g_ok = ref_g is None or _close(mine_g, ref_g, rtol, atol)
        mark = "✔" if v_ok and g_ok else ("✘ value" if not v_ok else "✘ grad")
        if not (v_ok and g_ok):
            wrong.append((s, r, v_ok))
        rows.append((_name(s) or _name(r) or "·", f"{_op(s)} / {_op(r)}", _f(mine_v), _f(ref_v),
                     _f(mine_g), "-" if ref_g is None else _f(ref_g), mark))
    return rows, wrong


def _f(x):
    return "-" if x is None else fmt(x, 4)


def _all_zero(pairs, expected):
    rest = pairs[1:]
    return bool(rest) and all(
        _value(quiet_grad(s)) is not None
        and np.allclose(_value(quiet_grad(s)), 0) for s, _ in rest) and any(
        expected.get(id(r)) is not None and not np.allclose(expected[id(r)], 0)
        for _, r in rest)


def _diagnose(wrong, expected, consumers, root, pairs):
    s, r, v_ok = wrong[0]
    who = _name(s) or f"the {_op(s)} node"
    if not v_ok:
        return [f"the forward value of {who} is wrong: {fmt(_value(s.data))}, glassgrad has "
                f"{fmt(_value(r.data))} — fix the forward of {_op(s)!r} first"]
    mine, ref = _value(quiet_grad(s)), expected.get(id(r))
    lines = [f"backprop goes wrong first at {who} (op {_op(s)!r}): its gradient should be "
             f"{fmt(ref)}, yours is {fmt(mine)}"]
    if s is root:
        lines.append("the output's own gradient dL/dL must be 1 before backprop starts")
        return lines
    users = _unique(consumers.get(id(s), []))
    uses = sum(1 for u in users for c in children_of(u) if c is s)
    names = ", ".join(f"{_name(u) or 'a node'} ({_op(u)})" for u in users)
    paired = {id(a): b for a, b in pairs}
    if uses > 1 and _one_contribution(mine, r, users, s, paired, expected):
        lines.append(f"{who} is used {uses} times (by {names}) and your gradient is just one "
                     "of its contributions: the gradient is the SUM of one contribution per "
                     "use — accumulate with += in _backward instead of overwriting with =")
    else:
        lines.append(f"every node after it is right, so a contribution it receives from "
                     f"{names or 'its consumer'} is wrong: check the local derivative in "
                     f"that op's _backward")
    return lines


def _one_contribution(mine, r, users, s, paired, expected):
    """Does ``mine`` equal what a single use of the node would contribute?"""
    for u in users:
        ru = paired.get(id(u))
        if ru is None or expected.get(id(ru)) is None:
            continue
        got = engine_grad(ru, [r], grad_outputs=Tensor(expected[id(ru)]), retain_graph=True,
                          allow_unused=True)[0]
        if got is None:
            continue
        c = np.asarray(got.data, dtype=np.float64)
        per_use = sum(1 for x in children_of(u) if x is s)
        if np.allclose(mine, c) or (per_use > 1 and np.allclose(mine, c / per_use)):
            return True
    return False


def _safe_draw(root, expected, wrong):
    try:
        return draw_values(root, expected=expected, highlight=wrong)
    except Exception:            # the table already says everything
        return None


def draw_values(root, expected=None, highlight=(), rankdir="LR"):
    """Draw a micrograd-style graph: one box per node (label, op, value, grad in red).

    ``expected`` maps ``id(node)`` to glassgrad's gradient (shown next to the node's
    own); nodes in ``highlight`` (ids) are outlined in red. Returns a Digraph.
    """
    nodes = reachable(root)
    ids = {id(v): f"v{k}" for k, v in enumerate(nodes)}
    lines = [f"\trankdir={rankdir}\n", '\tnode [shape=box style="rounded,filled" '
             'fillcolor="#ffffff" fontname="Helvetica" fontsize=11]\n']
    for v in nodes:
        rows = [f"<b>{_esc(_name(v))}</b> {_esc(_op(v))}" if _name(v) else
                f"<b>{_esc(_op(v))}</b>", f"data {_esc(_f(_value(getattr(v, 'data', None))))}",
                f'<font color="#d50000">grad {_esc(_f(_value(quiet_grad(v))))}'
                "</font>"]
        if expected is not None and expected.get(id(v)) is not None:
            rows.append(f'<font color="#1565c0">glassgrad {_esc(_f(expected[id(v)]))}</font>')
        label = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
        attrs = ' color="#c62828" penwidth=3' if id(v) in set(highlight) else ""
        fill = ' fillcolor="#ffcc80"' if v is root else ""
        lines.append(f'\t{ids[id(v)]} [label=<<table border="0" cellborder="0">{label}'
                     f"</table>>{attrs}{fill}]\n")
        for c in children_of(v):
            if id(c) in ids:
                lines.append(f"\t{ids[id(c)]} -> {ids[id(v)]}\n")
    return make_graph(lines)


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["compare_graphs", "draw_values", "pair_nodes", "NotDone"]
