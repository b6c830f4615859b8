"""What a fresh clone must hold and must not say: the licence, the extras the docs
promise, CI running README's test command, and no pointers to files users lack."""
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
# tests that look for such pointers hold the pattern themselves
CHECKERS = ("tests/newcomer/test_repo_files.py", "tests/notebooks/test_notebooks.py")


def tracked_text_files():
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                               check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for name in filter(None, names):
        path = ROOT / name
        if path.is_file() and path.suffix not in (".png", ".npz", ".svg", ".whl"):
            try:
                yield name, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def extra(name):
    m = re.search(rf"^{name} = \[(.*?)\]", PYPROJECT, re.M | re.S)
    assert m, f"pyproject.toml has no {name!r} extra"
    return re.findall(r'"([^"]+)"', m[1])


def test_license_is_the_mit_text_pyproject_names():
    assert re.search(r'^license = "MIT"$', PYPROJECT, re.M)
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_no_file_points_at_material_users_do_not_have():
    pattern = re.compile(r"shared/|/work/|\bseeds/")
    found = [f"{name}:{text[:m.start()].count(chr(10)) + 1}: {m[0]}"
             for name, text in tracked_text_files() if name not in CHECKERS
             for m in pattern.finditer(text)]
    assert not found, ("cite course material by title and problem number and ship what a "
                       "test needs; found:\n" + "\n".join(found))


def test_only_numpy_and_graphviz_are_hard_dependencies():
    m = re.search(r"^dependencies = \[(.*?)\]", PYPROJECT, re.M | re.S)
    names = [re.split(r"[<>=!~ \[]", d)[0] for d in re.findall(r'"([^"]+)"', m[1])]
    assert sorted(names) == ["graphviz", "numpy"]


def test_extras_hold_what_the_scripts_and_notebooks_use():
    notebooks = extra("notebooks")
    for package in ("jupyterlab", "scipy", "ipykernel", "matplotlib"):
        assert package in notebooks, f"the notebooks extra lacks {package}"
    for package in ("tqdm", "matplotlib", "threadpoolctl"):
        assert package in extra("train")
    uses_scipy = [p.name for p in (ROOT / "notebooks" / "_build").glob("nb*.py")
                  if "scipy" in p.read_text(encoding="utf-8")]
    assert uses_scipy, "no notebook uses scipy any more: drop it from the extra?"


def test_the_torch_pin_is_the_same_everywhere():
    dev = [d for d in extra("dev") if d.startswith("torch")]
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert dev == ["torch==2.13.0"]
    assert re.search(r'^TORCH="torch==2\.13\.0"', script, re.M)


def test_ci_runs_readmes_test_command_and_the_newcomer_path():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "```bash\nbash scripts/test.sh\n```" in readme
    assert re.search(r"^bash scripts/test\.sh\b", ci, re.M)
    assert re.search(r"^bash scripts/newcomer_path\.sh --ci\b", ci, re.M) or \
        "scripts/newcomer_path.sh --ci" in ci


@pytest.mark.parametrize("name", ["test.sh", "train.sh", "notebooks.sh", "newcomer_path.sh"])
def test_scripts_are_executable_bash(name):
    path = ROOT / "scripts" / name
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    assert os.access(path, os.X_OK)
