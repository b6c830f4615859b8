"""``TransformerEncoderLayer`` and ``TransformerEncoder`` with PyTorch's structure and
parameter names (``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``).

Post-norm (default):  x = norm1(x + SA(x));  x = norm2(x + FF(x))
Pre-norm (norm_first): x = x + SA(norm1(x));  x = x + FF(norm2(x))
with SA the dropped-out self-attention and FF(x) = linear2(dropout(act(linear1(x)))).

>>> layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
>>> layer(ag.randn(2, 5, 16)).shape
(2, 5, 16)
"""
import copy

from .. import functional as F
from ..containers import ModuleList
from ..module import Module
from .attention import MultiheadAttention
from .linear import Linear

__all__ = ["TransformerEncoderLayer", "TransformerEncoder"]


def _activation(name):
    if callable(name):
        return name
    if name not in ("relu", "gelu"):
        raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a "
                         f"callable, got {name!r}")
    return getattr(F, name)


class TransformerEncoderLayer(Module):
    """Self-attention + feed-forward block, as ``torch.nn.TransformerEncoderLayer``.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``; masks
    follow MultiheadAttention (True = not allowed, or additive floats).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 dtype=None):
        super().__init__()
        # Imported here so that nn still imports while those layers are being written.
        from .dropout import Dropout
        from .normalization import LayerNorm
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        norm_kw = {} if bias else {"bias": False}   # LayerNorm's bias flag (PyTorch >= 2.1)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype, **norm_kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype, **norm_kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` (``layers.0``, ...) and an
    optional final ``norm``."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        # enable_nested_tensor / mask_check select PyTorch fast paths; accepted, unused.
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        return x if self.norm is None else self.norm(x)
