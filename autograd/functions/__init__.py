"""The composite ops, and the namespace of every public array function by name.

A primitive's block in ``autograd/ops/*`` (``defprimitive``) holds its public function;
the composite ops, built from those public functions with no VJP of their own, are
declared in the modules here (``defcomposite``): elementwise in ``math``, reductions,
shaping and indexing, linear algebra. Both land in ``ops.registry.PUBLIC``, which is
what this namespace (and ``ag``'s) holds.
"""
from ..ops.coerce import as_tensor  # noqa: F401
from ..ops.registry import PUBLIC
from . import linalg, math, reductions, shaping  # noqa: F401  (their declarations run)
from .linalg import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shaping import *  # noqa: F401,F403

globals().update(PUBLIC)
__all__ = sorted(set(PUBLIC) | set(linalg.__all__) | set(reductions.__all__)
                 | set(shaping.__all__))


def __getattr__(name):
    """The public function of an op declared after import (see ``autograd.__getattr__``)."""
    try:
        return PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
