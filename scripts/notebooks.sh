#!/usr/bin/env bash
# Open the notebooks in JupyterLab: set up .venv (once) with glassgrad and the
# `notebooks` extra (JupyterLab, matplotlib, scipy, ipywidgets; no PyTorch), then run
# `jupyter lab` in notebooks/ with the given flags, e.g.
#   bash scripts/notebooks.sh                   # opens a browser tab
#   bash scripts/notebooks.sh --no-browser      # prints the URL to open instead
#   bash scripts/notebooks.sh --version         # set up only, print JupyterLab's version
# Stop it with Ctrl-C. The kernel runs this .venv's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
source scripts/_venv.sh
ensure_venv
if ! "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as md
import ipykernel, ipywidgets, jupyterlab, matplotlib, nbformat, scipy  # noqa: F401
md.version("glassgrad")
PY
then
    echo "setting up $VENV for the notebooks (first run only) ..." >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[notebooks]"
fi
ROOT_FLAG=()
[ "$(id -u)" = 0 ] && ROOT_FLAG=(--allow-root)   # containers often run as root
exec "$VENV/bin/jupyter" lab --ServerApp.root_dir=notebooks "${ROOT_FLAG[@]}" "$@"
