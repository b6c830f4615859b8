#!/usr/bin/env bash
# The newcomer path: what a new user does in the first hour, from a clean clone of this
# repository's committed HEAD, with every step checked.
#   bash scripts/newcomer_path.sh          # all of it (38 min on the busy 2-core dev box)
#   bash scripts/newcomer_path.sh --ci     # the part CI runs (.ci/run): leaves out what
#                                          # CI has just run (bash scripts/test.sh, which
#                                          # runs every docs python block and notebook)
#                                          # and the minutes-long benchmarks
# Steps: every command of the ```bash blocks in README.md, docs/**/*.md and
# notebooks/README.md, in order (the notebooks server is started headless, checked and
# stopped); --help; a run interrupted by a real SIGINT during its first epoch and
# after a few epochs, then resumed as the advice says; the library in a venv with NumPy
# alone. Work happens in a temporary directory (KEEP=1 keeps it); nothing here changes.
set -euo pipefail
MODE=full
case "${1:-}" in
    --ci) MODE=ci ;;
    "") ;;
    *) echo "usage: bash scripts/newcomer_path.sh [--ci]" >&2; exit 2 ;;
esac
SRC="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/glassgrad-newcomer.XXXXXX")"
CLONE="$WORK/clone"
SUMMARY=()
CURRENT="setting up"
BACKGROUND=          # the process group of a server or run started in the background
finish() {
    local rc=$?
    [ -n "$BACKGROUND" ] && kill -TERM -- "-$BACKGROUND" 2>/dev/null
    echo
    if [ $rc = 0 ]; then echo "== newcomer path ($MODE): passed"
    else echo "== newcomer path ($MODE): FAILED (exit $rc) during: $CURRENT"; fi
    printf '   %s\n' "${SUMMARY[@]}"
    if [ -n "${KEEP:-}" ]; then echo "   work kept in $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT
fail() { echo "newcomer path: FAILED: $*" >&2; exit 1; }
note() { SUMMARY+=("$1"); }
timed() {          # timed LABEL COMMAND...: run (a failure ends the script), time it
    local label="$1" start=$SECONDS
    shift
    CURRENT="$label"
    echo
    echo "== $label"
    "$@"
    note "ok   $(printf '%4ss' $((SECONDS - start)))  $label"
}
skip() { note "skip        $1"; echo; echo "== skipped: $1"; }

[ -n "$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null)" ] &&
    echo "note: uncommitted changes in $SRC are not part of the clean clone" >&2
git clone -q "$SRC" "$CLONE" || fail "cannot clone $SRC (this needs a git checkout)"
cd "$CLONE"
PY=.venv/bin/python
set -m                   # background runs get SIGINT like a terminal's Ctrl-C would

# ----------------------------------------------------------------------------- checks
check_printed_paths() {  # every file the demo names on its output lines exists
    local path
    while read -r path; do
        [ -e "$path" ] || fail "the demo printed $path, which does not exist"
    done < <(sed -n -E 's/^(checkpoint|curves|graph|backprop): +//p' "$1" |
             sed -E 's/^.*wrote the DOT text to ([^ ]+).*$/\1/; s/ .*$//')
}

check_demo_output() {
    check_printed_paths "$1"
    grep -q '^test accuracy: ' "$1" || fail "no test accuracy in the demo's output"
    grep -q 'label smoothing 0.1: even a perfect model scores 0.50' "$1" ||
        fail "the summary does not explain the label-smoothed test loss"
}

# ----------------------------------------------------------------- the notebook server
api() {              # api PORT TOKEN PATH: GET a Jupyter server URL, print the body
    python3 - "$@" <<'PY'
import sys, urllib.request
port, token, path = sys.argv[1:]
with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}?token={token}", timeout=5) as r:
    print(r.read().decode())
PY
}

