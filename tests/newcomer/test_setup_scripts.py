"""scripts/test.sh's setup logic, with a stand-in Python whose pip only records calls.

The real installs are exercised by .ci/run and scripts/newcomer_path.sh; here the
decisions are checked: the CPU-only PyTorch index first (only torch from there), the
default index when that index does not answer within the probe's bound, no setup
when nothing changed, and clear errors for a missing or old Python.
"""
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "scripts", "test.sh"), encoding="utf-8") as _f:
    EXTRAS = re.search(r'^EXTRAS="([a-z,]+)"', _f.read(), re.M)[1]     # e.g. dev,train
if shutil.which("bash") is None:
    pytest.skip("needs bash", allow_module_level=True)


@pytest.fixture
def checkout(tmp_path):
    """A copy of the setup files and a venv whose python is a recording stand-in."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    for name in ("scripts/test.sh", "scripts/_venv.sh", "pyproject.toml"):
        shutil.copyfile(os.path.join(ROOT, name), root / name)
    site, log = tmp_path / "site", tmp_path / "calls.log"
    site.mkdir()
    fake = root / ".venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(textwrap.dedent(f"""\
        #!/usr/bin/env bash
        # pip and pytest are recorded; a torch install leaves torch's metadata behind
        if [ "$1" = -m ] && [ "$2" = pip -o "$2" = pytest ]; then
            echo "$*" >> "{log}"
            for arg in "$@"; do
                if [ "$arg" = torch==2.13.0 ] && [ "$2" = pip ]; then
                    mkdir -p "{site}/torch-2.13.0+cpu.dist-info"
                    printf 'Metadata-Version: 2.1\\nName: torch\\nVersion: 2.13.0+cpu\\n' \\
                        > "{site}/torch-2.13.0+cpu.dist-info/METADATA"
                fi
            done
            exit 0
        fi
        PYTHONPATH="{site}" exec "{sys.executable}" -S "$@"     # -S: no site-packages
    """))
    fake.chmod(0o755)
    return root, log


def run_test_sh(root, index, *args, probe="2"):
    env = dict(os.environ, GLASSGRAD_TORCH_INDEX=index, GLASSGRAD_TORCH_PROBE_SECONDS=probe)
    env.pop("VENV", None)
    return subprocess.run(["bash", "scripts/test.sh", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cpu_index(tmp_path):
    """A PEP 503 page for torch served on the loopback interface."""
    served = tmp_path / "served"
    (served / "whl" / "cpu" / "torch").mkdir(parents=True)
    (served / "whl" / "cpu" / "torch" / "index.html").write_text("<html></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(served), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/whl/cpu"
    server.shutdown()
    server.server_close()


def test_torch_comes_from_the_cpu_index_when_it_answers(checkout, cpu_index):
    root, log = checkout
    proc = run_test_sh(root, cpu_index, "-x")
    assert proc.returncode == 0, proc.stderr
    pip = [c for c in calls(log) if " pip install " in f" {c} "]
    torch_calls = [c for c in pip if "torch==2.13.0" in c.split()]
    assert torch_calls[0].endswith(f"--no-deps --index-url {cpu_index} torch==2.13.0")
    assert "--index-url" not in torch_calls[1]           # its dependencies: default index
    assert any(f"-e .[{EXTRAS}]" in c for c in pip) and "dev" in EXTRAS.split(",")
    assert pip.index(torch_calls[0]) < pip.index(next(c for c in pip if "-e " in c))
    assert calls(log)[-1] == "-m pytest tests -x"
    assert "CPU-only build" in proc.stderr


def test_default_index_when_the_cpu_index_is_unreachable(checkout):
    root, log = checkout
    proc = run_test_sh(root, f"http://127.0.0.1:{free_port()}/whl/cpu")
    assert proc.returncode == 0, proc.stderr
    assert "could not be reached" in proc.stderr
    torch_calls = [c for c in calls(log) if "torch==2.13.0" in c.split()]
    assert torch_calls == ["-m pip install -q torch==2.13.0"]


def test_a_silent_cpu_index_is_given_up_after_the_probe_bound(checkout):
    root, log = checkout
    with socket.socket() as silent:                 # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/whl/cpu"
        proc = run_test_sh(root, url, probe="1")
    assert proc.returncode == 0, proc.stderr
    assert "waited at most 1s" in proc.stderr
    assert [c for c in calls(log) if "torch==2.13.0" in c.split()] == [
        "-m pip install -q torch==2.13.0"]


def test_setup_runs_again_only_when_pyproject_changes(checkout, cpu_index):
    root, log = checkout
    assert run_test_sh(root, cpu_index).returncode == 0
    log.unlink()
    proc = run_test_sh(root, cpu_index, "tests/nn", "-q")
    assert proc.returncode == 0, proc.stderr
    assert calls(log) == ["-m pytest tests tests/nn -q"]      # no pip at all
    with open(root / "pyproject.toml", "a") as f:
        f.write("\n# changed\n")
    log.unlink()
    assert run_test_sh(root, cpu_index).returncode == 0
    assert any(f"-e .[{EXTRAS}]" in c for c in calls(log))
    assert not [c for c in calls(log) if "torch==2.13.0" in c.split()]   # torch is there


@pytest.mark.parametrize("python, message", [
    ("/nonexistent/python3", "not found"),
    ("OLD", "needs Python 3.10 or newer"),
])
def test_venv_helper_explains_a_missing_or_old_python(tmp_path, python, message):
    if python == "OLD":
        old = tmp_path / "python3.8"
        old.write_text("#!/usr/bin/env bash\n[ \"$1\" = -V ] && echo 'Python 3.8.10'\n"
                       "exit 1\n")
        old.chmod(0o755)
        python = str(old)
    script = f'VENV="{tmp_path}/v"; source "{ROOT}/scripts/_venv.sh"; ensure_venv'
    proc = subprocess.run(["bash", "-c", script], env=dict(os.environ, PYTHON=python),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "v").exists()
