"""A backward pass as one self-contained HTML page that plays in any browser.

``play(loss)`` returns a :class:`Walkthrough`: every step's picture as inline SVG,
with the rule and the numbers of that step beside it (the node's value, the
upstream gradient ``g``, and for each input its local rule, its contribution
``g · ∂out/∂x`` and its gradient so far). Buttons, a slider and the arrow keys
(← →, Home, End) move between steps. The page loads nothing from the network and
needs no Jupyter: ``export_html(path)`` writes it to a file you can send to anyone,
and in a notebook ``_repr_html_`` shows the same player inline (without
JavaScript, e.g. on a site that strips scripts, every step is shown one under
another).

The pictures keep one layout from step to step: every frame is drawn with the
node sizes of the last one (where every box holds its final gradient), and the
contributions on the red edges are external labels, which Graphviz places after
the layout where they cover nothing (only short ones: the panel has them all); so
pressing → changes colours and numbers, not positions.
"""
import html
import itertools
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..tensor import Tensor
from .labels import CURRENT_FILL
from .summary import fits, matrix_rows, noise_floor, stats_lines
from .text import clean
from .trace import is_parameter

_ids = itertools.count()
_SVG_START = re.compile(r"<svg\b")
_SVG_ID = re.compile(r'\bid="([^"]*)"')
_SVG_REF = re.compile(r"url\(#([^)]*)\)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SVG_WIDTH = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"')
MIN_SCALE = 0.75        # a frame is never shown smaller than this (text stays >= 9 px)
RENDER_THREADS = 4

CSS = """
.gg-player{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;
  color:#212121;max-width:100%;outline:none}
.gg-player h1{font-size:1.15em;margin:.2em 0 .5em}
.gg-controls{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:0 0 8px}
.gg-controls button{font:inherit;padding:3px 10px;border:1px solid #9e9e9e;
  border-radius:4px;background:#fafafa;cursor:pointer}
.gg-controls button:disabled{opacity:.4;cursor:default}
.gg-controls input[type=range]{flex:1 1 160px;min-width:120px}
.gg-counter{min-width:8em;font-variant-numeric:tabular-nums}
.gg-frame{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start;
  border-top:1px solid #e0e0e0;padding-top:8px;margin-top:8px}
.gg-player.gg-js .gg-frame{display:none}
.gg-player.gg-js .gg-frame.gg-on{display:flex}
.gg-picture{flex:1 1 420px;min-width:0;max-height:85vh;overflow:auto}
.gg-picture svg{max-width:100%;height:auto}
.gg-panel{flex:0 1 340px;font-size:14px;line-height:1.35}
.gg-panel h2{font-size:1.05em;margin:0 0 .4em}
.gg-rule{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f5f5f5;
  padding:4px 6px;border-radius:4px;white-space:pre-wrap}
.gg-numbers{border-collapse:collapse;margin-top:6px}
.gg-numbers th{text-align:left;font-weight:600;padding:3px 8px 3px 0;vertical-align:top}
.gg-numbers td{padding:3px 0;vertical-align:top}
.gg-grad{color:#d50000}
.gg-matrix{border-left:1px solid currentColor;border-right:1px solid currentColor;
  border-collapse:collapse;display:inline-table}
.gg-matrix td{text-align:right;padding:0 4px;font-variant-numeric:tabular-nums}
.gg-help{color:#757575;font-size:12px;margin-top:10px}
.gg-hook{color:#6a1b9a}
.gg-key{font-size:12px;color:#424242;margin:0 0 4px}
.gg-swatch{display:inline-block;width:14px;height:10px;border:2px solid;border-radius:3px;
  margin:0 4px 0 10px;vertical-align:middle}
"""

JS = """
(function () {
  var root = document.getElementById("%(id)s");
  if (!root) { return; }
  root.classList.add("gg-js");
  var frames = root.querySelectorAll(".gg-frame");
  var n = frames.length, k = 0;
  var slider = root.querySelector(".gg-slider");
  var index = root.querySelector(".gg-index");
  var buttons = {};
  ["first", "prev", "next", "last"].forEach(function (name) {
    buttons[name] = root.querySelector(".gg-" + name);
  });
  function show(j) {
    j = Math.max(0, Math.min(n - 1, j));
    frames[k].classList.remove("gg-on");
    k = j;
    frames[k].classList.add("gg-on");
    slider.value = String(k);
    index.textContent = String(k);
    root.setAttribute("data-current", String(k));
    centre(frames[k]);
    buttons.first.disabled = buttons.prev.disabled = (k === 0);
    buttons.next.disabled = buttons.last.disabled = (k === n - 1);
  }
  function centre(frame) {      // scroll the picture (not the page) to this step's node
    var picture = frame.querySelector(".gg-picture");
    var nodes = frame.querySelectorAll("svg g.node");
    for (var i = 0; i < nodes.length; i++) {
      var shape = nodes[i].querySelector("path, polygon");
      if (shape && shape.getAttribute("fill") === "%(current)s") {
        var r = nodes[i].getBoundingClientRect(), c = picture.getBoundingClientRect();
        picture.scrollTop += (r.top + r.height / 2) - (c.top + c.height / 2);
        picture.scrollLeft += (r.left + r.width / 2) - (c.left + c.width / 2);
        return;
      }
    }
  }
  buttons.first.addEventListener("click", function () { show(0); });
  buttons.prev.addEventListener("click", function () { show(k - 1); });
  buttons.next.addEventListener("click", function () { show(k + 1); });
  buttons.last.addEventListener("click", function () { show(n - 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  function onKey(e) {
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || e.altKey || e.ctrlKey || e.metaKey) {
      return;
    }
    var to = {ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: n - 1}[e.key];
    if (to === undefined) { return; }
    show(to);
    e.preventDefault();
    e.stopPropagation();
  }
  (%(standalone)s ? document : root).addEventListener("keydown", onKey);
  show(0);
})();
"""


def html_value(a, max_full, grad=False):
    """An array for the panel: an aligned matrix if small, else min / max / mean."""
    if a is None:
        return "—"
    if isinstance(a, (list, tuple)):
        return "; ".join(html_value(x, max_full, grad) for x in a)
    a = np.asarray(getattr(a, "data", a))
    cls = ' class="gg-grad"' if grad else ""
    if a.size == 0:
        return f"<span{cls}>[] (empty)</span>"
    if not fits(a.shape, max_full):
        return f"<span{cls}>" + "<br>".join(html.escape(s) for s in stats_lines(a)) + "</span>"
    rows = matrix_rows(a, noise_floor(a))
    if a.ndim < 2:
        text = ", ".join(rows[0])
        return f"<span{cls}>" + html.escape(f"[{text}]" if a.ndim else text) + "</span>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f'<table class="gg-matrix{" gg-grad" if grad else ""}">{body}</table>'


def _who(t):
    """A tensor as the panel names it: its name, else its op and module, else its kind."""
    if t.name:
        return t.name
    node = t.grad_fn
    if node is None:
        return "parameter" if is_parameter(t) else "leaf"
    scope = getattr(node, "scope", None)
    if not scope:
        return node.name
    describe = getattr(scope, "describe", None)
    what = describe() if describe is not None else None
    return f"{node.name} in {scope}" + (f" ({what})" if what and what != scope else "")


def _panel(step, n, max_full):
    """The text beside the picture: the step's rule and numbers."""
    node = step.node
    who = _who(node) if node is not None else step.op
    title = f"Step {step.index}: {who}" + (f" = {step.op}" if node is not None and node.name
                                          else "")
    rows = []
    if node is not None:
        rows.append(("value of this node", html_value(node.data, max_full)))
    rows.append(("upstream gradient g", f'<span class="gg-upstream">'
                 f"{html_value(step.grad_output, max_full, grad=True)}</span>"))
    for pos, x in enumerate(step.inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        g = step.input_grads[pos]
        so_far = step._run.grad_at(_key(x), step.index)
        cell = (f'<div class="gg-rule">{html.escape(clean(step.rules[pos], None))}</div>'
                f"<div>g · ∂out/∂{html.escape(clean(_who(x)))} = "
                f"{html_value(g, max_full, grad=True)}</div>"
                f"<div>gradient so far: {html_value(so_far, max_full, grad=True)}</div>")
        rows.append((f"→ {clean(_who(x))}", cell))
    for t, before, after in step.hook_changes:
        rows.append((f"hook on {clean(_who(t))}", (
            f'<div class="gg-hook">a hook changed its gradient from '
            f"{html_value(before, max_full)}</div><div>to "
            f"{html_value(after, max_full, grad=True)}</div>")))
    table = "".join(f"<tr><th>{html.escape(h)}</th><td>{c}</td></tr>" for h, c in rows)
    return (f'<aside class="gg-panel"><h2 class="gg-step-title">{html.escape(clean(title, 120))}'
            f'</h2><div class="gg-rule">{html.escape(clean(step.rule, None))}</div>'
            f'<table class="gg-numbers">{table}</table></aside>')


def _key(t):
    return f"t{t._index}"


def inline_svg(svg, prefix):
    """Graphviz's SVG made fit to sit inside an HTML page next to others: no XML
    prolog or comments, every id (and reference to one) prefixed, and a minimum
    width so that a narrow column shrinks it to 3/4 at most (then it scrolls)."""
    m = _SVG_START.search(svg)
    svg = svg[m.start():] if m else svg
    svg = _COMMENT.sub("", svg)
    svg = _SVG_ID.sub(lambda mm: f'id="{prefix}{mm.group(1)}"', svg)
    svg = _SVG_REF.sub(lambda mm: f"url(#{prefix}{mm.group(1)})", svg)
    width = _SVG_WIDTH.search(svg)
    if width:
        least = float(width.group(1)) * 4 / 3 * MIN_SCALE         # pt -> px
        svg = svg.replace("<svg ", f'<svg style="min-width:{least:.0f}px" ', 1)
    return svg


def render_frames(steps, draw_options):
    """Each step's picture as SVG text (the install help instead, without Graphviz),
    drawn with one stable layout (see the module docstring)."""
    from .render import GraphvizNotFoundError     # loads graphviz: drawing needs it
    options = dict(draw_options)
    options.setdefault("format", "svg")
    try:
        last = steps[-1].draw(**options)
        sizes = node_sizes(last)
    except GraphvizNotFoundError as e:
        return [f"<pre>{html.escape(str(e))}</pre>"] * len(steps)
    graphs = [s.draw(_frame={"sizes": sizes, "xlabels": True}, **options) for s in steps]

    def svg(graph):
        # quiet: with forcelabels=false Graphviz leaves out an edge's external label
        # where it would cover a box (the panel has every number) and reports each one
        # on stderr ("0 out of 1 exterior labels positioned"), which is what we asked
        # for. Errors still raise; tests/viz/test_viz_hooks.py checks that the frames
        # give Graphviz nothing else to say.
        try:
            return graph.pipe(format="svg", encoding="utf-8", quiet=True)
        except GraphvizNotFoundError as e:
            return f"<pre>{html.escape(str(e))}</pre>"
    workers = max(1, min(RENDER_THREADS, os.cpu_count() or 1, len(graphs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(svg, graphs))


def node_sizes(graph):
    """DOT node name -> (width, height) in inches, as Graphviz lays ``graph`` out, with
    room for a gradient "so far" note."""
    data = json.loads(graph.pipe(format="json").decode("utf-8"))
    fan_out = {}
    for edge in data.get("edges", ()):
        fan_out[edge["tail"]] = fan_out.get(edge["tail"], 0) + 1
    sizes = {}
    for gvid, obj in enumerate(data.get("objects", ())):
        if "width" in obj and "nodes" not in obj:       # a node, not a cluster
            extra = 0.6 if fan_out.get(obj.get("_gvid", gvid), 0) > 1 else 0.1
            sizes[obj["name"]] = (float(obj["width"]) + extra, float(obj["height"]) + 0.05)
    return sizes


class Walkthrough:
    """The steps of one backward pass as a self-contained HTML player.

    ``steps`` (the :class:`Step` objects), ``frames`` (each step's SVG),
    ``html()`` (the whole page), ``export_html(path)`` (write it), and
    ``_repr_html_()`` (the player inline in Jupyter).
    """

    def __init__(self, steps, frames, title="Backprop, one node per step", max_full=None):
        if len(steps) != len(frames):
            raise ValueError("Walkthrough: one frame per step is needed")
        self.steps = list(steps)
        self.frames = list(frames)
        self.title = title
        self.max_full = max_full

    def __len__(self):
        return len(self.steps)

    def __repr__(self):
        return f"<Walkthrough of {len(self)} backprop steps>"

    def _player(self, uid, standalone):
        n = len(self.steps)
        sections = []
        for k, (step, svg) in enumerate(zip(self.steps, self.frames)):
            node = _key(step.node) if step.node is not None else ""
            sections.append(
                f'<section class="gg-frame{" gg-on" if k == 0 else ""}" data-step="{k}" '
                f'data-node="{node}" data-op="{html.escape(step.op)}">'
                f'<div class="gg-picture">{inline_svg(svg, f"{uid}-{k}-")}</div>'
                f"{_panel(step, n, self.max_full)}</section>")
        controls = (
            '<div class="gg-controls">'
            '<button class="gg-first" type="button" title="first step (Home)">&#171; first'
            "</button>"
            '<button class="gg-prev" type="button" title="previous step (←)">&#9664; prev'
            "</button>"
            f'<input class="gg-slider" type="range" min="0" max="{n - 1}" value="0" '
            'aria-label="step">'
            '<button class="gg-next" type="button" title="next step (→)">next &#9654;'
            "</button>"
            '<button class="gg-last" type="button" title="last step (End)">last &#187;</button>'
            f'<span class="gg-counter">step <b class="gg-index">0</b> (0&#8211;{n - 1})</span>'
            "</div>"
            '<div class="gg-key"><span class="gg-swatch" style="background:#fff59d;'
            'border-color:#d50000"></span>the node of this step '
            '<span class="gg-swatch" style="border-color:#2e7d32"></span>gradient already '
            'pushed back <span style="color:#d50000">red: gradients</span> '
            "(red arrows: what this step sends back to its inputs, in numbers on the "
            "right)</div>")
        script = JS % {"id": uid, "standalone": "true" if standalone else "false",
                       "current": CURRENT_FILL}
        return (f'<div class="gg-player" id="{uid}" tabindex="0" data-steps="{n}" '
                f'data-current="0"><h1>{html.escape(clean(self.title, 200))}</h1>{controls}'
                + "".join(sections)
                + '<p class="gg-help">← → step, Home/End jump; the slider moves too. The '
                "gradient rule and numbers of each step are beside its picture; red is a "
                f"gradient.</p></div><script>{script}</script>")

    def html(self):
        """The whole page (a string): inline SVG, CSS and JavaScript, nothing external."""
        uid = f"gg-player-{next(_ids)}"
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(clean(self.title, 200))}</title>"
                f"<style>body{{margin:16px}}{CSS}</style></head><body>"
                f"{self._player(uid, standalone=True)}</body></html>\n")

    def _repr_html_(self):
        uid = f"gg-player-{next(_ids)}"
        return f"<style>{CSS}</style>{self._player(uid, standalone=False)}"

    def export_html(self, path):
        """Write the page to ``path`` (atomically: a complete file or none); return it."""
        path = os.fspath(path)
        text = self.html()
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".walkthrough-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)           # as open() would have made it
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return path
