"""The nn surface of API.md exists, and our functional/layer signatures equal PyTorch's
(so positional calls written for torch carry over)."""
import importlib
import inspect

import pytest

import nn
import nn.functional as F

torch = pytest.importorskip("torch")

MINE = ["activation", "loss", "normalization", "dropout", "linear", "embedding"]
LAYERS = MINE + ["flatten"]


def test_api_md_names_exist():
    for name in """Module Parameter Sequential ModuleList ModuleDict Linear BatchNorm1d
    BatchNorm2d LayerNorm GroupNorm Dropout Dropout2d Embedding Flatten Identity ReLU
    LeakyReLU PReLU ELU GELU SiLU Sigmoid Tanh Softplus Softmax LogSoftmax MSELoss L1Loss
    HuberLoss SmoothL1Loss BCELoss BCEWithLogitsLoss CrossEntropyLoss NLLLoss KLDivLoss
    MultiMarginLoss save load""".split():
        assert hasattr(nn, name), name
    for name in """calculate_gain uniform_ normal_ constant_ zeros_ ones_ xavier_uniform_
    xavier_normal_ kaiming_uniform_ kaiming_normal_""".split():
        assert hasattr(nn.init, name), name
    for name in ("clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
                 "vector_to_parameters"):
        assert hasattr(nn.utils, name), name
    assert nn.functional is F
    for name in """linear relu leaky_relu prelu elu gelu silu sigmoid tanh softplus softmax
    log_softmax mse_loss l1_loss huber_loss smooth_l1_loss binary_cross_entropy
    binary_cross_entropy_with_logits cross_entropy nll_loss kl_div multi_margin_loss
    dropout dropout2d batch_norm layer_norm group_norm embedding""".split():
        assert hasattr(F, name), name


def _python_signature(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None            # a C builtin in torch: nothing to compare


def _functional_pairs():
    for mod_name in MINE:
        mod = importlib.import_module(f"nn.functional.{mod_name}")
        for name in mod.__all__:
            theirs = getattr(torch.nn.functional, name, None)
            if theirs is not None and name != "normalize":
                yield pytest.param(getattr(mod, name), theirs, id=name)


@pytest.mark.parametrize("ours,theirs", list(_functional_pairs()))
def test_functional_signatures_equal_torch(ours, theirs):
    want = _python_signature(theirs)
    if want is None:
        pytest.skip("torch's version is a builtin without a signature")
    assert _python_signature(ours) == want


def _layer_pairs():
    for mod_name in LAYERS:
        mod = importlib.import_module(f"nn.layers.{mod_name}")
        for name in mod.__all__:
            theirs = getattr(torch.nn, name)
            want = _python_signature(theirs.__init__)
            if want and "args" not in want and name != "Hardtanh":
                yield pytest.param(getattr(mod, name), want, id=name)


@pytest.mark.parametrize("cls,want", list(_layer_pairs()))
def test_layer_constructor_signatures_equal_torch(cls, want):
    assert _python_signature(cls.__init__) == want
