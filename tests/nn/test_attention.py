"""MultiheadAttention and scaled_dot_product_attention against PyTorch (float64):
outputs, attention weights and the gradients of the inputs and every parameter."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import load_from_torch, run_both

E, HEADS, L, S, N = 8, 2, 4, 5, 3


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def run_mha(ours, theirs, q, k, v, **kw):
    """Same weights, same inputs; compare output, weights and every gradient."""
    load_from_torch(ours, theirs)
    run_both(torch, ours, theirs, [q, k, v], rtol=1e-7, atol=1e-10, **kw)


def _inputs(batch_first, seed=1, self_attention=False):
    rng = np.random.default_rng(seed)
    qshape = (N, L, E) if batch_first else (L, N, E)
    kshape = (N, S, E) if batch_first else (S, N, E)
    q = rng.standard_normal(qshape)
    if self_attention:
        return q, q, q
    return q, rng.standard_normal(kshape), rng.standard_normal(kshape)


def _padding_mask():
    mask = np.zeros((N, S), dtype=bool)
    mask[0, -2:] = True
    mask[2, 0] = True
    return mask


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_mha_with_key_padding_mask(batch_first, average):
    kw = dict(embed_dim=E, num_heads=HEADS, batch_first=batch_first)
    run_mha(nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw).double(),
            *_inputs(batch_first), key_padding_mask=_padding_mask(),
            average_attn_weights=average)


@pytest.mark.parametrize("kind", ["bool", "float", "bool3d"])
def test_mha_attn_mask_bool_and_float(kind):
    rng = np.random.default_rng(2)
    if kind == "bool":
        mask = np.triu(np.ones((L, S), dtype=bool), k=2)
    elif kind == "float":
        mask = rng.standard_normal((L, S))
    else:
        mask = rng.random((N * HEADS, L, S)) < 0.3
        mask[..., 0] = False          # every query keeps one key (no all -inf rows)
    kw = dict(embed_dim=E, num_heads=HEADS)
    run_mha(nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw).double(),
            *_inputs(False), attn_mask=mask, key_padding_mask=_padding_mask())


def test_mha_float_key_padding_mask_and_no_weights():
    kpm = np.random.default_rng(3).standard_normal((N, S))
    kw = dict(embed_dim=E, num_heads=4, bias=False)
    run_mha(nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw).double(),
            *_inputs(False), key_padding_mask=kpm, need_weights=False)


def test_mha_kdim_vdim_and_unbatched():
    rng = np.random.default_rng(4)
    kw = dict(embed_dim=E, num_heads=HEADS, kdim=3, vdim=5)
    q, k, v = rng.standard_normal((L, N, E)), rng.standard_normal((S, N, 3)), \
        rng.standard_normal((S, N, 5))
    run_mha(nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw).double(), q, k, v)
    kw = dict(embed_dim=E, num_heads=HEADS)
    run_mha(nn.MultiheadAttention(**kw), torch.nn.MultiheadAttention(**kw).double(),
            q[:, 0], k[:, 0, :1].repeat(E, 1), v[:, 0, :1].repeat(E, 1),
            key_padding_mask=np.array([False, False, True, False, False]))


def test_mha_parameter_names_and_init():
    mha, theirs = nn.MultiheadAttention(E, HEADS), torch.nn.MultiheadAttention(E, HEADS)
    assert {k: v.shape for k, v in mha.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert np.all(mha.in_proj_bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    bound = np.sqrt(6 / (E + 3 * E))  # xavier_uniform on (3E, E)
    assert np.abs(mha.in_proj_weight.data).max() <= bound


def test_mha_dropout_in_training_only():
    mha = nn.MultiheadAttention(E, HEADS, dropout=0.5)
    q, k, v = (ag.Tensor(a) for a in _inputs(False))
    mha.eval()
    out_eval = mha(q, k, v)[0].data
    mha.train()
    out_train = mha(q, k, v)[0].data
    assert np.abs(out_train - out_eval).max() > 1e-3


@pytest.mark.parametrize("kind", [None, "bool", "float", "causal"])
def test_scaled_dot_product_attention(kind):
    rng = np.random.default_rng(5)
    q, k, v = rng.standard_normal((2, 3, L, 4)), rng.standard_normal((2, 3, S, 4)), \
        rng.standard_normal((2, 3, S, 6))
    kw = {}
    if kind == "bool":
        kw["attn_mask"] = rng.random((L, S)) < 0.6
        kw["attn_mask"][:, 0] = True
    elif kind == "float":
        kw["attn_mask"] = rng.standard_normal((2, 1, L, S))
    elif kind == "causal":
        kw["is_causal"] = True
    run_both(torch, F.scaled_dot_product_attention,
             torch.nn.functional.scaled_dot_product_attention, [q, k, v], rtol=1e-7,
             atol=1e-10, **kw)


def test_attention_errors():
    with pytest.raises(ValueError, match="num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(E, HEADS)
    x = ag.zeros((L, N, E))
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=np.zeros((N, L + 1), dtype=bool))
    with pytest.raises(ValueError, match="attn_mask"):
        mha(x, x, x, attn_mask=np.zeros((N, L, L), dtype=bool))


def test_fully_masked_rows_like_torch():
    """SDPA (and MHA without weights) give 0 for a query that may attend to nothing;
    MHA with need_weights gives NaN there, exactly as PyTorch."""
    rng = np.random.default_rng(6)
    q = rng.standard_normal((1, 2, 3, 4))
    allowed = np.ones((3, 3), dtype=bool)
    allowed[0] = False
    qo = ag.Tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(qo, qo, qo, attn_mask=allowed)
    np.testing.assert_array_equal(out.data[:, :, 0], 0.0)
    out.sum().backward()
    qt = torch.tensor(q, requires_grad=True)
    torch.nn.functional.scaled_dot_product_attention(qt, qt, qt, attn_mask=torch.tensor(
        allowed)).sum().backward()
    np.testing.assert_allclose(qo.grad.data, qt.grad.numpy(), atol=1e-10)
    mha = nn.MultiheadAttention(4, 2)
    x = ag.Tensor(rng.standard_normal((3, 1, 4)))
    everything = np.ones((1, 3), dtype=bool)
    assert np.isnan(mha(x, x, x, key_padding_mask=everything)[0].data).all()
    no_weights = mha(x, x, x, key_padding_mask=everything, need_weights=False)[0].data
    np.testing.assert_allclose(no_weights, np.broadcast_to(mha.out_proj.bias.data, (3, 1, 4)))
