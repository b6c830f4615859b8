"""``Embedding``: a lookup table of ``num_embeddings`` vectors of size ``embedding_dim``;
``EmbeddingBag``: the sum, mean or max of bags of them."""
import numpy as np

import autograd as ag
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from . import checks
from .device import check_device, check_positive

__all__ = ["Embedding", "EmbeddingBag"]


def _table(module, weight, dtype, requires_grad):
    """Register ``module.weight`` (num_embeddings, embedding_dim): the given array, or a
    new one initialised by ``reset_parameters``."""
    shape = (module.num_embeddings, module.embedding_dim)
    if weight is None:
        module.weight = Parameter(np.zeros(shape, np.dtype(dtype or ag.get_default_dtype())),
                                  requires_grad=requires_grad)
        module.reset_parameters()
        return
    data = weight.data if isinstance(weight, ag.Tensor) else np.asarray(weight)
    if data.shape != shape:
        raise ValueError("Shape of weight does not match num_embeddings and embedding_dim")
    module.weight = Parameter(data, requires_grad=requires_grad)


def _lookup_options(module):
    """The row-lookup options that differ from the defaults, as PyTorch prints them."""
    s = ""
    if module.max_norm is not None:
        s += f", max_norm={module.max_norm}"
    if module.norm_type != 2:
        s += f", norm_type={module.norm_type}"
    if module.scale_grad_by_freq is not False:
        s += f", scale_grad_by_freq={module.scale_grad_by_freq}"
    return s


def _reset_table(module):
    """N(0, 1) rows, the padding row (if any) zero."""
    init.normal_(module.weight)
    if module.padding_idx is not None:
        module.weight.data[module.padding_idx] = 0


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) ~ N(0, 1); the ``padding_idx`` row is
    zero and gets no gradient.

    >>> import numpy as np, nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(np.array([[1, 2, 0]])).shape
    (1, 3, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = checks.count("Embedding", "num_embeddings", num_embeddings, 0)
        self.embedding_dim = checks.count("Embedding", "embedding_dim", embedding_dim, 0)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        _table(self, _weight, dtype, not _freeze)

    def reset_parameters(self):
        _reset_table(self)

    def forward(self, input):  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding holding ``embeddings`` (2-d); frozen (no grad) by default."""
        data = embeddings.data if isinstance(embeddings, ag.Tensor) else embeddings
        data = np.array(data)
        if data.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = data.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                   sparse, _weight=data, _freeze=freeze)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        s += _lookup_options(self)
        if self.sparse is not False:
            s += ", sparse=True"
        return s


class EmbeddingBag(Module):
    """One vector per bag of indices: the ``mode`` ('sum', 'mean' or 'max') of the
    looked-up rows of ``weight`` (num_embeddings, embedding_dim) ~ N(0, 1), without
    the rows in between (see ``F.embedding_bag`` for bags, offsets and weights).

    >>> import numpy as np, nn
    >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag(np.array([1, 2, 4, 5, 4]), offsets=np.array([0, 2])).shape
    (2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        check_device(device, "EmbeddingBag")
        check_positive("EmbeddingBag", num_embeddings=num_embeddings,
                       embedding_dim=embedding_dim)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got "
                             f"{mode!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("padding_idx must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        _table(self, _weight, dtype, True)

    def reset_parameters(self):
        _reset_table(self)

    def forward(self, input, offsets=None, per_sample_weights=None):  # noqa: A002
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag holding ``embeddings`` (2-d); frozen (no grad) by default."""
        data = np.array(embeddings.data if isinstance(embeddings, ag.Tensor) else embeddings)
        if data.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        bag = cls(data.shape[0], data.shape[1], max_norm, norm_type, scale_grad_by_freq,
                  mode, sparse, data, include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        s += _lookup_options(self)
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
