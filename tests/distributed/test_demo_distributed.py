"""``mpiexec -n K python -m glassgrad.demo --distributed``: rank 0 alone prints, shows
the bar and writes the outputs; the checkpoint resumes with another number of ranks."""
import json
import os

import pytest

import mpi_launch

import nn

AUDIT = os.path.join(mpi_launch.HERE, "demo_audit.py")
QUICK = ["--hidden", "32", "--no-graph", "--no-plot"]


def demo(ranks, tmp_path, log, *args):
    proc = mpi_launch.run(ranks, [AUDIT, str(tmp_path / log), "--distributed", *QUICK,
                                  *args, "--out-dir", str(tmp_path / "runs")])
    logs = []
    for r in range(ranks):
        path = tmp_path / f"{log}.rank{r}.json"
        logs.append(json.loads(path.read_text()) if path.exists() else None)
    return proc, logs


def test_two_ranks_then_resume_on_three_then_on_one(tmp_path):
    proc, logs = demo(2, tmp_path, "first", "--epochs", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("test accuracy:") == 1                  # rank 0 prints
    assert "2 MPI rank(s) x 16 samples" in proc.stdout
    assert logs[0]["bar"] and not logs[1]["bar"]                     # rank 0's bar only
    assert "mlp_checkpoint.npz" in logs[0]["written"]
    assert logs[1]["written"] == []                                  # rank 1 writes nothing
    ckpt = tmp_path / "runs" / "mlp_checkpoint.npz"
    first = nn.load(str(ckpt))
    assert first["epoch"] == 2 and list(first["model"])[0] == "fc1.weight"   # plain keys

    proc, logs = demo(3, tmp_path, "resume3", "--epochs", "3", "--no-progress",
                      "--resume", str(ckpt))
    assert proc.returncode == 0, proc.stderr
    assert "resuming" in proc.stdout and "at epoch 3 of 3" in proc.stdout
    assert "3 MPI rank(s) x 11 samples (= 33 per step" in proc.stdout
    assert logs[1]["written"] == [] and logs[2]["written"] == []
    second = nn.load(str(ckpt))
    assert second["epoch"] == 3 and len(second["history"]["train_loss"]) == 3
    assert (second["history"]["train_loss"][:2] == first["history"]["train_loss"]).all()

    from glassgrad import demo as plain_demo                          # no MPI at all
    code = plain_demo.main(["--epochs", "4", "--no-progress", *QUICK, "--resume", str(ckpt),
                            "--out-dir", str(tmp_path / "runs")])
    assert code == 0
    assert nn.load(str(ckpt))["epoch"] == 4


def test_a_flag_error_is_told_once(tmp_path):
    proc, logs = demo(2, tmp_path, "bad", "--epochs", "0")
    assert proc.returncode == 2
    assert proc.stderr.count("error: --epochs 0: must be at least 1") == 1
    assert [log["code"] for log in logs] == [2, 2]


@pytest.mark.parametrize("ranks", [2])
def test_cnn_with_dropout_trains(tmp_path, ranks):
    proc, _ = demo(ranks, tmp_path, "cnn", "--model", "cnn", "--channels", "4,8", "--fc",
                   "16", "--epochs", "1", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout
