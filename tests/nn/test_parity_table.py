"""docs/pytorch_parity.md stays true (its tables are regenerated from the installed
PyTorch and compared), every item of issue 21 is there, and glassgrad's signatures take
every argument PyTorch's do (so a ported call never fails on a keyword)."""
import importlib.util
import inspect
import os

import pytest
import torch

import nn
import nn.functional as F
import optim

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_parity_table", os.path.join(ROOT, "docs", "make_parity_table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_parity_tables_are_up_to_date():
    gen = _generator()
    with open(gen.DOC, encoding="utf-8") as f:
        text = f.read()
    assert gen.render(text) == text, "run: python docs/make_parity_table.py"


ISSUE_21 = {
    nn: """ZeroPad1d ZeroPad2d ZeroPad3d ReflectionPad1d ReflectionPad2d ReplicationPad1d
        ReplicationPad2d ConstantPad1d ConstantPad2d ConstantPad3d CosineSimilarity
        PairwiseDistance PixelShuffle EmbeddingBag RMSNorm AdaptiveMaxPool1d LPPool1d
        LPPool2d MaxUnpool1d MaxUnpool2d Hardshrink Softshrink RReLU TransformerDecoderLayer
        TransformerDecoder Transformer TripletMarginLoss TripletMarginWithDistanceLoss
        MultiLabelSoftMarginLoss MultiLabelMarginLoss MultiMarginLoss CTCLoss""",
    F: """pad cosine_similarity pairwise_distance relu_ elu_ leaky_relu_ hardtanh_ rrelu_
        selu_ celu_ threshold_ pixel_shuffle pixel_unshuffle grid_sample affine_grid""",
    optim: "Adamax NAdam RAdam Adadelta ASGD Rprop",
    optim.lr_scheduler: """CosineAnnealingWarmRestarts CyclicLR ConstantLR SequentialLR
        ChainedScheduler MultiplicativeLR PolynomialLR""",
}


def test_every_item_of_issue_21_is_there_and_in_the_table():
    with open(_generator().DOC, encoding="utf-8") as f:
        text = f.read()
    for namespace, names in ISSUE_21.items():
        for name in names.split():
            assert hasattr(namespace, name), name
            assert f"| `{name}` | `" in text, f"{name} is not marked as present in the table"


def _parameters(fn):
    try:
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "args",
                                                                         "kwargs")]
    except (TypeError, ValueError):
        return None


def _missing(ours, theirs):
    a, b = _parameters(theirs), _parameters(ours)
    return [] if a is None or b is None else [p for p in a if p not in b]


@pytest.mark.parametrize("name", [n for n in dir(torch.optim) if hasattr(optim, n)
                                  and inspect.isclass(getattr(torch.optim, n))])
def test_optimizers_take_every_argument_pytorchs_do(name):
    """Including maximize=, foreach=, fused=, capturable=, differentiable= wherever
    PyTorch's signature has them."""
    assert not _missing(getattr(optim, name).__init__, getattr(torch.optim, name).__init__)


@pytest.mark.parametrize("name", [n for n in dir(torch.optim.lr_scheduler)
                                  if hasattr(optim.lr_scheduler, n) and n[0].isupper()])
def test_schedulers_take_every_argument_pytorchs_do(name):
    ours, theirs = getattr(optim.lr_scheduler, name), getattr(torch.optim.lr_scheduler, name)
    if inspect.isclass(theirs):
        assert not _missing(ours.__init__, theirs.__init__)


@pytest.mark.parametrize("name", [n for n in dir(torch.nn) if hasattr(nn, n)
                                  and inspect.isclass(getattr(torch.nn, n))
                                  and issubclass(getattr(torch.nn, n), torch.nn.Module)])
def test_layers_take_every_argument_pytorchs_do(name):
    assert not _missing(getattr(nn, name).__init__, getattr(torch.nn, name).__init__)


def test_the_docs_example_runs():
    with open(_generator().DOC, encoding="utf-8") as f:
        text = f.read()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/pytorch_parity.md", "exec"), {})
