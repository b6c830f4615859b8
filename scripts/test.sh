#!/usr/bin/env bash
# Set up a virtualenv with glassgrad and its test oracle, then run the test suite:
#   bash scripts/test.sh                 # everything (arguments go to pytest)
#   bash scripts/test.sh tests/nn -x -q
# The oracle is PyTorch 2.13.0, CPU-only build: it comes from PyTorch's CPU wheel index
# when that answers within a few seconds, else from pip's default index (where Linux
# gets the CUDA build, GBs: a wheel cache or a mirror index avoids that; set
# GLASSGRAD_TORCH_INDEX to use another CPU index). Setup runs once, and again only when
# pyproject.toml or this script change (README says how big and how long).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
TORCH="torch==2.13.0"                      # keep equal to the pin in pyproject's dev extra
EXTRAS="dev,train,notebooks,distributed,kernels"   # add an extra here when its tests need it
CPU_INDEX="${GLASSGRAD_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
PROBE_SECONDS="${GLASSGRAD_TORCH_PROBE_SECONDS:-10}"   # how long the CPU index may take to answer
PY="$VENV/bin/python"
STAMP="$VENV/.glassgrad-test-setup"
source scripts/_venv.sh

have_torch() {
    "$PY" -c 'import importlib.metadata as m, sys
sys.exit(m.version("torch").split("+")[0] != sys.argv[1])' "${TORCH#torch==}" 2>/dev/null
}

cpu_index_answers() {
    "$PY" - "$CPU_INDEX" "$PROBE_SECONDS" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=float(sys.argv[2]))
PY
}

install_torch() {
    have_torch && return 0
    if cpu_index_answers; then
        echo "installing $TORCH (CPU-only build) from $CPU_INDEX ..." >&2
        # only the torch wheel from there; its small dependencies from the default index
        if "$PY" -m pip install -q --timeout 30 --no-deps --index-url "$CPU_INDEX" "$TORCH"
        then
            "$PY" -m pip install -q "$TORCH"
            return 0
        fi
        echo "the CPU-only index failed; falling back to the default index" >&2
    else
        echo "$CPU_INDEX could not be reached (waited at most ${PROBE_SECONDS}s);" \
             "installing $TORCH from the default index" >&2
    fi
    "$PY" -m pip install -q "$TORCH"
}

setup_key() {      # what the installed set depends on
    "$PY" -c 'import hashlib, sys
print(hashlib.sha256(b"".join(open(p, "rb").read() for p in sys.argv[1:])).hexdigest())' \
        pyproject.toml scripts/test.sh
}

ensure_venv
if [ "$(cat "$STAMP" 2>/dev/null)" != "$(setup_key)" ] || ! have_torch; then
    echo "setting up $VENV for the tests ..." >&2
    "$PY" -m pip install -q --upgrade pip
    install_torch                          # first and pinned: nothing pulls another build
    "$PY" -m pip install -q -e ".[$EXTRAS]"
    setup_key > "$STAMP"
fi
exec "$PY" -m pytest tests "$@"
