"""Docs are tests: every ```python block of README.md, docs/**/*.md and
notebooks/README.md runs as written.

The blocks of one file run in order in one fresh interpreter (a later block may use
what an earlier one defined, as a reader going down the page would), in a fresh
temporary directory (nothing they write lands in the checkout), with this test's
Python: the environment ``bash scripts/test.sh`` sets up, as README says. A failure
names the file and line of the failing block. Shell blocks run in
``scripts/newcomer_path.sh``; fence what must not run as ```text or ```console.
"""
import pytest

import docblocks

FILES = docblocks.doc_files()


def _rel(path):
    return path.relative_to(docblocks.ROOT).as_posix()


def test_the_docs_are_found():
    names = [_rel(f) for f in FILES]
    assert "README.md" in names and "notebooks/README.md" in names
    assert any(n.startswith("docs/") for n in names)


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_every_fence_names_its_language(path):
    """An unlabelled fence would be skipped silently: say python, bash, text, ..."""
    unlabelled = [b["line"] - 1 for b in docblocks.blocks(path) if not b["lang"]]
    assert not unlabelled, (f"{_rel(path)}: code fences without a language at lines "
                            f"{unlabelled}; use ```python (runs), ```bash (runs in the "
                            f"newcomer path) or ```text / ```console (never runs)")


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_python_blocks_run_in_order(path, tmp_path):
    if not any(b["lang"] in docblocks.PYTHON for b in docblocks.blocks(path)):
        pytest.skip(f"{_rel(path)} has no python blocks")
    proc = docblocks.run_python_blocks(path, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_block_extraction(tmp_path):
    text = ("# t\n\n```python\nx = 1\n```\n\n  ```bash\n  echo hi\n  ```\n\n````text\n"
            "```python\nnot code\n```\n````\n\n```\nplain\n```\n")
    path = tmp_path / "probe.md"
    path.write_text(text, encoding="utf-8")
    assert [(b["lang"], b["line"], b["code"]) for b in docblocks.blocks(path)] == [
        ("python", 4, "x = 1\n"), ("bash", 8, "echo hi\n"),
        ("text", 12, "```python\nnot code\n```\n"), ("", 18, "plain\n")]
    path.write_text("```python\nx = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="never closed"):
        docblocks.blocks(path)


def test_shell_commands_of_a_block():
    code = ("# set up\nbash scripts/x.sh   # note\n\nfoo --a \\\n    --b\n"
            "echo '# kept' a#b \"#\" # gone\n")
    assert docblocks.commands(code) == [(1, "bash scripts/x.sh"), (3, "foo --a      --b"),
                                        (5, "echo '# kept' a#b \"#\"")]


def test_a_failing_block_is_named(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\ntext\n\n```python\nprint(x)\nx / 0\n```\n",
                    encoding="utf-8")
    proc = docblocks.run_python_blocks(page, tmp_path)
    assert proc.returncode == 1
    assert f"the python block at {page}:8 failed" in proc.stderr
    assert f'File "{page}", line 9' in proc.stderr and "ZeroDivisionError" in proc.stderr
