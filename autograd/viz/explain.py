"""``explain(loss)``: every step of backprop as a table (text when printed, HTML in Jupyter).

One row per (step, input that needs a gradient):

    step | node | op | value | upstream grad g | input | rule ∂out/∂x | contribution
    | grad so far

where ``contribution = g · ∂out/∂x`` (the VJP, reduced to the input's shape) and
"grad so far" is that input's gradient summed over the steps up to this one.

By default explain only *watches*: it runs the walk with the graph retained and
puts every ``.grad`` back as it was, so ``loss.backward()`` still works after it.
Pass ``accumulate=True`` to make it the backward pass itself.

>>> import autograd as ag
>>> a = ag.Tensor(2.0, requires_grad=True, name="a")
>>> print(explain(a * a))                                 # doctest: +SKIP
"""
import html

from ..tensor import Tensor
from . import record
from .steps import Step
from .summary import summarize, summarize_grad
from .trace import tensor_key, trace

COLUMNS = ("step", "node", "op", "value", "upstream grad", "input", "rule",
           "contribution", "grad so far")
MAX_CELL = 48


def describe(t):
    """A short name for a tensor or constant: its name, else op#index / leaf#index."""
    if not isinstance(t, Tensor):
        return "const"
    if t.name:
        return t.name
    if t.grad_fn is not None:
        return f"{t.grad_fn.name}#{t._index}"
    return f"leaf#{t._index}"


def run_all(loss, gradient=None, accumulate=False, who="explain(loss)"):
    """Every step of the backward of ``loss`` (see ``record.run_all``), as steps that
    can draw themselves."""
    return record.run_all(loss, gradient, accumulate, who, step_type=Step)


class Explanation:
    """The table of a backward pass: ``rows`` (dicts keyed by COLUMNS), ``steps``."""

    def __init__(self, run):
        self.steps = list(run.steps)
        self.rows = []
        for step in self.steps:
            first = True
            for pos, x in enumerate(step.inputs):
                if not (isinstance(x, Tensor) and x.requires_grad):
                    continue
                contribution = step.input_grads[pos]
                self.rows.append({
                    "step": str(step.index) if first else "",
                    "node": describe(step.node) if first else "",
                    "op": step.op if first else "",
                    "value": summarize(step.node.data) if first and step.node is not None
                    else "",
                    "upstream grad": summarize_grad(step.grad_output) if first else "",
                    "input": describe(x),
                    "rule": step.rules[pos],
                    "contribution": "-" if contribution is None else summarize(contribution),
                    "grad so far": summarize(run.grad_at(tensor_key(x), step.index)),
                })
                first = False

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __str__(self):
        cells = [list(COLUMNS)] + [[_clip(r[c]) for c in COLUMNS] for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
        lines = []
        for n, row in enumerate(cells):
            lines.append(" | ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
            if n == 0:
                lines.append("-+-".join("-" * w for w in widths))
        return "\n".join(lines)

    def __repr__(self):
        return f"<Explanation of {len(self.steps)} backprop steps>\n" + str(self)

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = []
        for r in self.rows:
            tds = []
            for c in COLUMNS:
                style = ' style="color:#d50000"' if c in (
                    "upstream grad", "contribution", "grad so far") else ""
                tds.append(f"<td{style}>{html.escape(r[c])}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        return ('<table class="glassgrad-explain"><thead><tr>' + head + "</tr></thead><tbody>"
                + "".join(body) + "</tbody></table>")


def _clip(text):
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 3] + "..."


def explain(loss, gradient=None, accumulate=False):
    """A table of every backprop step of ``loss`` (see the module docstring).

    ``str()`` gives plain text, Jupyter shows HTML. Leaves ``.grad`` untouched
    unless ``accumulate=True``.
    """
    return Explanation(run_all(loss, gradient, accumulate))
