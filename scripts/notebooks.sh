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
ensure_extra notebooks ipykernel ipywidgets jupyterlab matplotlib nbformat scipy
ROOT_FLAG=()
[ "$(id -u)" = 0 ] && ROOT_FLAG=(--allow-root)   # containers often run as root
exec "$VENV/bin/jupyter" lab --ServerApp.root_dir=notebooks "${ROOT_FLAG[@]}" "$@"
