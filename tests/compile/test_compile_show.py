"""A compiled program can be summarised and drawn: forward, backward and update as one
static graph of NumPy calls on shared buffers."""
import numpy as np
import pytest

import autograd as ag
import nn
import optim
from compile_kit import train_step


def compiled_step():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.ReLU(),
                          nn.Linear(8, 3, dtype=np.float64))
    opt = optim.SGD(model.parameters(), lr=0.1)
    return ag.compile(train_step(model, opt))


def run(step, n=3):
    rng = np.random.default_rng(0)
    for _ in range(n):
        step(ag.tensor(rng.standard_normal((5, 4))), rng.integers(0, 3, 5))


def test_summary_says_what_the_program_is_and_what_was_saved():
    step = compiled_step()
    assert "no program yet" in step.summary()
    run(step)
    text = step.summary()
    assert "2 tracing calls, 1 replays" in text
    for phrase in ("forward", "backward", "update", "matmul", "buffers:", "reused:",
                   "fused away:", "out=:", "guards:", "param_groups[0]['lr']"):
        assert phrase in text, phrase
    stats = step.stats()
    assert stats["steps"] > 0 and stats["buffer_bytes"] > 0


def test_the_program_draws_as_one_static_graph():
    step = compiled_step()
    with pytest.raises(RuntimeError, match="nothing to draw yet"):
        step.to_dot()
    run(step)
    dot = step.to_dot()
    assert dot.startswith("digraph") and "matmul" in dot and "state (8, 4) float64" in dot
    for color in ("#dbeafe", "#fde68a", "#bbf7d0"):              # forward, backward, update
        assert color in dot
    graph = step.draw()
    assert graph.source.count("->") == dot.count("->")
    with pytest.raises(ValueError, match="max_steps"):
        step.to_dot(max_steps=5)
