# Sourced by the scripts in this folder (they set VENV first).

# ensure_venv: create the virtualenv $VENV unless it exists, with a clear message when
# Python is missing, too old, or cannot make virtualenvs. PYTHON=/path/to/python3.x
# picks the interpreter (default: python3).
ensure_venv() {
    [ -x "$VENV/bin/python" ] && return 0
    local py="${PYTHON:-python3}"
    if ! command -v "$py" >/dev/null 2>&1; then
        echo "error: $py not found: install Python 3.10 or newer, or set PYTHON=..." >&2
        exit 1
    fi
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "error: glassgrad needs Python 3.10 or newer; $py is $("$py" -V 2>&1)." \
             "Set PYTHON=/path/to/python3.x" >&2
        exit 1
    fi
    echo "creating $VENV with $("$py" -V 2>&1) ..." >&2
    if ! "$py" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "error: could not create $VENV (Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    fi
}

# ensure_extra EXTRA MODULE...: pip install -e ".[EXTRA]" into $VENV unless glassgrad
# and every MODULE already import there (so later runs start at once).
ensure_extra() {
    local extra="$1"
    shift
    if ! "$VENV/bin/python" -c 'import importlib, importlib.metadata, sys
importlib.metadata.version("glassgrad")
for name in sys.argv[1:]:
    importlib.import_module(name)' "$@" 2>/dev/null; then
        echo "setting up $VENV for the $extra extra (first run only) ..." >&2
        "$VENV/bin/python" -m pip install -q --upgrade pip
        "$VENV/bin/python" -m pip install -q -e ".[$extra]"
    fi
}
