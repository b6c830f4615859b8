"""``CosineSimilarity`` and ``PairwiseDistance``: thin Modules over ``nn.functional``.

>>> import autograd as ag, nn
>>> nn.CosineSimilarity(dim=1)(ag.ones((2, 3)), ag.ones((2, 3)))
tensor([1., 1.])
"""
from .. import functional as F
from ..module import Module
from . import checks

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Σ x1 x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim``."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, checks.real("CosineSimilarity", "eps", eps, 0)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dimension."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        checks.real("PairwiseDistance", "p", p, 0)
        checks.real("PairwiseDistance", "eps", eps, 0)
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
