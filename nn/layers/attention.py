"""``MultiheadAttention`` with PyTorch's parameters (``in_proj_weight`` (3E, E),
``in_proj_bias`` (3E,), ``out_proj.weight``/``out_proj.bias``; or ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight`` when kdim/vdim differ from embed_dim).

    head_i = softmax((x_q W_q^i)(x_k W_k^i)^T / sqrt(E/h) + mask) (x_v W_v^i)
    out = concat(head_1..head_h) W_o^T + b_o

>>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
>>> x = ag.randn(2, 5, 16)
>>> out, weights = mha(x, x, x)
>>> out.shape, weights.shape
((2, 5, 16), (2, 5, 5))
"""
import numpy as np

import autograd as ag
from .. import functional as F
from .. import init
from ..module import Module
from . import checks
from .device import check_device
from .linear import NonDynamicallyQuantizableLinear

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention as ``torch.nn.MultiheadAttention``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(output, weights)``; masks use True = not allowed (or floats, added).
    Inputs are (L, N, E), or (N, L, E) with ``batch_first``, or unbatched (L, E).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        check_device(device, "MultiheadAttention")
        checks.probability("MultiheadAttention", "dropout", dropout)
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a "
                             f"positive multiple of num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: add_bias_kv and add_zero_attn are not "
                             "supported")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = float(dropout), batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = init._new_parameter(3 * embed_dim, embed_dim, dtype=dtype)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = init._new_parameter(embed_dim, embed_dim, dtype=dtype)
            self.k_proj_weight = init._new_parameter(embed_dim, self.kdim, dtype=dtype)
            self.v_proj_weight = init._new_parameter(embed_dim, self.vdim, dtype=dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = init._new_parameter(3 * embed_dim, dtype=dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        """xavier_uniform_ on the input projections, zero biases (out_proj.weight keeps
        Linear's default init), as PyTorch."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        q, k, v = (ag.as_tensor(t) for t in (query, key, value))
        if q.ndim not in (2, 3) or q.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: expected query (L, N, {self.embed_dim})"
                             f" (or (N, L, E) with batch_first, or (L, E)), got {q.shape}")
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = (t.unsqueeze(1) for t in (q, k, v))             # (L|S, 1, E)
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(
                    key_padding_mask.data if isinstance(key_padding_mask, ag.Tensor)
                    else key_padding_mask)[None]                      # (1, S)
        elif self.batch_first:
            q, k, v = (t.transpose(1, 0, 2) for t in (q, k, v))       # (L|S, N, E)
        out, weights = F.multi_head_attention_forward(
            q, k, v, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.out_proj.weight, self.out_proj.bias, dropout_p=self.dropout,
            training=self.training, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal and attn_mask is None)
        if unbatched:
            out = out[:, 0]                                           # (L, E)
            weights = None if weights is None else weights[0]         # (L, S) | (h, L, S)
        elif self.batch_first:
            out = out.transpose(1, 0, 2)                              # (N, L, E)
        return out, weights
