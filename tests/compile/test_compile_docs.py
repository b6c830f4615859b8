"""docs/compile.md: its python blocks run as written, in order."""
import os
import re
import warnings

import numpy as np

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "compile.md")


def test_compile_md_blocks_run_in_order(capsys):
    with open(DOC) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    assert len(blocks) >= 3
    namespace = {"__name__": "docs_compile"}
    state = np.random.get_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, DOC, "exec"), namespace)
    np.random.set_state(state)
    out = capsys.readouterr().out
    assert "'replays': 7" in out and "tracing calls" in out and "digraph" in out


def test_the_package_docstring_example_runs():
    import doctest
    import importlib

    package = importlib.import_module("autograd.compile")   # (ag.compile is the function)
    result = doctest.testmod(package, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
