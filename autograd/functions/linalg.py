"""matmul (NumPy rules), dot and einsum (ellipsis and implicit output supported)."""
import string

import numpy as np

from .. import ops as P
from ..ops.registry import apply
from ..ops.registry import defcomposite, defpublic
from ..ops.spec import Fuzz
from ._common import as_tensor, binary

__all__ = ["matmul", "dot", "einsum"]


@defpublic(P.matmul, method=("matmul", "__matmul__", "__rmatmul__"),
           fuzz=Fuzz(np.matmul, args="matmul"))
def matmul(a, b):
    """Matrix product with NumPy's rules for 1-d, 2-d and batched operands."""
    a, b = (as_tensor(t) for t in binary(a, b))
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}; use * for scalars")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({k_a} != {k_b}); the last axis of the first must equal the "
                         "second-to-last of the second")
    return apply(P.matmul, (a, b), {})


@defcomposite(method=True, fuzz=Fuzz(np.matmul, args="matmul"))
def dot(a, b):
    return matmul(a, b)


def _normalize_subscripts(subscripts, shapes):
    """Explicit 'ab,bc->ac' form: ellipses replaced by letters, output made explicit."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, rhs = subscripts.split("->")
    else:
        lhs, rhs = subscripts, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand terms in {subscripts!r} but "
                         f"{len(shapes)} operands given")
    free = [c for c in string.ascii_letters if c not in subscripts]
    ell_rank = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            ell_rank = max(ell_rank, len(s) - (len(t) - 3))
    ell = "".join(free[:ell_rank])
    new_terms = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[ell_rank - k:] if k else "")
        if len(t) != len(s):
            raise ValueError(f"einsum: term {t!r} has {len(t)} letters but its operand "
                             f"has shape {s}")
        new_terms.append(t)
    _check_letter_sizes(new_terms, shapes)
    if rhs is None:
        letters = "".join(new_terms)
        rhs = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    else:
        rhs = rhs.replace("...", ell)
    return ",".join(new_terms) + "->" + rhs


def _check_letter_sizes(terms, shapes):
    """Every letter has one size across the operands (1 broadcasts, as in NumPy)."""
    seen = {}
    for k, (t, s) in enumerate(zip(terms, shapes)):
        for c, n in zip(t, s):
            j, m = seen.setdefault(c, (k, n))
            if m != n and 1 not in (m, n):
                raise ValueError(f"einsum: letter {c!r} has size {m} in operand {j} (shape "
                                 f"{shapes[j]}) but {n} in operand {k} (shape {s})")
            if m == 1:
                seen[c] = (k, n)


@defpublic(P.einsum, fuzz=Fuzz(np.einsum, args="einsum"))
def einsum(subscripts, *operands):
    """Einstein summation, as ``np.einsum`` (differentiable in every operand)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(as_tensor(o) for o in operands)
    spec = _normalize_subscripts(subscripts, [o.shape for o in operands])
    return apply(P.einsum, operands, {"subscripts": spec})