notebooks_headless() {   # README's notebooks command, without a browser, then stopped
    local cmd="$1" port token pid up=0 i
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    token="newcomer$RANDOM$RANDOM"
    bash -c "$cmd --no-browser --port=$port --ServerApp.token=$token" \
        > "$WORK/notebooks.log" 2>&1 &
    pid=$!
    BACKGROUND=$pid                  # set -m: its own process group, stopped on exit
    for i in $(seq 1 600); do       # the first run installs JupyterLab: allow 10 min
        if api "$port" "$token" /api/status >/dev/null 2>&1; then up=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if [ $up = 1 ]; then
        api "$port" "$token" /api/contents > "$WORK/contents.json"
        api "$port" "$token" /api/kernelspecs > "$WORK/kernelspecs.json"
        api "$port" "$token" /lab > "$WORK/lab.html"
    fi
    kill -INT "$pid" 2>/dev/null || true; sleep 1; kill -INT "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    BACKGROUND=
    [ $up = 1 ] || { tail -20 "$WORK/notebooks.log" >&2; fail "JupyterLab did not start"; }
    python3 - "$WORK" <<'PY' || fail "JupyterLab does not serve the notebooks"
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
names = {c["name"] for c in json.loads((work / "contents.json").read_text())["content"]}
wanted = {p.name for p in pathlib.Path("notebooks").glob("[0-9][0-9]_*.ipynb")}
assert wanted and wanted <= names, sorted(wanted - names)
assert "python3" in json.loads((work / "kernelspecs.json").read_text())["kernelspecs"]
assert "JupyterLab" in (work / "lab.html").read_text()
print(f"JupyterLab served {len(wanted)} notebooks and a python3 kernel, then stopped")
PY
}

# --------------------------------------------------------------- the docs' shell blocks
skip_in_ci() {          # what CI has run already, or what takes too long for it
    case "$1" in
        "bash scripts/test.sh"*) echo "README's test command: .ci/run has just run it" ;;
        *"-m benchmarks"*) echo "benchmarks take minutes (the full path runs them)" ;;
        *"mpiexec "*"glassgrad.demo"*)
            echo "tests/distributed runs the demo under mpiexec (the full path runs this)" ;;
        *"notebooks/_build/build.py"*|*"pytest tests/notebooks"*)
            echo "the test suite executes every notebook (the full path runs it)" ;;
        *) return 1 ;;
    esac
}

declare -A DONE=()       # command -> where it ran first: a repeated command runs once
run_doc_command() {
    local where="$1" cmd="$2" why log="$WORK/cmd.log"
    if [ -n "${DONE[$cmd]:-}" ]; then
        skip "$where: $cmd  (ran at ${DONE[$cmd]})"
        return
    fi
    DONE[$cmd]="$where"
    if [ "$MODE" = ci ] && why="$(skip_in_ci "$cmd")"; then
        skip "$where: $cmd  ($why)"
        return
    fi
    case "$cmd" in
        "bash scripts/notebooks.sh"*)
            timed "$where: $cmd  (headless)" notebooks_headless "$cmd" ;;
        *)
            timed "$where: $cmd" bash -c "set -o pipefail; $cmd 2>&1 | tee '$log'"
            check_printed_paths "$log"
            case "$cmd" in "bash scripts/train.sh"*) check_demo_output "$log" ;; esac ;;
    esac
}

while IFS=$'\t' read -r where cmd <&3; do
    run_doc_command "$where" "$cmd"
done 3< <(python3 tests/docs/docblocks.py commands)
[ -x "$PY" ] || fail "the docs' commands did not create .venv"

# ---------------------------------------------------------------------------- --help
show_help() {
    bash scripts/train.sh --help > "$WORK/help.txt"
    for flag in --model --epochs --resume --out-dir --no-plot; do
        grep -q -- "$flag" "$WORK/help.txt" || fail "--help does not mention $flag"
    done
}
timed "bash scripts/train.sh --help" show_help

# ------------------------------------------------------------------- Ctrl-C and resume
interrupt() {     # interrupt WAIT_FOR ARGS...: start the demo, wait, send SIGINT
    local wait_for="$1" pid rc i
    shift
    bash scripts/train.sh "$@" > "$WORK/run.out" 2> "$WORK/run.err" &
    pid=$!                             # train.sh execs python: this is the demo itself
    BACKGROUND=$pid
    for i in $(seq 1 1200); do
        kill -0 "$pid" 2>/dev/null || break
        case "$wait_for" in
            start) grep -q '^digits:' "$WORK/run.out" && break ;;
            *) [ -e "$wait_for" ] && break ;;
        esac
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null || fail "the run ended before it could be interrupted"
    kill -INT "$pid"
    rc=0; wait "$pid" || rc=$?
    BACKGROUND=
    [ $rc = 130 ] || { cat "$WORK/run.err" >&2; fail "an interrupted run exited $rc, not 130"; }
    ! grep -q Traceback "$WORK/run.err" || fail "Ctrl-C printed a traceback"
}

