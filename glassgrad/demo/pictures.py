"""The demo's pictures of its model: the graph (SVG) and a backprop walk-through (HTML).

Both show one forward pass and loss on a few test digits, the input named
``images``. The SVG has every node's value and gradient (``grads="all"``), a cluster
per layer titled like PyTorch's repr (``conv1  Conv2d(1→8, 3×3)``), laid out top to
bottom so that it reads at the width of a browser window. The HTML page steps
through the backward of that loss one node per step (buttons, slider, ← →), with
each step's rule and numbers beside the picture; it is self-contained and plays in
any browser, offline. Without Graphviz's ``dot`` (or the graphviz Python package) the
DOT text is written instead.
"""
import shutil

import autograd as ag


def _loss(model, loss_fn, x, y):
    images, labels = ag.tensor(x), ag.tensor(y)
    images.name, labels.name = "images", "labels"
    loss = loss_fn(model(images), labels)
    loss.name = "loss"
    return loss


def write_graph(model, loss_fn, x, y, base, label="model"):
    """Write ``base.svg`` (the graph) and ``base.html`` (its backward, step by step);
    return a note saying what was written. Parameter gradients are left as they were."""
    loss = _loss(model, loss_fn, x, y)        # in the model's mode (training: dropout on)
    title = (f"{label} on {len(y)} test digits: forward pass, loss and every gradient "
             "(values black, gradients red; a cluster per layer)")
    problem = "Graphviz's `dot` program is not installed"
    try:
        graph = ag.draw_graph(loss, grads="all", collapse=None, title=title)
        source = graph.source
    except ImportError:                           # no graphviz package: DOT text only
        graph, source = None, ag.to_dot(loss, grads="all", collapse=None, title=title)
        problem = "the graphviz Python package is not installed"
    if graph is not None and shutil.which("dot") is not None:
        try:
            svg = graph.pipe(format="svg")
            walk = ag.viz.play(loss, collapse=None,
                               title=f"{label}: one backward pass through the loss on "
                                     f"{len(y)} test digits, one node per step")
        except Exception as exc:                  # a broken Graphviz install
            problem = f"Graphviz failed ({type(exc).__name__}: {exc})"
        else:
            with open(base + ".svg", "wb") as f:
                f.write(svg)
            walk.export_html(base + ".html")
            return (f"graph:      {base}.svg\n"
                    f"backprop:   {base}.html  ({len(walk)} steps; open it in a browser, "
                    "← → to step)")
    with open(base + ".dot", "w", encoding="utf-8") as f:
        f.write(source)
    return (f"graph: {problem}, so wrote the DOT text to {base}.dot (install graphviz, or "
            f"render it with `dot -Tsvg {base}.dot -o {base}.svg`)")
