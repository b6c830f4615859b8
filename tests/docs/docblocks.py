"""Find the fenced code blocks of the Markdown docs (shared by the test and
scripts/newcomer_path.sh, which runs the shell blocks).

    python tests/docs/docblocks.py commands     # the shell blocks' commands

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


def commands(code):
    """``[(line_offset, command)]`` for a shell block: one per logical line (a trailing
    ``\\`` continues it), comments removed, blank lines left out."""
    out, current, first = [], "", 0
    for offset, line in enumerate(code.splitlines()):
        if not current:
            first = offset
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        line, current = _without_comment(current + line), ""
        if line:
            out.append((first, line))
    return out


def _without_comment(line):
    """``line`` up to an unquoted ``#`` that starts a word (a shell comment), stripped."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].strip()
    return line.strip()


def run_python_blocks(path, workdir, python=sys.executable, timeout=600):
    """Run the python blocks of ``path`` in order in one fresh ``python`` in
    ``workdir``; return the CompletedProcess (stderr names a failing block)."""
    import os
    import subprocess
    import tempfile

    found = [dict(b, file=str(path)) for b in blocks(path) if b["lang"] in PYTHON]
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "blocks.json")
        with open(listing, "w", encoding="utf-8") as f:
            json.dump(found, f)
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        return subprocess.run([python, "-c", _RUNNER, listing], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=timeout)


_RUNNER = r'''
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


def main(argv):
    """``commands``: every shell command, as ``file:line<TAB>command`` lines."""
    if argv[1:] != ["commands"]:
        sys.exit("usage: python tests/docs/docblocks.py commands")
    for path in doc_files():
        rel = path.relative_to(ROOT).as_posix()
        for block in blocks(path):
            if block["lang"] in SHELL:
                for offset, command in commands(block["code"]):
                    print(f"{rel}:{block['line'] + offset}\t{command}")


if __name__ == "__main__":
    main(sys.argv)
