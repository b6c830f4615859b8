"""Docs are tests: every ```python block of README.md, docs/**/*.md and
notebooks/README.md runs as written.

The blocks of one file run in order in one fresh interpreter (a later block may use
what an earlier one defined, as a reader going down the page would), in a fresh
temporary directory (nothing they write lands in the checkout), with this test's
Python: the environment ``bash scripts/test.sh`` sets up, as README says. A failure
names the file and line of the failing block. Shell blocks run in
``scripts/newcomer_path.sh``; fence what must not run as ```text or ```console.
"""
import json
import os
import subprocess
import sys

import pytest

import docblocks

FILES = docblocks.doc_files()
RUNNER = r'''
import json, sys, traceback
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for block in blocks:
    # padded so that a traceback shows the line number in the Markdown file
    code = compile("\n" * (block["line"] - 1) + block["code"], block["file"], "exec")
    try:
        exec(code, namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"the python block at {block['file']}:{block['line']} failed")
'''


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
    blocks = [dict(b, file=str(path)) for b in docblocks.blocks(path)
              if b["lang"] in docblocks.PYTHON]
    if not blocks:
        pytest.skip(f"{_rel(path)} has no python blocks")
    (tmp_path / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    (tmp_path / "run_blocks.py").write_text(RUNNER, encoding="utf-8")
    work = tmp_path / "cwd"
    work.mkdir()
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(docblocks.ROOT),
                                                       os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(tmp_path / "run_blocks.py"),
                           str(tmp_path / "blocks.json")], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)
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
