"""The demo's optional dependencies, checked before training rather than after it.

The library needs NumPy alone; the demo's extras (``pip install -e ".[train]"``, which
``bash scripts/train.sh`` does) add the progress bar (tqdm), the learning-curve PNG
(matplotlib) and the graph picture (the graphviz package and Graphviz's ``dot``).
A missing plotter is an error unless ``--no-plot`` says the plot is not wanted; the
others have a fallback, announced up front.
"""
import importlib
import shutil

from .cli import DemoError

INSTALL = 'pip install -e ".[train]" (bash scripts/train.sh does it)'


def importable(name):
    """True when ``import name`` works (a broken install counts as missing)."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def check_optional(args):
    """Raise DemoError for a missing dependency the run needs; return notes for fallbacks."""
    if not args.no_plot and not importable("matplotlib"):
        raise DemoError(f"the learning-curve plot needs matplotlib, which is not installed: "
                        f"pip install matplotlib, or {INSTALL}; or pass --no-plot")
    notes = []
    if not args.no_progress and not importable("tqdm"):
        notes.append("tqdm is not installed, so progress is one line per epoch instead of "
                     "a bar (pip install tqdm)")
    if not args.no_graph:
        if not importable("graphviz"):
            notes.append("the graphviz Python package is not installed, so the graph is "
                         "written as DOT text (pip install graphviz; or pass --no-graph)")
        elif shutil.which("dot") is None:
            notes.append("Graphviz's `dot` program is not installed, so the graph is written "
                         "as DOT text (apt-get install graphviz / brew install graphviz / "
                         "conda install graphviz; or pass --no-graph)")
    return notes
