"""The demo's picture of its model's graph (SVG, or DOT text without Graphviz)."""
import shutil

import autograd as ag


def write_graph(model, loss_fn, x, y, base, label="model"):
    """Draw one forward pass + loss (after backward, so gradients show); return a note."""
    draw = getattr(ag, "draw_graph", None)
    if draw is None:
        return "graph: autograd.draw_graph is not available in this version; skipped"
    model.zero_grad()
    images, labels = ag.tensor(x), ag.tensor(y)
    images.name, labels.name = "images", "labels"
    loss = loss_fn(model(images), labels)
    loss.name = "loss"
    loss.backward()
    title = (f"{label} on {len(y)} test digits: forward pass, loss and gradients (one box "
             f"per tensor, a cluster per layer)")
    problem = "Graphviz's `dot` program is not installed"
    try:
        graph = draw(loss, title=title)
        source = graph.source
    except ImportError:                           # no graphviz package: DOT text only
        graph, source = None, ag.to_dot(loss, title=title)
        problem = "the graphviz Python package is not installed"
    model.zero_grad()
    if graph is not None and shutil.which("dot") is not None:
        try:
            svg = graph.pipe(format="svg")
        except Exception as exc:                  # a broken Graphviz install
            problem = f"Graphviz failed ({type(exc).__name__}: {exc})"
        else:
            with open(base + ".svg", "wb") as f:
                f.write(svg)
            return f"graph:      {base}.svg"
    with open(base + ".dot", "w") as f:
        f.write(source)
    return (f"graph: {problem}, so wrote the DOT text to {base}.dot (install graphviz, or "
            f"render it with `dot -Tsvg {base}.dot -o {base}.svg`)")
