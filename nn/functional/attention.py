"""Attention composed of autograd ops: scaled dot-product and multi-head attention.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V

``M`` is an additive mask: 0 where attention is allowed and -inf where it is not.
Boolean masks are turned into that form, with PyTorch's two conventions:
``scaled_dot_product_attention`` takes ``True`` = *may attend*, while
``MultiheadAttention`` takes ``True`` = *masked out* (for both ``attn_mask`` and
``key_padding_mask``). Float masks are added as they are.

>>> import autograd as ag, nn.functional as F
>>> q = k = v = ag.randn(2, 4, 5, 8)         # (B, heads, T, head_dim)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
(2, 4, 5, 8)
"""
import math

import numpy as np

import autograd as ag

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _dropout(x, p, training):
    """F.dropout from the core module (looked up at call time: it lives next door)."""
    if p <= 0.0 or not training:
        return x
    from .dropout import dropout
    return dropout(x, p=p, training=True)


def _additive_mask(mask, dtype, true_means_masked, opname):
    """A bool mask -> 0 / -inf array; a float mask (array or Tensor) unchanged."""
    if mask is None:
        return None
    data = mask.data if isinstance(mask, ag.Tensor) else np.asarray(mask)
    if data.dtype == bool:
        blocked = data if true_means_masked else ~data
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    if data.dtype.kind != "f":
        raise TypeError(f"{opname}: masks must be bool or float, got {data.dtype}")
    return mask if isinstance(mask, ag.Tensor) else data.astype(dtype)


def _causal_mask(tgt_len, src_len, dtype):
    """-inf above the diagonal: position i sees only positions <= i."""
    allowed = np.tril(np.ones((tgt_len, src_len), dtype=bool))
    return np.where(allowed, 0.0, -np.inf).astype(dtype)


def _safe_softmax(scores):
    """Softmax over the last axis that gives 0 (not NaN) for a row masked out entirely,
    as PyTorch's scaled_dot_product_attention does."""
    dead = np.all(scores.data == -np.inf, axis=-1, keepdims=True)   # (..., L, 1)
    if not dead.any():
        return ag.softmax(scores, axis=-1)
    weights = ag.softmax(ag.where(dead, 0.0, scores), axis=-1)
    return ag.where(dead, 0.0, weights)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, training=True):
    """``softmax(q k^T * scale + mask) v`` over the last two axes, as PyTorch.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev); ``attn_mask``
    broadcasts to (..., L, S): bool (True = may attend) or float (added);
    ``is_causal`` masks the upper triangle; ``scale`` defaults to ``1/sqrt(E)``.
    A query row with every key masked gets zero weights (PyTorch's safe softmax).
    Dropout (``dropout_p``) is applied to the attention weights.
    """
    q, k, v = (ag.as_tensor(t) for t in (query, key, value))
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {q.shape}, key {k.shape} "
                         f"and value {v.shape} do not fit ((..., L, E), (..., S, E), "
                         "(..., S, Ev))")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q * scale) @ k.swapaxes(-2, -1)                        # (..., L, S)
    if is_causal:
        scores = scores + _causal_mask(q.shape[-2], k.shape[-2], q.dtype)
    mask = _additive_mask(attn_mask, q.dtype, False, "scaled_dot_product_attention")
    if mask is not None:
        scores = scores + mask
    weights = _dropout(_safe_softmax(scores), dropout_p, training)
    return weights @ v                                                # (..., L, Ev)


