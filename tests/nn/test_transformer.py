"""TransformerEncoderLayer / TransformerEncoder against PyTorch (float64, dropout=0):
outputs and the gradients of the input and every parameter, with masks."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn_oracle import load_from_torch, run_both

D, HEADS, FF, T, N = 8, 2, 16, 5, 3


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def check(ours, theirs, x, train, **masks):
    """Same weights, same mode, same input and masks; compare output and every gradient."""
    load_from_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    run_both(torch, ours, theirs, [x], rtol=1e-7, atol=1e-9, **masks)


def _masks(rng, batch_first, kind):
    pad = np.zeros((N, T), dtype=bool)
    pad[0, -2:] = True
    pad[1, 0] = True
    causal = np.triu(np.ones((T, T), dtype=bool), k=1)
    if kind == "bool":
        return dict(src_mask=causal, src_key_padding_mask=pad)
    return dict(src_mask=np.where(causal, -np.inf, 0.0) + 0.1 * rng.standard_normal((T, T)),
                src_key_padding_mask=np.where(pad, -np.inf, 0.0))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("train", [True, False])
def test_encoder_layer_matches_torch(norm_first, batch_first, activation, train):
    rng = np.random.default_rng(1)
    kw = dict(d_model=D, nhead=HEADS, dim_feedforward=FF, dropout=0.0, activation=activation,
              batch_first=batch_first, norm_first=norm_first, layer_norm_eps=1e-6)
    x = rng.standard_normal((N, T, D) if batch_first else (T, N, D))
    check(nn.TransformerEncoderLayer(**kw), torch.nn.TransformerEncoderLayer(**kw).double(),
          x, train, **_masks(rng, batch_first, "bool" if train else "float"))


def test_encoder_layer_without_masks_and_parameter_names():
    rng = np.random.default_rng(2)
    kw = dict(d_model=D, nhead=HEADS, dim_feedforward=FF, dropout=0.0)
    ours, theirs = nn.TransformerEncoderLayer(**kw), torch.nn.TransformerEncoderLayer(**kw)
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    check(ours, theirs.double(), rng.standard_normal((T, N, D)), True)


def test_encoder_stack_with_final_norm():
    rng = np.random.default_rng(3)
    kw = dict(d_model=D, nhead=HEADS, dim_feedforward=FF, dropout=0.0, batch_first=True)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(**kw), 2, norm=nn.LayerNorm(D))
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(**kw), 2,
                                         norm=torch.nn.LayerNorm(D),
                                         enable_nested_tensor=False).double()
    masks = _masks(rng, True, "bool")
    check(ours, theirs, rng.standard_normal((N, T, D)), True, mask=masks["src_mask"],
          src_key_padding_mask=masks["src_key_padding_mask"])


def test_encoder_layer_dropout_active_in_training():
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.5)
    x = ag.Tensor(np.random.default_rng(4).standard_normal((T, N, D)))
    layer.eval()
    out_eval = layer(x).data
    np.testing.assert_array_equal(out_eval, layer(x).data)
    layer.train()
    assert np.abs(layer(x).data - out_eval).max() > 1e-3


def test_bad_activation():
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(D, HEADS, activation="swish")
