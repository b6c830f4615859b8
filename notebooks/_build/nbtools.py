"""Tiny helpers to write a notebook as a Python list of cells, then execute and save it.

Each ``nbNN_*.py`` script next to this file defines ``NAME`` and ``cells()``; ``build.py``
turns them into ``notebooks/NAME.ipynb``, executed with nbclient so that the committed
file carries its outputs (figures, graphs, tables) and reads well on a code host.
"""
import pathlib
import textwrap

import nbformat

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent
KERNEL = "python3"

# The first code cell of every notebook: import glassgrad from the checkout when it is not
# installed, plot inline with a small figure size, and print arrays compactly.
SETUP = '''\
import pathlib, sys
_root = pathlib.Path.cwd().resolve().parent  # notebooks/ -> repository root
if (_root / "autograd" / "__init__.py").exists() and str(_root) not in sys.path:
    sys.path.insert(0, str(_root))  # run from a checkout without installing
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
%matplotlib inline
plt.rcParams.update({"figure.figsize": (6, 3.2), "figure.dpi": 80})
np.set_printoptions(precision=4, suppress=True)'''


def md(text):
    """A markdown cell; the text is dedented so scripts can indent it."""
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(src):
    """A code cell; the source is dedented so scripts can indent it."""
    return nbformat.v4.new_code_cell(textwrap.dedent(src).strip("\n"))


def setup(extra=""):
    """The standard first code cell, plus ``extra`` imports."""
    src = SETUP + ("\n" + textwrap.dedent(extra).strip("\n") if extra else "")
    return nbformat.v4.new_code_cell(src)


def make(cells):
    """A notebook object (no outputs) from a list of cells.

    Cell ids are numbered (``cell-000``, ...) instead of random, so that rebuilding a
    notebook changes its file only where its content or outputs change.
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb, timeout=300, cwd=NOTEBOOKS):
    """Run every cell in ``cwd`` (raises CellExecutionError on the first error).

    The kernel inherits this process's environment; BLAS is limited to one thread unless
    the caller chose otherwise, because on a busy 2-core CI machine OpenBLAS's threads
    make the small matrix products of these notebooks 10-50x slower.
    """
    import os

    from nbclient import NotebookClient

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def build(name, cells, run=True, out=NOTEBOOKS):
    """Write ``<out>/<name>.ipynb``, executed there with outputs unless ``run`` is False.

    ``out`` defaults to ``notebooks/``; another directory whose parent holds other copies
    of the packages lets a notebook be tried against work that is not merged yet.
    """
    out = pathlib.Path(out)
    nb = make(cells)
    if run:
        execute(nb, cwd=out)
    path = out / f"{name}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path
