#!/usr/bin/env bash
# Train a model on the shipped 8x8 digits: set up .venv (once) with glassgrad and its
# training extras (numpy, graphviz, tqdm, matplotlib; no PyTorch), then run
# `python -m glassgrad.demo` with the given flags, e.g.
#   bash scripts/train.sh                  # MLP, writes runs/mlp_*.{png,svg,npz}
#   bash scripts/train.sh --model cnn      # small CNN
#   bash scripts/train.sh --help           # every flag
# The graph picture needs Graphviz's `dot` program (apt-get install graphviz /
# brew install graphviz); without it the DOT text is written instead.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
source scripts/_venv.sh
ensure_venv
ensure_extra train graphviz matplotlib numpy threadpoolctl tqdm
# the matrices are tiny: one BLAS thread avoids wake-up stalls (see --blas-threads)
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
exec "$VENV/bin/python" -m glassgrad.demo "$@"
