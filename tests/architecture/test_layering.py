"""The packages import one way only: autograd <- nn <- optim <- glassgrad (applications).

Read with ``ast`` from the source, so an import hidden inside a function counts too.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAYERS = ["autograd", "nn", "optim", "glassgrad"]      # each may import those before it


def imported_packages(path):
    """The top-level package names a file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_no_import_against_the_layering(package):
    forbidden = set(LAYERS[LAYERS.index(package) + 1:])
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & forbidden
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert not offenders, (f"{package}/ may import only {LAYERS[:LAYERS.index(package)]}:\n"
                           + "\n".join(offenders))


# ------------------------------------------------------------ inside autograd/
AUTOGRAD = ROOT / "autograd"
SEAM_FILE = "autograd.tensor"              # Tensor's methods that need the layers above it
SEAM_NAMES = {"engine", "functions", "hooks", "inplace"}
# what each part of autograd/ may not import (the order core -> ops -> functions -> viz)
NOT_BELOW = {
    "autograd.ops": ("autograd.functions", "autograd.engine", "autograd.viz",
                     "autograd.compile", "autograd.function"),
    "autograd.functions": ("autograd.engine", "autograd.viz", "autograd.compile"),
    "autograd.engine": ("autograd.functions", "autograd.viz", "autograd.compile"),
    "autograd.viz": ("autograd.compile",),
}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p
           for package in LAYERS for p in sorted((ROOT / package).rglob("*.py"))}


def _target(name):
    """The module file that an imported dotted name lives in."""
    while name not in MODULES:
        name = name.rsplit(".", 1)[0]
    return name


def import_edges(module):
    """(imported module, line, is the seam) for every import of its own package in
    ``module``, those inside functions (lazy imports) included."""
    path = MODULES[module]
    own = module.split(".")[0]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    seam_lines = set()
    if module == SEAM_FILE:     # the one module-level import after ``class Tensor``
        after_class = False
        for stmt in tree.body:
            after_class |= isinstance(stmt, ast.ClassDef) and stmt.name == "Tensor"
            if after_class and isinstance(stmt, ast.ImportFrom):
                seam_lines.add(stmt.lineno)
    edges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.split(".")[0] == own]
        elif isinstance(node, ast.ImportFrom):
            base = (".".join(package[:len(package) - node.level + 1]) if node.level
                    else "")
            mod = ".".join(p for p in (base, node.module or "") if p)
            if mod.split(".")[0] != own:
                continue
            targets = [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            edges.append((_target(t), node.lineno, node.lineno in seam_lines))
    return edges


def test_the_seam_is_one_documented_statement():
    seams = [(t, line) for t, line, seam in import_edges(SEAM_FILE) if seam]
    assert len({line for _, line in seams}) == 1, seams
    assert {t.rsplit(".", 1)[-1] for t, _ in seams} == SEAM_NAMES
    assert "# The seam" in (AUTOGRAD / "tensor.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("package", LAYERS)
def test_import_graph_is_a_dag(package):
    """Inside each package, lazy imports included; autograd's one seam excepted."""
    graph = {m: sorted({t for t, _, seam in import_edges(m) if not seam and t != m})
             for m in MODULES if m.split(".")[0] == package}
    state, stack = {}, []

    def visit(m):                       # depth-first; a grey node met again is a cycle
        state[m] = "grey"
        stack.append(m)
        for t in graph[m]:
            if state.get(t) == "grey":
                cycle = stack[stack.index(t):] + [t]
                pytest.fail(f"import cycle in {package}/: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = "black"

    for m in graph:
        if m not in state:
            visit(m)


@pytest.mark.parametrize("part", sorted(NOT_BELOW))
def test_no_arrow_back_up_inside_autograd(part):
    offenders = []
    for m in MODULES:
        if m == part or m.startswith(part + "."):
            for t, line, seam in import_edges(m):
                if any(t == up or t.startswith(up + ".") for up in NOT_BELOW[part]):
                    offenders.append(f"{MODULES[m].relative_to(ROOT)}:{line} imports {t}")
    assert not offenders, "\n".join(offenders)


# ------------------------------------------------------- backwards live in autograd
def _base_name(expr):
    """``Function`` for ``Function``, ``ag.Function`` and ``autograd.function.Function``."""
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else None


def backward_definitions(path):
    """(line, what) for every custom-Function subclass and every ``backward``
    staticmethod in the file at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            if any(_base_name(b) == "Function" for b in node.bases):
                found.append((node.lineno, f"class {node.name} subclasses Function"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == "backward" and any(_base_name(d) == "staticmethod"
                                               for d in node.decorator_list):
                found.append((node.lineno, "a backward staticmethod"))
    return found


@pytest.mark.parametrize("package", ["nn", "optim"])
def test_no_backward_outside_autograd(package):
    """nn and optim compose autograd ops; a gradient rule they need is a primitive in
    autograd/ops (as the collective all_reduce_sum is for nn.parallel)."""
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in sorted((ROOT / package).rglob("*.py"))
                 for line, what in backward_definitions(path)]
    assert not offenders, (f"{package}/ must define no backward (declare a primitive in "
                           "autograd/ops instead):\n" + "\n".join(offenders))


def test_the_backward_check_finds_a_function_subclass(tmp_path):
    path = tmp_path / "layer.py"
    path.write_text("import autograd as ag\n\n\nclass Twice(ag.Function):\n"
                    "    @staticmethod\n    def backward(ctx, g):\n        return 2 * g\n")
    assert [what for _, what in backward_definitions(path)] == [
        "class Twice subclasses Function", "a backward staticmethod"]


def test_autograd_never_imports_mpi4py():
    offenders = [str(path.relative_to(ROOT)) for path in sorted(AUTOGRAD.rglob("*.py"))
                 if "mpi4py" in imported_packages(path)]
    assert not offenders, offenders
