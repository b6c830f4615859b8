"""Linear algebra primitives: matmul (NumPy rules: 1-d, 2-d, batched), linear
(x Wᵀ + b fused; internal, ``nn.functional.linear`` is its public form) and einsum
(ellipsis and implicit output supported). matmul's and einsum's blocks start with
their public function, which checks the operands.

For ``C = A @ B``: ``dA = G @ Bᵀ`` and ``dB = Aᵀ @ G``; 1-d operands are treated as a
row (left) or a column (right) and the batch axes are unbroadcast by the engine.
"""
import math
import string

import numpy as np

from ..tensor import Tensor
from .coerce import NO_PARAMS, as_tensor, binary
from .elementwise import mul
from .reduce import sum as _sum
from .registry import apply, defprimitive
from .spec import Case, Fuzz
from .shape import broadcast_to, reshape, transpose

__all__ = ["matmul", "linear", "einsum"]


def _matmul_public(a, b):
    """Matrix product with NumPy's rules for 1-d, 2-d and batched operands."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):  # (an RNN's h @ W.T: both)
        a, b = binary(a, b)
        a, b = as_tensor(a), as_tensor(b)
    sa, sb = a.data.shape, b.data.shape
    if not sa or not sb:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}; use * for scalars")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({k_a} != {k_b}); the last axis of the first must equal the "
                         "second-to-last of the second")
    return apply(matmul, (a, b), NO_PARAMS)


def _mT(x):
    """Swap the last two axes."""
    nd = len(x.shape)
    axes = (1, 0) if nd == 2 else tuple(range(nd - 2)) + (nd - 1, nd - 2)
    if type(x) is np.ndarray:       # transpose's forward, without the primitive's dispatch
        return x.transpose(axes)
    return transpose(x, axes=axes)


def _matmul(a, b):
    """``matmul(a, b)`` in a VJP: NumPy's own call when both are plain arrays (the plain
    backward; an RNN's step runs three of these per ``h @ W.T``), the primitive
    otherwise (Tensors under ``create_graph``, a compiled function's traced arrays)."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return np.matmul(a, b)
    return matmul(a, b)


def _col(x):
    """Append a trailing axis of length 1."""
    return reshape(x, shape=tuple(x.shape) + (1,))


def _matmul_vjp_a(g, out, a, b):
    if len(b.shape) == 1:            # out[...] = sum_k a[..., k] b[k]
        return _col(g) * b
    if len(a.shape) == 1:            # out[..., m] = sum_k a[k] b[..., k, m]
        prod = matmul(b, _col(g))    # (..., k, 1)
        return reshape(prod, shape=tuple(prod.shape[:-1]))
    return _matmul(g, _mT(b))        # (..., n, k)


def _column_major(x):
    """True for a 2-d operand stored transposed (such as ``W.T`` of a row-major W)."""
    arr = x.data if isinstance(x, Tensor) else x
    return arr.ndim == 2 and arr.flags.f_contiguous and not arr.flags.c_contiguous


def _matmul_vjp_b(g, out, a, b):
    if len(a.shape) > 2 and len(b.shape) == 2:
        # A batch of rows times one matrix (x @ W.T with x of shape (T, B, D)): the
        # gradient is one product of the rows stacked, (T·B, D)ᵀ (T·B, M), as PyTorch
        # folds it, instead of T products of (D, M) that the walk then sums (W6m's
        # input projection: a 3.2 MB temporary per step).
        rows = math.prod(a.shape[:-1])
        a, g = reshape(a, shape=(rows, a.shape[-1])), reshape(g, shape=(rows, g.shape[-1]))
    if len(a.shape) == 2 and _column_major(b):
        # (Gᵀ A)ᵀ equals Aᵀ G and is laid out like b: for x @ W.T the gradient reaching
        # W is then row-major like W, not a transposed copy (cheaper to update, adopt).
        return _mT(_matmul(_mT(g), a))
    if len(a.shape) == 1:
        if len(b.shape) == 1:
            return g * a
        return mul(_col(a), reshape(g, shape=tuple(g.shape[:-1]) + (1, g.shape[-1])))
    if len(b.shape) == 1:            # out[..., n] = sum_k a[..., n, k] b[k]
        prod = matmul(_mT(a), _col(g))
        return reshape(prod, shape=tuple(prod.shape[:-1]))
    return _matmul(_mT(a), g)        # (..., k, m)


matmul = defprimitive(
    "matmul", np.matmul,
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
    rules=("d(A@B)/dA: G @ Bᵀ", "d(A@B)/dB: Aᵀ @ G"),
    public=_matmul_public, method=("matmul", "__matmul__", "__rmatmul__"),
    fuzz=Fuzz(np.matmul, args="matmul"),
    cases=[Case(lambda a, b: matmul(a, b), *shapes, label=label) for *shapes, label in [
        ((2, 3), (3, 4), ""), ((3,), (3, 4), ""), ((2, 3), (3,), ""), ((3,), (3,), ""),
        ((2, 2, 3), (3, 4), ""), ((3,), (2, 3, 2), ""),
        ((2, 1, 2, 3), (3, 3, 2), "batch bcast")]])


def _linear_forward(x, w, b=None):
    """y = x Wᵀ + b for x (..., in), W (out, in), b (out,) -> y (..., out).

    A primitive, not ``matmul(x, transpose(W)) + b``, for speed: it is one graph node
    instead of three per layer (PyTorch's ``addmm`` fuses the same way), and the bias is
    added into the product's buffer instead of a second (..., out) array.
    """
    y = np.matmul(x, w.T)
    if b is not None:
        if b.dtype == y.dtype and b.shape == y.shape[-1:]:
            y += b           # the product is a fresh array: add in place
        else:
            y = y + b        # other shapes or dtypes: NumPy's broadcasting and promotion
    return y


def _rows(a):
    """An operand's leading axes flattened: (..., n) -> (m, n); 2-d stays as it is."""
    shape = tuple(a.shape)
    return a if len(shape) == 2 else reshape(a, shape=(math.prod(shape[:-1]), shape[-1]))


# Each VJP below calls NumPy itself for the usual plain backward (arrays, a batch of
# rows): the same calls, in the same order, that the general form makes through the
# primitives, without their dispatch (one Python call and a kwargs dict each; a few µs
# of an MLP's backward). Tensors (create_graph) take the general form.

def _linear_vjp_x(g, out, x, w, b=None):
    if isinstance(g, np.ndarray) and isinstance(w, np.ndarray):
        return np.matmul(g, w)
    return matmul(g, w)                                    # (..., out) @ (out, in)


def _linear_vjp_w(g, out, x, w, b=None):
    if isinstance(g, np.ndarray) and isinstance(x, np.ndarray) and g.ndim == 2 and \
            x.ndim == 2:
        return np.matmul(g.transpose((1, 0)), x)
    if len(x.shape) == 1:                                  # y_o = Σ_i W_oi x_i
        return _col(g) * x
    return matmul(transpose(_rows(g), axes=(1, 0)), _rows(x))   # Gᵀ x: (out, in), row-major


def _linear_vjp_b(g, out, x, w, b=None):
    if len(g.shape) == 1:
        return g
    if isinstance(g, np.ndarray) and g.ndim == 2:
        return np.add.reduce(g, axis=(0,), keepdims=False)
    return _sum(g, axis=tuple(range(len(g.shape) - 1)))   # the engine fits other shapes


linear = defprimitive(
    "linear", _linear_forward,
    vjps=(_linear_vjp_x, _linear_vjp_w, _linear_vjp_b),
    rules=("d(xWᵀ+b)/dx: G @ W", "d(xWᵀ+b)/dW: Gᵀ @ x (batch rows summed)",
           "d(xWᵀ+b)/db: G summed over the batch axes"),
    cases=[Case(lambda x, w, b: linear(x, w, b), (2, 3), (4, 3), (4,)),
           Case(lambda x, w: linear(x, w), (2, 3), (4, 3), label="no bias"),
           Case(lambda x, w, b: linear(x, w, b), (3,), (2, 3), (2,), label="1-d input"),
           Case(lambda x, w, b: linear(x, w, b), (2, 2, 3), (4, 3), (4,),
                label="batch axes"),
           Case(lambda x, w, b: linear(x, w, b), (2, 3), (4, 3), (1,),
                label="broadcast bias"),
           Case(lambda x, w, b: linear(x, w.T, b), (2, 3), (3, 4), (4,),
                label="column-major weight")])


def _einsum_public(subscripts, *operands):
    """Einstein summation, as ``np.einsum`` (differentiable in every operand)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(as_tensor(o) for o in operands)
    spec = _normalize_subscripts(subscripts, [o.shape for o in operands])
    return apply(einsum, operands, {"subscripts": spec})


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


def _einsum_forward(*operands, subscripts):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i, g, out, operands, subscripts):
    """Gradient for operand i: contract g with the other operands onto i's letters.

    Letters of operand i that appear nowhere else were summed away, so the result is
    broadcast along them; a letter repeated in operand i (a diagonal) is restored by
    contracting with an identity matrix.
    """
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    target = terms[i]
    others = [t for j, t in enumerate(terms) if j != i]
    other_ops = [op for j, op in enumerate(operands) if j != i]
    available = set(output).union(*others) if others else set(output)
    sizes = dict(zip(target, operands[i].shape))

    unique = "".join(dict.fromkeys(target))
    kept = "".join(c for c in unique if c in available)
    spec = ",".join([output] + others) + "->" + kept
    grad = einsum(g, *other_ops, subscripts=spec)
    if kept != unique:   # broadcast along letters that were only summed in operand i
        shape = tuple(sizes[c] if c in kept else 1 for c in unique)
        grad = broadcast_to(reshape(grad, shape=shape), shape=tuple(sizes[c] for c in unique))
    if unique == target:
        return grad
    # Repeated letters: rename each repeat and tie it to its first letter with eye().
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if c not in subscripts]
    renamed, eyes, eye_terms, seen = [], [], [], set()
    for c in target:
        if c in seen:
            new = free.pop(0)
            renamed.append(new)
            eyes.append(np.eye(sizes[c], dtype=operands[i].dtype))
            eye_terms.append(c + new)
        else:
            seen.add(c)
            renamed.append(c)
    spec = ",".join([unique] + eye_terms) + "->" + "".join(renamed)
    return einsum(grad, *eyes, subscripts=spec)


einsum = defprimitive(
    "einsum", _einsum_forward,
    vjps=(_einsum_vjp,),
    rules=("d einsum/d operand: einsum of the gradient with the other operands",),
    variadic=True,
    public=_einsum_public, fuzz=Fuzz(np.einsum, args="einsum"),
    cases=[Case(lambda a, b: einsum(a, b, subscripts="ij,jk->ik"), (2, 3), (3, 2)),
           Case(lambda a: einsum(a, subscripts="ii->i"), (3, 3), label="diagonal"),
           Case(lambda a: einsum(a, subscripts="ij->"), (2, 3)),
           Case(lambda a, b: einsum(a, b, subscripts="bij,bjk->bik"), (2, 2, 3), (2, 3, 2)),
           Case(lambda a, b: einsum(a, b, subscripts="ij,j->i"), (2, 3), (3,)),
           Case(lambda a, b: einsum(a, b, subscripts="ik,j->ij"), (2, 3), (4,),
                label="letter summed in one operand only")])
