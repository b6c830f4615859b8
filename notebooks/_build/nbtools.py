"""Tiny helpers to write a notebook as a Python list of cells, then execute and save it.

Each ``nbNN_*.py`` script next to this file defines ``NAME`` and ``cells()``; ``build.py``
turns them into ``notebooks/NAME.ipynb``, executed with nbclient so that the committed
file carries its outputs (figures, graphs, tables) and reads well on a code host.
"""
import json
import pathlib
import platform
import re
import textwrap

import nbformat

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = NOTEBOOKS / "solutions"
KERNEL = "python3"
KINDS = {"predict": "Predict, then check", "write": "Write it", "bug": "Find the bug"}
RESULTS_MARK = "GLASSGRAD-EXERCISE-RESULTS "

# The first code cell of every notebook: one BLAS thread (these are small matrices; on a busy
# 2-core machine OpenBLAS's threads make them 3-6x slower), import glassgrad from the checkout
# when it is not installed, plot inline with a small figure size, print arrays compactly.
SETUP = '''\
import os, pathlib, sys
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")   # before NumPy loads BLAS: one thread is fastest here
_root = pathlib.Path.cwd().resolve().parent  # notebooks/ -> repository root
if (_root / "autograd" / "__init__.py").exists() and str(_root) not in sys.path:
    sys.path.insert(0, str(_root))  # run from a checkout without installing
import numpy as np
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)                # also when NumPy was imported before this cell
except ImportError:
    pass
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


def exercise(ex_id, kind, title, text, template, notebook):
    """An exercise: a markdown task and the answer cell the student edits.

    ``kind`` is "predict" (predict a number, then check it), "write" (write a VJP or
    a function) or "bug" (fix a buggy backward). The answer cell only *defines*
    things (a function whose body is ``...``, or ``answer = ...``); the check cell(s)
    that follow call the checks of ``autograd.exercises``, which say "not done yet"
    for a template, so the notebook runs top to bottom for a student who skips it.
    The solution and a typical wrong answer live in ``solutions/<notebook>.py``.
    """
    head = (f"### ✍ Exercise {ex_id} · {KINDS[kind]}: {title}\n\n"
            + textwrap.dedent(text).strip("\n")
            + f"\n\n<small>Edit the next cell, then run the check below it. Stuck? The "
              f"solution is block `[{ex_id}]` of `solutions/{notebook}.py`.</small>")
    answer = code(template)
    answer.metadata["glassgrad"] = {"exercise": ex_id, "role": "answer"}
    return [md(head), answer]


def check(ex_id, src):
    """The check cell of exercise ``ex_id`` (one check call, passing exercise=ex_id)."""
    cell = code(src)
    if f'exercise="{ex_id}"' not in cell.source:
        raise ValueError(f"check cell of {ex_id} must pass exercise=\"{ex_id}\" to its check")
    cell.metadata["glassgrad"] = {"exercise": ex_id, "role": "check"}
    return cell


_BLOCK = re.compile(r"^# %% \[(?P<id>[\w.]+)\] (?P<kind>solution|wrong)(?::\s*(?P<note>.*))?$")


def read_solutions(name, folder=SOLUTIONS):
    """``{exercise id: {"solution": src, "wrong": src, "note": why it is wrong}}`` from
    ``solutions/<name>.py``, whose blocks start with ``# %% [id] solution`` or
    ``# %% [id] wrong: <what is wrong>``. An empty wrong block means "the template as
    given" (a find-the-bug exercise, whose template is the bug)."""
    path = pathlib.Path(folder) / f"{name}.py"
    if not path.exists():
        return {}
    blocks, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _BLOCK.match(line)
        if m:
            entry = blocks.setdefault(m["id"], {})
            if m["kind"] in entry:
                raise ValueError(f"{path.name}: two {m['kind']} blocks for [{m['id']}]")
            entry[m["kind"]] = []
            if m["kind"] == "wrong":
                entry["note"] = m["note"] or ""
            current = entry[m["kind"]]
        elif current is not None:
            current.append(line)
    for ex_id, entry in blocks.items():
        for kind in ("solution", "wrong"):
            if kind not in entry:
                raise ValueError(f"{path.name}: exercise [{ex_id}] has no {kind} block")
            entry[kind] = "\n".join(entry[kind]).strip("\n")
    return blocks


def exercise_ids(nb):
    """The exercise ids of a notebook in order (from the answer cells' metadata)."""
    return [c.metadata["glassgrad"]["exercise"] for c in nb.cells
            if c.metadata.get("glassgrad", {}).get("role") == "answer"]


def with_solutions(nb, solutions):
    """A copy of ``nb`` where each exercise runs twice: first its typical wrong answer
    and its checks (which must fail), then its solution and the same checks (which
    must pass). A last cell prints every check's result after RESULTS_MARK."""
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    cells = nb.cells
    k = 0
    while k < len(cells):
        cell = cells[k]
        meta = cell.metadata.get("glassgrad", {})
        if meta.get("role") != "answer":
            out.cells.append(_clean_copy(cell))
            k += 1
            continue
        ex_id = meta["exercise"]
        checks = []
        k += 1
        while k < len(cells) and cells[k].metadata.get("glassgrad", {}).get("exercise") == ex_id:
            checks.append(cells[k])
            k += 1
        for kind in ("wrong", "solution"):
            out.cells.append(_clean_copy(cell, source=solutions[ex_id][kind] or cell.source))
            out.cells.extend(_clean_copy(c) for c in checks)
    out.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nimport autograd.exercises as _ex\n"
        f"print({RESULTS_MARK!r} + _json.dumps(_ex.results()))"))
    return out


def _clean_copy(cell, source=None):
    new = nbformat.from_dict(json.loads(json.dumps(cell)))
    if source is not None:
        new.source = source
    if new.cell_type == "code":
        new.outputs, new.execution_count = [], None
    new.pop("id", None)
    return new


def exercise_results(nb):
    """The list printed by the last cell of a notebook made by :func:`with_solutions`."""
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "")
        if RESULTS_MARK in text:
            return json.loads(text.split(RESULTS_MARK, 1)[1])
    raise AssertionError("the exercise results cell printed nothing")


_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
_MODEL_ID = re.compile(r"\b[0-9a-f]{32}\b")


def make_deterministic(nb):
    """Remove what changes from run to run: object addresses in reprs, and the random
    ids of widget models (renumbered in order of appearance)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = _ADDRESS.sub(">", data["text/plain"])
    text = json.dumps(nb, sort_keys=True)
    ids = {}
    for m in _MODEL_ID.finditer(text):
        ids.setdefault(m.group(0), f"{len(ids) + 1:032x}")
    if ids:
        text = _MODEL_ID.sub(lambda m: ids[m.group(0)], text)
        nb = nbformat.from_dict(json.loads(text))
    return nb


_SVG = re.compile(r"<svg.*?</svg>", re.S)
_LONG_FLOAT = re.compile(r"-?\d+\.\d{6,}(?:e[-+]?\d+)?")


def comparable_outputs(nb):
    """Each code cell's outputs reduced to what must not change between two runs of the
    same notebook on one machine: printed text, text/plain and HTML (pictures reduced
    to their type; floats with many digits rounded to 6 significant figures; stderr,
    i.e. warnings, left out)."""
    def norm(text):
        text = _SVG.sub("<svg/>", text)
        return _LONG_FLOAT.sub(lambda m: f"{float(m.group(0)):.6g}", text)
    result = []
    for cell in make_deterministic(nb).cells:
        if cell.cell_type != "code":
            continue
        outs = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream" and out["name"] == "stderr":
                continue                    # warnings (e.g. Graphviz's, in any order)
            if out["output_type"] == "stream":
                if outs and outs[-1][0] == out["name"]:          # a stream may come in chunks
                    outs[-1] = (out["name"], outs[-1][1] + out["text"])
                else:
                    outs.append((out["name"], out["text"]))
            elif "data" in out:
                data = out["data"]
                outs.append(tuple(sorted(
                    (k, norm(v) if k in ("text/plain", "text/html") else "<picture>")
                    for k, v in data.items())))
            else:
                outs.append((out["output_type"], out.get("ename", "")))
        result.append([(o[0], norm(o[1])) if o and o[0] in ("stdout", "stderr") else o
                       for o in outs])
    return result


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


# The kernels compute as on every x86-64 machine with AVX2, so that the committed outputs
# are the same on any such machine (a rebuild is stable, and the tests compare outputs):
# OpenBLAS's kernels for another CPU (AVX-512, Zen) and NumPy's AVX-512 loops round
# differently in the last bits, enough to print -0. for 0. or to change where a chaotic
# training run ends (notebook 04's N(0, 1) initialisation: 0.924 on one CPU, 0.893 on
# another).
SAME_ARITHMETIC = {}
if platform.machine() in ("x86_64", "AMD64"):
    SAME_ARITHMETIC = {
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX "
                                    "AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"}


def execute(nb, timeout=300, cwd=NOTEBOOKS):
    """Run every cell in ``cwd`` (raises CellExecutionError on the first error).

    The kernel inherits this process's environment; BLAS is limited to one thread unless
    the caller chose otherwise, because on a busy 2-core CI machine OpenBLAS's threads
    make the small matrix products of these notebooks 10-50x slower; its arithmetic is
    pinned to ``SAME_ARITHMETIC``.
    """
    import os

    from nbclient import NotebookClient

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    for var, value in SAME_ARITHMETIC.items():
        os.environ.setdefault(var, value)
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
        nb = make_deterministic(nb)
    path = out / f"{name}.ipynb"
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path
