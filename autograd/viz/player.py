"""``play(loss)``: watch backprop one node per frame, anywhere.

By default ``play`` returns a :class:`~autograd.viz.walkthrough.Walkthrough`: a
self-contained HTML player (inline SVG frames, buttons, a slider and the arrow
keys, each step's rule and numbers beside its picture). Jupyter shows it inline,
also in a saved notebook; ``.export_html("backprop.html")`` writes it as a page
that opens in any browser, offline.

``play(loss, widgets=True)`` gives the older ipywidgets player instead (a slider
and prev/next buttons that re-render in a live kernel); without ipywidgets it falls
back to a :class:`StepStrip`, the pictures one under another.

Like ``explain``, play only watches: ``.grad`` values are restored and the graph
kept, unless ``accumulate=True``.
"""
import html

from .explain import run_all
from .summary import summarize_grad
from .walkthrough import Walkthrough, render_frames


def _caption(step):
    upstream = html.escape(summarize_grad(step.grad_output))
    return (f"step {step.index}: {html.escape(step.op)} "
            f"(#{step.grad_fn.index}) - {html.escape(step.rule)} - upstream grad "
            f'<span style="color:#d50000">{upstream}</span>')


def _svg_or_message(graph):
    """The rendered SVG, or the install help in a <pre> when Graphviz is missing."""
    from .digraph import GraphvizNotFoundError   # a graph exists: graphviz is importable
    try:
        return graph.svg()
    except GraphvizNotFoundError as e:
        return f"<pre>{html.escape(str(e))}</pre>"


class StepStrip(list):
    """The pictures of every step (Digraphs); Jupyter shows them one under another."""

    def __init__(self, steps, graphs):
        super().__init__(graphs)
        self.steps = steps

    def _repr_html_(self):
        parts = []
        for step, graph in zip(self.steps, self):
            parts.append(f"<div><p>{_caption(step)}</p>{_svg_or_message(graph)}</div>")
        return "".join(parts)


def _widgets():
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def play(loss, gradient=None, accumulate=False, widgets=False, title=None, **draw_options):
    """A player of the backward pass of ``loss``, one node per step (see the module
    docstring). ``draw_options`` go to ``Step.draw`` (e.g. ``show_data=False``,
    ``collapse=1``); ``title`` heads the HTML page."""
    run = run_all(loss, gradient, accumulate, who="play(loss)")
    steps = run.steps
    if not steps:
        raise ValueError("play: the loss has no recorded operations to step through "
                         "(it is a leaf); build it from tensors with requires_grad=True")
    if widgets:
        return _widget_player(steps, draw_options)
    name = getattr(loss, "name", None)
    title = title or (f"Backprop through {name}, one node per step" if name
                      else "Backprop, one node per step")
    return Walkthrough(steps, render_frames(steps, draw_options), title,
                       draw_options.get("max_full"))


def _widget_player(steps, draw_options):
    widgets = _widgets()
    if widgets is None:
        return StepStrip(steps, [s.draw(**draw_options) for s in steps])
    slider = widgets.IntSlider(value=0, min=0, max=len(steps) - 1, description="step")
    prev_button = widgets.Button(description="< prev")
    next_button = widgets.Button(description="next >")
    caption = widgets.HTML()
    picture = widgets.HTML()
    cache = {}

    def show(change=None):
        k = slider.value
        if k not in cache:
            cache[k] = _svg_or_message(steps[k].draw(**draw_options))
        caption.value = _caption(steps[k])
        picture.value = cache[k]

    def go_prev(_button):
        slider.value = max(slider.min, slider.value - 1)

    def go_next(_button):
        slider.value = min(slider.max, slider.value + 1)

    slider.observe(show, names="value")
    prev_button.on_click(go_prev)
    next_button.on_click(go_next)
    show()
    box = widgets.VBox([widgets.HBox([prev_button, slider, next_button]), caption, picture])
    box.steps = steps
    return box
