"""Composite linear algebra: ``dot``. matmul and einsum are primitives, declared with
their public functions in ``ops/linalg.py``."""
import numpy as np

from .. import ops as P
from ..ops.registry import defcomposite
from ..ops.spec import Fuzz

__all__ = ["dot"]

matmul = P.matmul.public        # the primitive's public function, which dot is


@defcomposite(method=True, fuzz=Fuzz(np.matmul, args="matmul"))
def dot(a, b):
    return matmul(a, b)
