"""The demo's --compile trains the same model, bit for bit, as the eager demo."""
import numpy as np
import pytest

import nn
from glassgrad.demo.cli import build_parser
from glassgrad.demo.run import run
from glassgrad.training import fit, make_train_step  # noqa: F401 (the public pieces)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_demo_compile_gives_the_eager_checkpoint(tmp_path, model, capsys):
    states = []
    for flags in ([], ["--compile"]):
        out = tmp_path / ("compiled" if flags else "eager")
        args = build_parser().parse_args(
            ["--model", model, "--epochs", "2", "--no-progress", "--no-graph", "--no-plot",
             "--out-dir", str(out)] + flags)
        assert run(args) == 0
        states.append(nn.load(str(out / f"{model}_checkpoint.npz")))
    eager, compiled = states
    for key, value in eager["model"].items():
        assert np.asarray(value).tobytes() == np.asarray(compiled["model"][key]).tobytes()
    printed = capsys.readouterr().out
    accuracies = [line for line in printed.splitlines() if line.startswith("test accuracy")]
    assert len(accuracies) == 2 and accuracies[0].split("|")[0] == accuracies[1].split("|")[0]


def test_demo_refuses_compile_with_distributed():
    from glassgrad.demo.cli import DemoError
    args = build_parser().parse_args(["--compile", "--distributed"])
    with pytest.raises(DemoError, match="--compile with --distributed"):
        run(args)
