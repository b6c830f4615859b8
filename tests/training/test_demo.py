"""python -m glassgrad.demo: flags, errors (exit 2, no traceback), outputs, exact resume."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import nn

if not hasattr(nn, "Sequential"):
    pytest.skip("nn core is not merged on this branch yet", allow_module_level=True)
pytest.importorskip("optim")

from glassgrad import demo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICK = ["--no-progress", "--no-plot", "--no-graph", "--hidden", "32"]


def run(tmp_path, *args):
    return demo.main([*args, "--out-dir", str(tmp_path)])


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        demo.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    flags = [a.option_strings[-1] for a in demo.build_parser()._actions if a.option_strings]
    assert len(flags) > 15
    for flag in flags:
        assert flag in text
    assert "--resume" in text and "default" in text


@pytest.mark.parametrize("argv, message", [
    (["--model", "rnn"], "invalid choice"),
    (["--epochs", "x"], "invalid int"),
    (["--hidden", "32,-1"], "positive integers"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_flags_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        demo.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs 0: must be at least 1"),
    (["--lr", "-1"], "--lr -1.0: must be positive"),
    (["--test-size", "1.5"], "--test-size"),
    (["--dropout", "1"], "--dropout"),
    (["--channels", "8"], "exactly two"),
    (["--patience", "3", "--val-size", "0"], "needs a validation set"),
    (["--label-smoothing", "1"], "--label-smoothing"),
    (["--patience", "-1"], "--patience"),
])
def test_bad_values_exit_2(tmp_path, capsys, argv, message):
    assert run(tmp_path, *argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unreadable_checkpoints_exit_2(tmp_path, capsys):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    foreign = tmp_path / "foreign.npz"
    nn.save({"weights": np.zeros(3)}, str(foreign))
    cases = [(tmp_path / "missing.npz", "no such file"), (garbage, "cannot read"),
             (foreign, "not a checkpoint written by")]
    for path, message in cases:
        assert run(tmp_path, "--resume", str(path)) == 2
        err = capsys.readouterr().err
        assert message in err and str(path) in err and "Traceback" not in err


def test_damaged_checkpoints_and_bad_out_dir_exit_2(tmp_path, capsys):
    assert run(tmp_path, *QUICK, "--epochs", "1") == 0
    good = nn.load(str(tmp_path / "mlp_checkpoint.npz"))
    no_key = dict(good, config={k: v for k, v in good["config"].items() if k != "seed"})
    nn.save(no_key, str(tmp_path / "no_key.npz"))
    bad_shape = dict(good, model=dict(good["model"], **{"fc1.weight": np.zeros((3, 3))}))
    nn.save(bad_shape, str(tmp_path / "bad_shape.npz"))
    capsys.readouterr()
    for name, message in [("no_key.npz", "lacks config['seed']"),
                          ("bad_shape.npz", "does not fit this model")]:
        assert run(tmp_path, "--resume", str(tmp_path / name), "--epochs", "2") == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert demo.main([*QUICK, "--out-dir", str(a_file)]) == 2
    assert "cannot create it" in capsys.readouterr().err


def test_outputs_and_exact_resume(tmp_path, capsys):
    """2 epochs + resume to 3 ends with the same weights as 3 epochs in one go."""
    one, two = tmp_path / "one", tmp_path / "two"
    assert run(one, *QUICK, "--epochs", "3", "--dropout", "0.2") == 0
    assert run(two, *QUICK, "--epochs", "2", "--dropout", "0.2") == 0
    ckpt_path = two / "mlp_checkpoint.npz"
    assert nn.load(str(ckpt_path))["epoch"] == 2
    capsys.readouterr()
    # run flags equal to the checkpoint's may be given again; --epochs extends the run
    assert run(two, "--resume", str(ckpt_path), "--epochs", "3", "--hidden", "32",
               "--no-progress", "--no-plot", "--no-graph") == 0
    out, err = capsys.readouterr()
    assert "resuming" in out and not err
    a, b = nn.load(str(one / "mlp_checkpoint.npz")), nn.load(str(ckpt_path))
    assert a["epoch"] == b["epoch"] == 3
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])
    np.testing.assert_allclose(a["history"]["val_loss"], b["history"]["val_loss"])
    assert "test accuracy" in out
    # already at --epochs: nothing to train, still a clean exit
    assert run(two, "--resume", str(ckpt_path), *QUICK[:3]) == 0
    assert "already at epoch 3" in capsys.readouterr().out


def test_early_stopping_in_the_demo(tmp_path, capsys):
    assert run(tmp_path, *QUICK, "--epochs", "300", "--patience", "1") == 0
    out = capsys.readouterr().out
    assert "restored the weights of epoch" in out
    ckpt = nn.load(str(tmp_path / "mlp_checkpoint.npz"))
    assert ckpt["epoch"] < 300 and ckpt["early_stopping"]["should_stop"]
    val_loss = ckpt["history"]["val_loss"]
    assert val_loss[-1] > val_loss[-2]
    # without a validation set early stopping is off unless asked for
    assert run(tmp_path, *QUICK, "--epochs", "1", "--val-size", "0") == 0


def test_cnn_writes_png_and_graph(tmp_path, capsys):
    assert run(tmp_path, "--model", "cnn", "--epochs", "1", "--channels", "4,8", "--fc", "16",
               "--no-progress") == 0
    out = capsys.readouterr().out
    assert (tmp_path / "cnn_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "cnn_checkpoint.npz").exists()
    svg, dot = tmp_path / "cnn_graph.svg", tmp_path / "cnn_graph.dot"
    assert svg.exists() or dot.exists(), out
    text = (svg if svg.exists() else dot).read_text()
    for layer in ("conv1", "pool2", "fc", "out", "CrossEntropyLoss"):
        assert layer in text


def test_graph_falls_back_to_dot_text(tmp_path, monkeypatch):
    import autograd as ag
    if not hasattr(ag, "draw_graph"):
        pytest.skip("autograd.draw_graph is not merged yet")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    model = demo.build_model({"model": "mlp", "hidden": [8], "dropout": 0.0})
    x = np.zeros((2, 64), np.float32)
    note = demo.write_graph(model, nn.CrossEntropyLoss(), x, np.array([1, 2]),
                            str(tmp_path / "g"))
    assert "not installed" in note and "digraph" in (tmp_path / "g.dot").read_text()
    assert all(p.grad is None or not np.any(p.grad.numpy()) for p in model.parameters())


def test_module_entry_point_runs(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "glassgrad.demo", "--epochs", "1", *QUICK,
                           "--out-dir", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout
