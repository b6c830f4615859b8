"""``Flatten`` and ``Unflatten``."""
import autograd as ag
from ..module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):  # noqa: A002
        return ag.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 12) -> (N, 3, 4)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):  # noqa: A002
        shape = input.shape
        dim = self.dim % len(shape)
        new = shape[:dim] + self.unflattened_size + shape[dim + 1:]
        return ag.reshape(input, new)  # (..., *unflattened_size, ...)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
