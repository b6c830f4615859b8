"""Ctrl-C and --resume in the demo, with a real SIGINT to a real process.

After an interrupt the advice names a checkpoint that exists and holds this run, or
says that nothing was saved yet (and that an older file in --out-dir is not this
run's); resuming continues exactly; resuming with a different model is refused.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import nn
from demo_output import printed_paths

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIET = ["--no-progress", "--no-plot", "--no-graph"]
# an epoch of batch-size-1 steps on a 1M-parameter MLP takes seconds even on a fast
# machine: a SIGINT sent when the run starts lands inside epoch 1
SLOW = ["--batch-size", "1", "--hidden", "1024,1024", *QUIET]
ADVICE = re.compile(r"epoch (\d+) is saved in (\S+): continue with --resume (\S+)")


def demo(*args, out_dir, timeout=300):
    return subprocess.run([sys.executable, "-m", "glassgrad.demo", *args, "--out-dir",
                           str(out_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def interrupted(*args, out_dir, when):
    """Start the demo, wait until ``when(out_dir, stdout_line)`` is true, send SIGINT.

    Returns (returncode, stdout, stderr). Only the process started here is signalled.
    """
    proc = subprocess.Popen([sys.executable, "-m", "glassgrad.demo", *args, "--out-dir",
                             str(out_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        header = proc.stdout.readline()            # printed (flushed) just before training
        assert header.startswith("digits:"), header + proc.stderr.read()
        deadline = time.monotonic() + 240
        while not when(out_dir) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, header + out, err


def right_away(out_dir):
    return True


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved(tmp_path):
    code, out, err = interrupted(*SLOW, out_dir=tmp_path, when=right_away)
    assert code == 130, err
    assert "nothing was saved yet" in err and "--resume" not in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "mlp_checkpoint.npz").exists()


def test_ctrl_c_with_an_older_run_in_the_out_dir(tmp_path):
    """The old checkpoint is not offered as this run's; resuming it as this model fails."""
    old = tmp_path / "mlp_checkpoint.npz"
    assert demo("--epochs", "1", "--hidden", "16", *QUIET, out_dir=tmp_path).returncode == 0
    before = old.read_bytes()
    code, out, err = interrupted(*SLOW, out_dir=tmp_path, when=right_away)
    assert code == 130, err
    assert "nothing was saved yet" in err
    assert f"{old} is from an earlier run, not this one" in err
    assert old.read_bytes() == before                # the old run is left as it was
    # following the old advice blindly would continue a different model: refused
    proc = demo("--resume", str(old), "--batch-size", "1", "--hidden", "1024,1024", *QUIET,
                out_dir=tmp_path)
    assert proc.returncode == 2
    assert ("uses --hidden 16, --batch-size 32, not --hidden 1024,1024, --batch-size 1"
            in proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr


def test_ctrl_c_after_some_epochs_then_resume_equals_an_uninterrupted_run(tmp_path):
    args = ["--hidden", "32", "--patience", "0", "--dropout", "0.1", *QUIET]
    ckpt = tmp_path / "mlp_checkpoint.npz"
    code, out, err = interrupted(*args, "--epochs", "500", out_dir=tmp_path,
                                 when=lambda d: ckpt.exists())
    assert code == 130, err
    m = ADVICE.search(err)
    assert m, err
    epoch, path = int(m[1]), m[2]
    assert path == m[3] == str(ckpt) and os.path.isfile(path)
    assert nn.load(path)["epoch"] == epoch >= 1
    # continue to epoch+2 (the checkpoint keeps --epochs 500: --epochs shortens it)
    proc = demo("--resume", path, "--epochs", str(epoch + 2), *QUIET[:1], out_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"resuming {path} at epoch {epoch + 1} of {epoch + 2}" in proc.stdout
    for path in printed_paths(proc.stdout):         # every path it prints exists
        assert os.path.exists(path), path
    straight = tmp_path / "straight"
    assert demo(*args, "--epochs", str(epoch + 2), out_dir=straight).returncode == 0
    a, b = nn.load(str(ckpt)), nn.load(str(straight / "mlp_checkpoint.npz"))
    assert a["epoch"] == b["epoch"] == epoch + 2
    for key in b["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])


def test_advice_for_a_resumed_run_interrupted_before_its_next_epoch(tmp_path):
    from glassgrad.demo.checkpoint import interrupt_advice
    src = tmp_path / "a" / "mlp_checkpoint.npz"
    assert demo("--epochs", "1", "--hidden", "8", *QUIET, out_dir=src.parent).returncode == 0
    run_id = nn.load(str(src))["run_id"]
    elsewhere = str(tmp_path / "b" / "mlp_checkpoint.npz")
    text = interrupt_advice(elsewhere, run_id, resume=str(src), resume_epoch=1)
    assert text.endswith(f"{src} still holds epoch 1: continue with --resume {src}")
    # resumed in place: the file holds this run (same run id), so it is named
    assert interrupt_advice(str(src), run_id, resume=str(src), resume_epoch=1).startswith(
        f"interrupted; epoch 1 is saved in {src}")
    # another run's file at that path is not this run's
    assert "nothing was saved yet" in interrupt_advice(str(src), "another-run")


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("one_epoch")
    assert demo("--epochs", "1", "--hidden", "32", *QUIET, out_dir=out_dir).returncode == 0
    return str(out_dir / "mlp_checkpoint.npz")


@pytest.mark.parametrize("flags, message", [
    (["--hidden", "64"], "uses --hidden 32, not --hidden 64"),
    (["--seed", "1", "--model", "cnn"], "uses --model mlp, --seed 0, not --model cnn, "
                                        "--seed 1"),
    (["--label-smoothing", "0"], "uses --label-smoothing 0.1, not --label-smoothing 0.0"),
])
def test_resume_refuses_a_different_configuration(tmp_path, one_epoch_run, flags, message):
    ckpt = str(tmp_path / "mlp_checkpoint.npz")
    shutil.copyfile(one_epoch_run, ckpt)
    proc = demo("--resume", ckpt, "--epochs", "2", *flags, *QUIET, out_dir=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "Drop" in proc.stderr, proc.stderr
    assert nn.load(ckpt)["epoch"] == 1                 # nothing was trained or written
    # the same values, and the flags a resumed run may change, are accepted
    proc = demo("--resume", ckpt, "--epochs", "2", "--hidden", "32", "--lr", "0.002",
                "--patience", "5", *QUIET, out_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    saved = nn.load(ckpt)
    assert saved["epoch"] == 2 and saved["config"]["lr"] == 0.002