ctrl_c_in_first_epoch() {
    interrupt start --out-dir runs/slow --batch-size 1 --hidden 1024,1024 --no-progress
    grep -q "nothing was saved yet" "$WORK/run.err" || fail "first-epoch advice: $(cat "$WORK/run.err")"
    [ ! -e runs/slow/mlp_checkpoint.npz ] || fail "a checkpoint appeared before epoch 1 ended"
    cat "$WORK/run.err"
}
timed "Ctrl-C during the first epoch" ctrl_c_in_first_epoch

ctrl_c_then_resume() {
    local advice ckpt epoch
    interrupt runs/ctrlc/mlp_checkpoint.npz --out-dir runs/ctrlc --epochs 500 --patience 0
    advice="$(grep -o 'epoch [0-9]* is saved in .*' "$WORK/run.err")" ||
        fail "no resume advice: $(cat "$WORK/run.err")"
    echo "$advice"
    ckpt="${advice##*--resume }"
    epoch="$(echo "$advice" | sed -E 's/^epoch ([0-9]+) .*/\1/')"
    [ -f "$ckpt" ] || fail "the advice names $ckpt, which does not exist"
    bash scripts/train.sh --resume "$ckpt" --epochs $((epoch + 2)) --no-progress \
        > "$WORK/resume.out" || fail "--resume $ckpt failed"
    cat "$WORK/resume.out"
    grep -q "^resuming $ckpt at epoch $((epoch + 1)) of $((epoch + 2))" "$WORK/resume.out" ||
        fail "the resumed run did not continue at epoch $((epoch + 1))"
    check_printed_paths "$WORK/resume.out"
    # at its last epoch, resumed into another folder: the checkpoint it reports is there
    bash scripts/train.sh --resume "$ckpt" --out-dir runs/copy --no-progress \
        > "$WORK/copy.out" || fail "--resume $ckpt --out-dir runs/copy failed"
    grep -q "^checkpoint: runs/copy/mlp_checkpoint.npz" "$WORK/copy.out" ||
        fail "no checkpoint line: $(cat "$WORK/copy.out")"
    check_printed_paths "$WORK/copy.out"
    # the old run is still in runs/ctrlc: a different model may not continue it
    if bash scripts/train.sh --resume "$ckpt" --hidden 64 > /dev/null 2> "$WORK/refused.err"
    then fail "resuming with another --hidden was not refused"; fi
    grep -q "uses --hidden 256, not --hidden 64" "$WORK/refused.err" ||
        fail "unclear refusal: $(cat "$WORK/refused.err")"
}
timed "Ctrl-C after some epochs, then --resume as advised" ctrl_c_then_resume

# ------------------------------------------------------------------ NumPy alone
numpy_alone() {
    python3 -m venv "$WORK/bare"
    "$WORK/bare/bin/python" -m pip install -q numpy
    (cd "$WORK" && PYTHONPATH="$CLONE" MPLBACKEND=Agg "$WORK/bare/bin/python" - <<'PY')
import sys
import autograd as ag, nn, optim, glassgrad.training                # noqa: F401
x = ag.tensor([1.0, 2.0], requires_grad=True)
loss = (x * x).sum()
assert ag.to_dot(loss).startswith("digraph")
try:
    ag.draw_graph(loss)
except ImportError as exc:
    assert "pip install graphviz" in str(exc), exc
else:
    raise SystemExit("draw_graph worked without the graphviz package?")
extra = sorted({m.partition(".")[0] for m in sys.modules if not m.startswith("_")}
               - set(sys.stdlib_module_names) - {"autograd", "nn", "optim", "glassgrad",
                                                  "numpy", "cython_runtime"})
print("imported with NumPy alone; other packages loaded:", extra or "none")
PY
    local rc=0
    (cd "$WORK" && PYTHONPATH="$CLONE" "$WORK/bare/bin/python" -m glassgrad.demo \
        --epochs 1 --out-dir "$WORK/bare-run" > /dev/null 2> "$WORK/bare.err") || rc=$?
    [ $rc = 2 ] && grep -q "needs matplotlib" "$WORK/bare.err" ||
        fail "the demo without matplotlib: exit $rc, $(cat "$WORK/bare.err")"
    (cd "$WORK" && PYTHONPATH="$CLONE" "$WORK/bare/bin/python" -m glassgrad.demo \
        --epochs 1 --hidden 32 --no-plot --out-dir "$WORK/bare-run" | tee "$WORK/bare.out")
    check_printed_paths "$WORK/bare.out"
}
timed "the library and the demo with NumPy alone" numpy_alone
