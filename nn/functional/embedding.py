"""``F.embedding``: rows of a weight matrix picked by integer indices (a getitem)."""
import numpy as np

import autograd as ag

__all__ = ["embedding", "one_hot"]


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
    arr[rows] = sub * scale[:, None].astype(arr.dtype)
    weight._version += 1


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
