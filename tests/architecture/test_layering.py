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
