"""Reading the demo's output in tests."""
import re

LABELS = ("checkpoint", "curves", "graph", "backprop")


def printed_paths(out):
    """The files named on the demo's ``checkpoint:``, ``curves:``, ``graph:`` and
    ``backprop:`` lines (for a graph written as DOT text, the .dot file)."""
    paths = []
    for line in out.splitlines():
        label, _, rest = line.partition(":")
        if label in LABELS and rest.strip():
            dot = re.search(r"wrote the DOT text to (\S+)", rest)
            paths.append(dot[1] if dot else rest.split()[0])
    return paths
