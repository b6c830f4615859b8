#!/usr/bin/env bash
# Set up a virtualenv with glassgrad and its test oracle, then run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first and pinned, so that nothing can pull another (multi-GB) build.
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[dev,train,notebooks,distributed]"
"$VENV/bin/python" -m pytest tests "$@"
