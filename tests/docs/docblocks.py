"""Find the fenced code blocks of the Markdown docs (shared by the test and
scripts/newcomer_path.sh, which runs the shell blocks).

    python tests/docs/docblocks.py bash     # the shell blocks, as JSON lines

Which files: README.md, every docs/**/*.md and notebooks/README.md, so a new page is
picked up without a change here. Every fence names its language: ``python`` blocks run
(tests/docs/test_docs_blocks.py), ``bash``/``sh``/``shell`` blocks run in the newcomer
path, and ``text``/``console`` (or any other language) is never run.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON = {"python", "py", "python3"}
SHELL = {"bash", "sh", "shell"}

# a fence: up to 3 spaces, ``` or ~~~ (3 or more), an info string; closed by the same
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")


def doc_files(root=ROOT):
    """The Markdown files whose blocks must run, in a stable order."""
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md")),
             root / "notebooks" / "README.md"]
    return [f for f in files if f.is_file()]


def blocks(path):
    """``[{"lang", "line", "code"}]`` for every fenced block of ``path`` (line: 1-based,
    of the block's first code line); raises ValueError for an unclosed fence."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m["fence"], (m["info"].split() or [""])[0].lower()
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), None)
        if end is None:
            raise ValueError(f"{path}:{i + 1}: the code fence {fence} is never closed")
        body = [line[len(m["indent"]):] if line.startswith(m["indent"]) else line
                for line in lines[i + 1:end]]
        found.append({"lang": lang, "line": i + 2, "code": "\n".join(body) + "\n"})
        i = end + 1
    return found


def main(argv):
    kinds = {"bash": SHELL, "python": PYTHON}[argv[1]]
    for path in doc_files():
        for block in blocks(path):
            if block["lang"] in kinds:
                rel = path.relative_to(ROOT).as_posix()
                print(json.dumps({"file": rel, **block}))


if __name__ == "__main__":
    main(sys.argv)
