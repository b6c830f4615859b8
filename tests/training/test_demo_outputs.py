"""What the demo prints and writes: every path it names exists (also when resuming
into another --out-dir), the summary explains a label-smoothed loss, and the curves
of a 1-epoch run have whole-epoch ticks."""
import os

import numpy as np
import pytest

import nn
from demo_output import printed_paths
from glassgrad import demo
from glassgrad.training import History, plot_history

QUIET = ["--no-progress", "--hidden", "16"]


def test_resume_at_the_last_epoch_into_another_out_dir_writes_what_it_reports(
        tmp_path, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    assert demo.main([*QUIET, "--epochs", "1", "--out-dir", str(first)]) == 0
    capsys.readouterr()
    src = first / "mlp_checkpoint.npz"
    assert demo.main(["--resume", str(src), "--no-progress", "--out-dir", str(second)]) == 0
    out = capsys.readouterr().out
    assert "already at epoch 1" in out and "no epoch trained" in out
    paths = printed_paths(out)
    assert str(second / "mlp_checkpoint.npz") in paths and len(paths) >= 3, out
    for path in paths:
        assert os.path.isfile(path), f"the demo printed {path}, which does not exist"
    a, b = nn.load(str(src)), nn.load(str(second / "mlp_checkpoint.npz"))
    assert a["epoch"] == b["epoch"] == 1 and a["run_id"] == b["run_id"]
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key])


def test_resume_in_place_by_default(tmp_path, capsys):
    """Without --out-dir a resumed run writes next to its checkpoint, not to runs/."""
    assert demo.main([*QUIET, "--epochs", "1", "--no-plot", "--no-graph",
                      "--out-dir", str(tmp_path)]) == 0
    ckpt = tmp_path / "mlp_checkpoint.npz"
    assert demo.main(["--resume", str(ckpt), "--epochs", "2", "--no-progress",
                      "--no-plot", "--no-graph"]) == 0
    assert f"checkpoint: {ckpt}" in capsys.readouterr().out
    assert nn.load(str(ckpt))["epoch"] == 2


def test_checkpoint_records_the_model_configuration(tmp_path):
    assert demo.main([*QUIET, "--epochs", "1", "--no-plot", "--no-graph",
                      "--out-dir", str(tmp_path)]) == 0
    ckpt = nn.load(str(tmp_path / "mlp_checkpoint.npz"))
    assert ckpt["model_summary"] == "mlp 64-16-10, 1210 parameters"
    config = ckpt["config"]
    assert config["model"] == "mlp" and list(config["hidden"]) == [16]
    assert config["batch_size"] == 32 and config["label_smoothing"] == 0.1
    assert isinstance(ckpt["run_id"], str) and len(ckpt["run_id"]) == 16


@pytest.mark.parametrize("smoothing, floor", [("0.1", "0.50"), ("0.3", "1.18"), ("0", None)])
def test_summary_explains_the_label_smoothed_loss(tmp_path, capsys, smoothing, floor):
    assert demo.main([*QUIET, "--epochs", "1", "--no-plot", "--no-graph",
                      "--label-smoothing", smoothing, "--out-dir", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "test loss" in x)
    if floor is None:
        assert "smoothing" not in line
    else:
        assert f"(label smoothing {float(smoothing):g}: even a perfect model scores " \
               f"{floor})" in line


def test_smoothed_floor_is_the_least_loss():
    """The floor printed is the loss of the best possible prediction (the target)."""
    import autograd as ag
    from glassgrad.demo.run import _smoothed_floor
    eps, target = 0.1, np.array([3])
    q = np.full((1, 10), eps / 10)
    q[0, 3] += 1 - eps
    loss = nn.CrossEntropyLoss(label_smoothing=eps)(ag.tensor(np.log(q)), ag.tensor(target))
    assert loss.item() == pytest.approx(_smoothed_floor(eps), rel=1e-9)


@pytest.mark.parametrize("epochs", [1, 2, 3, 30])
def test_curves_have_whole_epoch_ticks(tmp_path, epochs):
    history = History()
    for e in range(1, epochs + 1):
        history.append(epoch=e, train_loss=1 / e, val_loss=1.1 / e, train_acc=0.5,
                       val_acc=0.4)
    fig = plot_history(history, str(tmp_path / "c.png"))
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), (epochs, ticks)
