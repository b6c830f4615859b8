"""The library imports with NumPy alone; the demo says what to install before training.

Each case runs a fresh interpreter whose imports of the named packages fail, as on a
machine without them (a ``sys.meta_path`` finder placed first refuses them), so the
installed venv can stand in for a bare one. scripts/newcomer_path.sh also checks
``import autograd`` in a real venv that holds NumPy alone.
"""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTIONAL = ("graphviz", "matplotlib", "tqdm", "threadpoolctl", "scipy", "torch",
            "IPython", "ipywidgets", "ipykernel", "nbformat", "hypothesis", "pytest")
QUICK = ["--epochs", "1", "--hidden", "16"]

BLOCKER = textwrap.dedent('''
    import sys

    class _Without:
        """Refuse to import the named top-level packages, as if not installed."""
        def __init__(self, names):
            self.names = set(names)

        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in self.names:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _Without(sys.argv.pop(1).split(",")))
''')


def python_without(names, code, *args, cwd=None):
    """Run ``code`` in a fresh interpreter where importing ``names`` fails."""
    script = BLOCKER + textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", script, ",".join(names), *args],
                          cwd=cwd or ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def demo_without(names, *args, out_dir):
    code = """
        import runpy
        sys.argv = ["glassgrad.demo", *sys.argv[1:]]
        runpy.run_module("glassgrad.demo", run_name="__main__")
    """
    return python_without(names, code, *args, "--out-dir", str(out_dir))


def test_the_blocker_really_blocks():
    proc = python_without(["numpy"], "import numpy")
    assert proc.returncode != 0 and "No module named 'numpy'" in proc.stderr


def test_library_imports_and_works_with_numpy_alone(tmp_path):
    proc = python_without(OPTIONAL, """
        import autograd as ag, nn, optim
        import glassgrad.training, glassgrad.demo
        loaded = sorted({m.partition(".")[0] for m in sys.modules} & set(%r))
        assert not loaded, loaded
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        opt = optim.Adam(model.parameters())
        x, y = ag.randn(5, 3), ag.tensor([0, 1, 0, 1, 1])
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward(retain_graph=True)
        assert ag.to_dot(loss).startswith("digraph")          # DOT text needs no Graphviz
        print(ag.explain(loss))
        opt.step()
        try:
            ag.draw_graph(loss)
        except ModuleNotFoundError as exc:
            print("DRAW:", exc)
        else:
            raise AssertionError("draw_graph worked without the graphviz package")
    """ % (OPTIONAL,), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "DRAW: Drawing the graph needs the graphviz Python package" in proc.stdout
    assert "pip install graphviz" in proc.stdout and "to_dot" in proc.stdout


def test_import_autograd_does_not_import_graphviz():
    """Even where graphviz is installed, it is loaded on the first drawing only."""
    proc = python_without([], """
        import autograd as ag
        assert "graphviz" not in sys.modules
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        ag.to_dot((x * x).sum())
        assert "graphviz" not in sys.modules
        from autograd.viz import Graph, GraphvizNotFoundError
        import graphviz
        assert issubclass(Graph, graphviz.Digraph)
        assert issubclass(GraphvizNotFoundError, graphviz.ExecutableNotFound)
        assert ag.viz.Graph is Graph and ag.viz.render.Graph is Graph
        assert isinstance(ag.draw_graph((x * x).sum()), Graph)
        # named where they are exposed (reprs in committed notebooks, pickles)
        assert Graph.__module__ == GraphvizNotFoundError.__module__ == "autograd.viz.render"
    """)
    if "No module named 'graphviz'" in proc.stderr:
        pytest.skip("the graphviz package is not installed here")
    assert proc.returncode == 0, proc.stderr


def test_demo_without_matplotlib_says_what_to_install_before_training(tmp_path):
    proc = demo_without(["matplotlib"], *QUICK, out_dir=tmp_path)
    assert proc.returncode == 2
    assert "needs matplotlib" in proc.stderr and "pip install matplotlib" in proc.stderr
    assert "--no-plot" in proc.stderr and "Traceback" not in proc.stderr
    assert "digits:" not in proc.stdout                 # refused before any training
    assert not os.listdir(tmp_path)
    # --no-plot is the way round it
    proc = demo_without(["matplotlib"], *QUICK, "--no-plot", "--no-graph", out_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_demo_without_tqdm_prints_a_line_per_epoch(tmp_path):
    proc = demo_without(["tqdm"], "--epochs", "2", "--hidden", "16", "--no-plot",
                        "--no-graph", out_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "tqdm is not installed" in proc.stderr and "pip install tqdm" in proc.stderr
    lines = [x for x in proc.stdout.splitlines() if x.startswith("epoch ")]
    assert [x.split(":")[0] for x in lines] == ["epoch 1/2", "epoch 2/2"], proc.stdout
    assert "train_loss" in lines[0] and "val_acc" in lines[0]


def test_demo_without_graphviz_writes_the_dot_text(tmp_path):
    proc = demo_without(["graphviz"], *QUICK, "--no-plot", out_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the graphviz Python package is not installed" in proc.stderr   # said up front
    assert "pip install graphviz" in proc.stderr
    dot = tmp_path / "mlp_graph.dot"
    assert dot.read_text().startswith("digraph") and f"{dot}" in proc.stdout


def test_demo_help_needs_no_optional_package():
    proc = python_without(OPTIONAL, """
        import runpy
        sys.argv = ["glassgrad.demo", "--help"]
        runpy.run_module("glassgrad.demo", run_name="__main__")
    """)
    assert proc.returncode == 0, proc.stderr
    assert "--resume" in proc.stdout
