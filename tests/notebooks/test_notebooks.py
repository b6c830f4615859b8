"""Every notebook runs top to bottom, is committed with its outputs, and matches its script.

The notebooks assert their key numbers in cells (e.g. ``x.grad == 4`` for f = (x + y)·z),
so executing them is a regression test of the library against the course material.
"""
import pathlib
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS / "_build"))
import build  # noqa: E402
import nbtools  # noqa: E402

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SCRIPTS = {mod.NAME: mod for mod in build.scripts()}


def _read(path):
    return nbformat.read(str(path), as_version=4)


def test_there_are_notebooks_and_each_has_a_script():
    assert PATHS, f"no notebooks found in {NOTEBOOKS}"
    assert sorted(p.stem for p in PATHS) == sorted(SCRIPTS), \
        "every notebooks/NN_*.ipynb needs a notebooks/_build/nbNN_*.py script and vice versa"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_executes_without_errors(path):
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbtools.execute(nb, timeout=180)   # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_committed_executed_and_in_sync_with_its_script(path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), \
        f"{path.name} is not saved with outputs: run python notebooks/_build/build.py"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    expected = [c.source for c in SCRIPTS[path.stem].cells()]
    assert [c.source for c in nb.cells] == expected, \
        f"{path.name} differs from its script: run python notebooks/_build/build.py {path.stem}"


def test_readme_links_every_notebook():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in PATHS if f"]({p.name})" not in readme]
    assert not missing, f"notebooks/README.md has no line for {missing}"
