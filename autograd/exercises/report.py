"""What a check returns and how it is shown: :class:`Check`, the mode, the record.

A check never lets a student's exception escape as a traceback wall: code that is
not written yet (a function whose body is ``...``, an answer left as ``...``, a
``NotImplementedError`` or :class:`NotDone`) gives the status ``"not done"`` with
one line saying what to write; any other exception gives ``"error"`` with the
exception and the student's line that raised it. Every check is recorded (see
:func:`results`), which is how the notebook tests know that each exercise passed.

In ``"strict"`` mode (``set_mode("strict")`` or the environment variable
``GLASSGRAD_EXERCISES=strict``) a check that did not pass raises
:class:`ExerciseFailed`, for scripts and CI that must stop on a wrong answer.
"""
import html
import os
import traceback

import numpy as np

STATUSES = ("passed", "failed", "not done", "error")
_ICONS = {"passed": "✔", "failed": "✘", "not done": "…", "error": "✘"}
_COLORS = {"passed": "#2e7d32", "failed": "#c62828", "not done": "#616161",
           "error": "#c62828"}
_RESULTS = []
_MODE = {"mode": os.environ.get("GLASSGRAD_EXERCISES", "student")}


class NotDone(Exception):
    """Raised by (or for) code that is still a template: the check says "not done yet"."""


class ExerciseFailed(AssertionError):
    """A check that did not pass, raised in strict mode."""


def set_mode(mode):
    """``"student"`` (show every result, never raise) or ``"strict"`` (raise on failure)."""
    if mode not in ("student", "strict"):
        raise ValueError(f"exercises.set_mode: mode must be 'student' or 'strict', got {mode!r}")
    _MODE["mode"] = mode


def get_mode():
    return _MODE["mode"]


def results():
    """Every check run so far in this process: a list of dicts with ``exercise``,
    ``title`` and ``status`` (one of "passed", "failed", "not done", "error")."""
    return [dict(r) for r in _RESULTS]


def reset_results():
    del _RESULTS[:]


class Check:
    """The outcome of one check: ``status``, ``ok``, ``lines`` of explanation, an
    optional ``table`` (header + rows) and an optional ``picture`` (a Digraph).

    ``bool(check)`` is ``check.ok``; ``str(check)`` is plain text; Jupyter shows it
    as a coloured box with the table and, on failure, the picture.
    """

    def __init__(self, title, status, lines=(), table=None, picture=None, exercise=None):
        if status not in STATUSES:
            raise ValueError(f"Check: unknown status {status!r}")
        self.title = title
        self.status = status
        self.lines = list(lines)
        self.table = table
        self.picture = picture
        self.exercise = exercise

    @property
    def ok(self):
        return self.status == "passed"

    def __bool__(self):
        return self.ok

    def headline(self):
        who = f"exercise {self.exercise}: " if self.exercise else ""
        word = {"passed": "correct", "failed": "not yet right", "not done": "not done yet",
                "error": "your code raised an error"}[self.status]
        return f"{_ICONS[self.status]} {who}{self.title} — {word}"

    def __str__(self):
        out = [self.headline()] + ["  " + ln for ln in self.lines]
        if self.table:
            header, rows = self.table
            cells = [list(header)] + [[str(c) for c in row] for row in rows]
            widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
            for n, row in enumerate(cells):
                out.append("  " + " | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
                if n == 0:
                    out.append("  " + "-+-".join("-" * w for w in widths))
        return "\n".join(out)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        color = _COLORS[self.status]
        parts = [f'<div style="border-left:4px solid {color};padding:4px 10px;margin:4px 0">',
                 f'<b style="color:{color}">{html.escape(self.headline())}</b>']
        if self.lines:
            parts.append("<br>" + "<br>".join(html.escape(ln) for ln in self.lines))
        if self.table:
            header, rows = self.table
            cell = 'style="padding:1px 8px;text-align:left"'
            parts.append('<table style="margin-top:4px"><tr>' + "".join(
                f"<th {cell}>{html.escape(str(h))}</th>" for h in header) + "</tr>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td {cell}>{html.escape(str(c))}</td>"
                                              for c in row) + "</tr>")
            parts.append("</table>")
        if self.picture is not None and not self.ok:
            parts.append(_picture_html(self.picture))
        parts.append("</div>")
        return "".join(parts)


def _picture_html(graph):
    """The rendered SVG of a Digraph, or a short note when Graphviz is missing."""
    try:
        svg = graph.pipe(format="svg", encoding="utf-8")
        return f'<div style="overflow-x:auto;max-width:100%">{svg}</div>'
    except Exception as e:       # no `dot` program: the text report is enough
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        return f"<p><i>(no picture: {html.escape(first)})</i></p>"


def finish(check):
    """Record ``check``; in strict mode raise unless it passed. Returns it."""
    _RESULTS.append({"exercise": check.exercise, "title": check.title,
                     "status": check.status})
    if _MODE["mode"] == "strict" and not check.ok:
        raise ExerciseFailed(str(check))
    return check


def is_template(value):
    """An answer that is still the template: ``...`` or None."""
    return value is None or value is Ellipsis


def call_student(fn, *args):
    """Run student code: ``(result, None)`` or ``(None, (status, lines))`` when it is
    not written yet (template body, NotImplementedError, NotDone) or raised."""
    if not callable(fn):
        if is_template(fn):
            return None, ("not done", ["replace the ... with your code, then run the check "
                                       "again"])
        return None, ("error", [f"expected a function, got {type(fn).__name__}"])
    try:
        result = fn(*args)
    except (NotImplementedError, NotDone) as e:
        who = _name(fn)
        what = str(e) if str(e) else f"{who} is not written yet"
        return None, ("not done", [f"not done yet: {what}"])
    except (TypeError, AttributeError) as e:
        if "NoneType" in str(e):        # a template function (body ...) returned None
            return None, ("not done", ["one of your functions returned None: is its body "
                                       "still ...? Write it, then run the check again",
                                       f"({type(e).__name__}: {e})", *_where(e)])
        return None, ("error", [f"{type(e).__name__}: {e}", *_where(e)])
    except Exception as e:      # the student's bug: say what and where, no traceback wall
        return None, ("error", [f"{type(e).__name__}: {e}", *_where(e)])
    if is_template(result):
        return None, ("not done", [f"{_name(fn)} returned {result!r}: write its body "
                                   "(replace the ...) and run the check again"])
    return result, None


def _name(fn):
    return getattr(fn, "__name__", None) or type(fn).__name__


def _where(exc):
    """The last line of the traceback that is not library code (the student's line)."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(here)
            and "site-packages" not in f.filename and f.filename != __file__]
    if not user:
        return []
    f = user[-1]
    line = (f.line or "").strip()
    return [f"raised in {f.name}(), line {f.lineno}: {line}"] if line else []


def as_float_array(value, what):
    """``value`` as a float64 array (Tensors and nested lists too); raises TypeError."""
    data = getattr(value, "data", value)
    if isinstance(data, memoryview):       # a NumPy array's .data is its buffer
        data = value
    try:
        arr = np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} should be numbers (an array, a float or a Tensor), "
                        f"got {type(value).__name__}: {e}") from None
    return arr


def fmt(x, digits=5):
    """A number or small array, briefly."""
    arr = np.asarray(x)
    if arr.size == 1:
        return f"{float(arr.reshape(())):.{digits}g}"
    with np.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
        return np.array2string(arr, separator=", ").replace("\n", "")


def index_text(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if len(idx) else "(scalar)"
