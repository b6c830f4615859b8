"""Every notebook runs top to bottom, is committed with its outputs, and matches its script;
every exercise's check passes with the solution and rejects a typical wrong answer.

The notebooks assert their key numbers in cells (e.g. ``x.grad == 4`` for f = (x + y)·z),
so executing them is a regression test of the library against the course material. Each
notebook is executed twice: as committed (the exercises left as templates, as a student who
skips them sees it), whose outputs must equal the committed ones (a rebuild is stable), and
with every exercise run first with its wrong answer, then with its solution.
"""
import pathlib
import re
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
IDS = [p.stem for p in PATHS]


def _read(path):
    return nbformat.read(str(path), as_version=4)


def _cleared(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def test_there_are_notebooks_and_each_has_a_script():
    assert len(PATHS) >= 9, f"expected notebooks 00-08 at least in {NOTEBOOKS}"
    assert sorted(p.stem for p in PATHS) == sorted(SCRIPTS), \
        "every notebooks/NN_*.ipynb needs a notebooks/_build/nbNN_*.py script and vice versa"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_as_committed_and_a_rebuild_is_stable(path):
    committed = _read(path)
    fresh = nbtools.execute(_cleared(_read(path)), timeout=180)
    errors = [o for c in fresh.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    before, after = nbtools.comparable_outputs(committed), nbtools.comparable_outputs(fresh)
    changed = [k for k, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and not changed, \
        (f"{path.name}: a fresh run differs from the committed outputs in code cells {changed}"
         f" (first: {before[changed[0]] if changed else ''} -> "
         f"{after[changed[0]] if changed else ''}); rebuild it, or make the output "
         "deterministic")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_exercises_pass_with_solutions_and_reject_typical_wrong_answers(path):
    nb = _read(path)
    ids = nbtools.exercise_ids(nb)
    solutions = nbtools.read_solutions(path.stem)
    ran = nbtools.execute(nbtools.with_solutions(nb, solutions), timeout=300)
    records = nbtools.exercise_results(ran)
    for ex_id in ids:
        got = [r["status"] for r in records if r["exercise"] == ex_id]
        n = sum(1 for c in nb.cells if c.metadata.get("glassgrad", {}).get("exercise") == ex_id
                and c.metadata["glassgrad"]["role"] == "check")
        assert len(got) == 2 * n, f"exercise {ex_id}: expected {2 * n} check results, got {got}"
        wrong, right = got[:n], got[n:]
        assert "not done" not in wrong and any(s in ("failed", "error") for s in wrong), \
            f"exercise {ex_id}: its check did not reject the wrong answer " \
            f"({solutions[ex_id]['note']}): {wrong}"
        assert all(s == "passed" for s in right), \
            f"exercise {ex_id}: the solution does not pass its check: {right}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
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
    text = path.read_text(encoding="utf-8")
    assert not re.search(r" at 0x[0-9a-f]+>", text), f"{path.name} has object addresses"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_exercise_has_a_check_a_solution_and_a_wrong_answer(path):
    nb = _read(path)
    ids = nbtools.exercise_ids(nb)
    solutions = nbtools.read_solutions(path.stem)
    assert len(ids) >= 4, f"{path.name} has {len(ids)} exercises; each notebook needs 4+"
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate exercise ids {ids}"
    assert sorted(ids) == sorted(solutions), \
        f"{path.name}: exercises {sorted(ids)} vs solution blocks {sorted(solutions)}"
    templates = {c.metadata["glassgrad"]["exercise"]: c.source for c in nb.cells
                 if c.metadata.get("glassgrad", {}).get("role") == "answer"}
    for ex_id in ids:
        assert solutions[ex_id]["note"], f"[{ex_id}] wrong: needs a note saying what is wrong"
        wrong = solutions[ex_id]["wrong"] or templates[ex_id]     # empty: the template is the bug
        assert solutions[ex_id]["solution"].strip() != wrong.strip()
        roles = [c.metadata["glassgrad"]["role"] for c in nb.cells
                 if c.metadata.get("glassgrad", {}).get("exercise") == ex_id]
        assert roles[0] == "answer" and roles[1:] and set(roles[1:]) == {"check"}, \
            f"{path.name}: exercise {ex_id} needs an answer cell followed by its check cells"


def test_forty_exercises_in_all_and_the_readme_lists_them():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    ids = [i for p in PATHS for i in nbtools.exercise_ids(_read(p))]
    assert len(ids) >= 40, f"{len(ids)} exercises in all; the notebooks need 40+"
    missing = [i for i in ids if f"{i}" not in readme]
    assert not missing, f"notebooks/README.md does not list exercises {missing}"


def test_readme_links_every_notebook():
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in PATHS if f"]({p.name})" not in readme]
    assert not missing, f"notebooks/README.md has no line for {missing}"


def test_notebooks_cite_course_material_by_title_not_by_a_local_path():
    """Users do not have the course files: cite problems by title and number."""
    files = [*PATHS, *NOTEBOOKS.glob("_build/*.py"), *NOTEBOOKS.glob("solutions/*.py"),
             NOTEBOOKS / "README.md"]
    bad = [f.name for f in files if re.search(r"shared/|\bthe seeds\b|\bseeds'", f.read_text("utf-8"))]
    assert not bad, f"these files refer to local course files: {bad}"
