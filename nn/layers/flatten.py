"""``Flatten`` and ``Unflatten``."""
import autograd as ag
from ..module import Module
from . import checks

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = checks.count("Flatten", "start_dim", start_dim, minimum=-(2 ** 62))
        self.end_dim = checks.count("Flatten", "end_dim", end_dim, minimum=-(2 ** 62))

    def forward(self, input):  # noqa: A002
        return ag.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 12) -> (N, 3, 4)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = checks.count("Unflatten", "dim", dim, minimum=-(2 ** 62))
        self.unflattened_size = tuple(
            checks.count("Unflatten", "unflattened_size", n, minimum=-1)
            for n in unflattened_size)
        if self.unflattened_size.count(-1) > 1:
            raise ValueError(f"Unflatten: only one size may be -1 (inferred), got "
                             f"{self.unflattened_size}")

    def forward(self, input):  # noqa: A002
        shape = input.shape
        dim = self.dim % len(shape)
        new = shape[:dim] + self.unflattened_size + shape[dim + 1:]
        return ag.reshape(input, new)  # (..., *unflattened_size, ...)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
