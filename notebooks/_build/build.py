"""Regenerate the notebooks: ``python notebooks/_build/build.py [--out DIR] [01 02 ...]``.

Without arguments every ``nbNN_*.py`` script is built; with arguments only those whose
number or name matches. Each notebook is executed and saved with its outputs, in
``notebooks/`` or in ``--out DIR`` (a scratch copy whose parent holds the packages).
"""
import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import nbtools  # noqa: E402


def scripts():
    """The notebook scripts in build order, as imported modules."""
    return [importlib.import_module(p.stem) for p in sorted(HERE.glob("nb[0-9][0-9]_*.py"))]


def main(argv):
    out = nbtools.NOTEBOOKS
    if argv[:1] == ["--out"]:
        out, argv = pathlib.Path(argv[1]), argv[2:]
    for mod in scripts():
        if argv and not any(a in mod.NAME for a in argv):
            continue
        t = time.time()
        path = nbtools.build(mod.NAME, mod.cells(), out=out)
        print(f"{path.name}: built and executed in {time.time() - t:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
