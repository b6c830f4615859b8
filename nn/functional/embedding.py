"""``F.embedding``: rows of a weight matrix picked by integer indices (a getitem);
``F.embedding_bag``: the sum, mean or max of bags of such rows."""
import numpy as np

import autograd as ag
from ..overwrite import overwrite_

__all__ = ["embedding", "embedding_bag", "one_hot"]


def index_array(x, name):
    """Integer indices as an int array. ``ag.tensor([1, 2])`` is float (Python lists
    become the default dtype), so whole-valued float arrays are accepted too."""
    arr = np.asarray(x.data if isinstance(x, ag.Tensor) else x)
    if arr.dtype.kind in "iu":
        return arr
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise TypeError(f"{name}: indices must be integers, got dtype {arr.dtype}; "
                    "use .astype(np.int64)")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """out[..., :] = weight[input[...], :] for integer ``input`` of any shape.

    ``padding_idx``: that row gets no gradient. ``max_norm``: looked-up rows whose
    ``norm_type``-norm exceeds it are rescaled in place first (as PyTorch does).
    ``scale_grad_by_freq``: each row's gradient is divided by its count in ``input``.
    """
    idx = index_array(input, "embedding")
    w = ag.as_tensor(weight)
    num = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"embedding: index out of range: indices must be in [0, {num}) "
                         f"for a weight of shape {w.shape}, got min {idx.min()} and max "
                         f"{idx.max()}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _renorm_rows(w, np.unique(idx), max_norm, norm_type)
    out = w[idx]                                                  # (*idx.shape, D)
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        freq = counts[inverse.reshape(idx.shape)].astype(out.dtype)[..., None]
        fixed = out.detach()
        out = fixed + (out - fixed) / freq   # same values; gradient divided by freq
    if padding_idx is not None:
        out = ag.where((idx == padding_idx)[..., None], out.detach(), out)
    return out


def _renorm_rows(weight, rows, max_norm, norm_type):
    arr = weight.data
    sub = arr[rows]
    norms = np.sum(np.abs(sub) ** norm_type, axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    scale = np.where(big, max_norm / (norms + 1e-7), 1.0)
    overwrite_(weight, sub * scale[:, None].astype(arr.dtype), index=rows)


def one_hot(tensor, num_classes=-1):
    """An int64 (..., num_classes) array-tensor with a 1 at each index (no gradient)."""
    idx = index_array(tensor, "one_hot")
    if num_classes < 0:
        if idx.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes}), got min "
                         f"{idx.min()} and max {idx.max()}")
    return ag.Tensor(np.eye(num_classes, dtype=np.int64)[idx])


def _bags(idx, offsets, include_last_offset):
    """(flat indices, bag id of each, number of bags) for a 2-d ``input`` (one bag per
    row) or a 1-d one cut at ``offsets``."""
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets has to be None if input is 2-d; each "
                             "row is a bag")
        return idx.reshape(-1), np.repeat(np.arange(idx.shape[0]), idx.shape[1]), idx.shape[0]
    if idx.ndim != 1 or offsets is None:
        raise ValueError(f"embedding_bag: expected a 2-d input (bags, size), or a 1-d "
                         f"input with 1-d offsets; got input of shape {idx.shape} and "
                         f"offsets {None if offsets is None else np.shape(offsets)}")
    starts = index_array(offsets, "embedding_bag").reshape(-1)
    if starts.size == 0 or starts[0] != 0:
        raise ValueError("embedding_bag: offsets[0] has to be 0 (the first bag starts at "
                         f"position 0), got {starts[:1].tolist()}")
    if (np.diff(starts) < 0).any() or starts[-1] > idx.size:
        raise ValueError(f"embedding_bag: offsets must be non-decreasing and at most the "
                         f"input length {idx.size}, got {starts.tolist()}")
    if include_last_offset:         # the last offset ends the last bag
        bounds, n = starts, starts.size - 1
    else:
        bounds, n = np.append(starts, idx.size), starts.size
    bag = np.repeat(np.arange(n), np.diff(bounds))
    return idx[:bounds[-1]], bag, n


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,  # noqa: A002
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """One vector per bag of indices: the ``mode`` 'sum', 'mean' or 'max' of their rows
    of ``weight`` (empty bags give zeros; ``padding_idx`` entries are left out).

    Bags are the rows of a 2-d ``input``, or a 1-d ``input`` cut at ``offsets`` (the
    start of each bag; with ``include_last_offset`` the last offset ends the last bag).
    ``per_sample_weights`` (mode 'sum' only) scales each looked-up row. Sum and mean are
    one matmul by a constant bag matrix; max gathers each bag's first maximum.
    """
    idx = index_array(input, "embedding_bag")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError(f"embedding_bag: per_sample_weights is only supported for "
                         f"mode='sum' (got mode={mode!r})")
    w = ag.as_tensor(weight)
    flat, bag, n_bags = _bags(idx, offsets, include_last_offset)
    keep = np.ones(flat.shape, dtype=bool)
    if padding_idx is not None:
        keep = flat != (padding_idx % w.shape[0] if padding_idx < 0 else padding_idx)
    rows = embedding(flat, w, None, max_norm, norm_type, scale_grad_by_freq)   # (L, D)
    if mode == "max":
        return _bag_max(w, rows, flat, bag, keep, n_bags)
    if per_sample_weights is not None:
        psw = ag.as_tensor(per_sample_weights)
        if psw.shape != idx.shape:
            raise ValueError(f"embedding_bag: per_sample_weights must have the input's "
                             f"shape {idx.shape}, got {psw.shape}")
        rows = rows * ag.unsqueeze(ag.reshape(psw, (-1,))[:flat.size], -1)    # (L, D)
    members = np.zeros((n_bags, flat.size), dtype=w.dtype)       # (bags, L)
    members[bag[keep], np.flatnonzero(keep)] = 1.0
    if mode == "mean":
        counts = members.sum(axis=1, keepdims=True)
        members = members / np.maximum(counts, 1)
    return ag.matmul(members, rows)                             # (bags, D)


def _bag_max(w, rows, flat, bag, keep, n_bags):
    """Each bag's elementwise max over its rows; the first maximum (in input order) is
    gathered, so it alone gets the gradient. Empty bags give zeros."""
    values = rows.data[keep]                                    # (K, D) kept rows
    where, bags = np.flatnonzero(keep), bag[keep]
    best = np.full((n_bags, w.shape[1]), -np.inf, dtype=values.dtype)
    np.maximum.at(best, bags, values)
    first = np.full(best.shape, flat.size, dtype=np.int64)      # position in ``flat``
    hits = values == best[bags]
    np.minimum.at(first, bags, np.where(hits, where[:, None], flat.size))
    filled = first < flat.size
    picked = rows[np.where(filled, first, 0), np.arange(w.shape[1])[None, :]]   # (bags, D)
    return ag.where(filled, picked, 0.0)