def _project_heads(q, k, v, num_heads, in_proj_weight, in_proj_bias, q_proj_weight,
                   k_proj_weight, v_proj_weight):
    """The query, key and value projections, split into heads: (N*h, L|S, E/h) each."""
    if in_proj_weight is not None:
        w_q, w_k, w_v = ag.split(in_proj_weight, 3, axis=0)           # 3 x (E, E)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    biases = (None, None, None)
    if in_proj_bias is not None:
        biases = ag.split(in_proj_bias, 3, axis=0)                    # 3 x (E,)
    projected = [x @ w.T if b is None else x @ w.T + b                # (L|S, N, E)
                 for x, w, b in zip((q, k, v), (w_q, w_k, w_v), biases)]
    heads = []
    for x in projected:         # (in this order: the graph's node order is PyTorch's)
        length, bsz, embed_dim = x.shape
        x = x.reshape(length, bsz * num_heads, embed_dim // num_heads)
        heads.append(x.transpose(1, 0, 2))                            # (N*h, L|S, hd)
    return heads


def _attention_mask(attn_mask, key_padding_mask, is_causal, dtype, bsz, num_heads, tgt_len,
                    src_len):
    """attn_mask (or the causal one) and key_padding_mask as one additive mask,
    (N, h|1, L, S) or (L, S), or None."""
    mask = _additive_mask(attn_mask, dtype, True, "multi_head_attention")
    if mask is None and is_causal:
        mask = _causal_mask(tgt_len, src_len, dtype)
    if mask is not None:
        allowed = {2: (tgt_len, src_len), 3: (bsz * num_heads, tgt_len, src_len)}
        if allowed.get(mask.ndim) != tuple(mask.shape):
            raise ValueError(f"multi_head_attention: attn_mask must be (L, S) = "
                             f"{allowed[2]} or (N*num_heads, L, S) = {allowed[3]}, got "
                             f"{tuple(mask.shape)}")
        if mask.ndim == 3:
            mask = mask.reshape(bsz, num_heads, tgt_len, src_len)     # (N, h, L, S)
    pad = _additive_mask(key_padding_mask, dtype, True, "multi_head_attention")
    if pad is not None:
        if tuple(pad.shape) != (bsz, src_len):
            raise ValueError(f"multi_head_attention: key_padding_mask must be (N, S) = "
                             f"{(bsz, src_len)}, got {tuple(pad.shape)}")
        pad = pad.reshape(bsz, 1, 1, src_len)                         # (N, 1, 1, S)
        mask = pad if mask is None else mask + pad                    # (N, h|1, L, S)
    return mask


def multi_head_attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, dropout_p=0.0,
                                 training=True, key_padding_mask=None, need_weights=True,
                                 attn_mask=None, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's multi-head attention on sequence-first inputs.

    ``query`` (L, N, E), ``key`` (S, N, kdim), ``value`` (S, N, vdim). The projections
    are rows of ``in_proj_weight`` (3E, E) (or separate ``q/k/v_proj_weight``), the
    heads split E into ``num_heads`` blocks of ``E/num_heads``; ``key_padding_mask``
    (N, S) and ``attn_mask`` (L, S) or (N*num_heads, L, S) use True = masked out.
    Returns ``(output (L, N, E), weights)`` with weights (N, L, S) averaged over heads
    (or (N, num_heads, L, S)), or None unless ``need_weights``.
    """
    q, k, v = (ag.as_tensor(t) for t in (query, key, value))
    tgt_len, bsz, embed_dim = q.shape
    src_len = k.shape[0]
    if embed_dim % num_heads:
        raise ValueError(f"multi_head_attention: embed_dim {embed_dim} is not divisible by "
                         f"num_heads {num_heads}")
    if k.shape[:2] != (src_len, bsz) or v.shape[:2] != (src_len, bsz):
        raise ValueError(f"multi_head_attention: key {k.shape} and value {v.shape} must be "
                         f"(S, N, *) with N = {bsz} like query {q.shape}")
    q, k, v = _project_heads(q, k, v, num_heads, in_proj_weight, in_proj_bias,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    mask = _attention_mask(attn_mask, key_padding_mask, is_causal, q.dtype, bsz, num_heads,
                           tgt_len, src_len)
    scores = (q * (1.0 / math.sqrt(embed_dim // num_heads))) @ k.transpose(0, 2, 1)
    if mask is not None:                                              # (N*h, L, S)
        scores = scores.reshape(bsz, num_heads, tgt_len, src_len) + mask
        scores = scores.reshape(bsz * num_heads, tgt_len, src_len)
    # PyTorch: with need_weights the plain softmax (a fully masked row gives NaN),
    # without it scaled_dot_product_attention's softmax (such a row gives 0).
    weights = ag.softmax(scores, axis=-1) if need_weights else _safe_softmax(scores)
    weights = _dropout(weights, dropout_p, training)
    out = weights @ v                                                 # (N*h, L, hd)
    out = out.transpose(1, 0, 2).reshape(tgt_len, bsz, embed_dim)     # (L, N, E)
    out = out @ out_proj_weight.T                                     # (L, N, E)
    if out_proj_bias is not None:
        out = out + out_proj_bias
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)       # (N, h, L, S)
    if average_attn_weights:
        weights = weights.mean(axis=1)                                # (N, L, S)
    return out, weights
