"""Loss functions with PyTorch's names, arguments and reduction semantics.

Every loss takes ``reduction="mean" | "sum" | "none"``. Weighted class losses
(``nll_loss``, ``cross_entropy``) average by the sum of the weights of the
non-ignored targets, exactly like PyTorch:

    mean = sum_i w[y_i] l_i / sum_i w[y_i]      (i over targets != ignore_index)

>>> import numpy as np, autograd as ag, nn.functional as F
>>> logits = ag.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
>>> F.cross_entropy(logits, np.array([0, 1]), label_smoothing=0.1)
tensor(0.4773)
>>> F.binary_cross_entropy_with_logits(ag.tensor([0.0]), ag.tensor([1.0]),
...                                    pos_weight=ag.tensor([3.0]))      # 3 log 2
tensor(2.0794)
"""
import warnings

import numpy as np

import autograd as ag
from .embedding import index_array

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "kl_div",
           "multi_margin_loss", "soft_margin_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "cosine_embedding_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _t(x):
    return ag.as_tensor(x)


def _aux(value, like):
    """An auxiliary array argument (weights, a NumPy target) in the input's dtype, so a
    float64 NumPy weight does not upcast a float32 loss; Tensors are used as given."""
    if value is None or isinstance(value, ag.Tensor):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind in "fiub" and like.dtype.kind == "f":
        arr = arr.astype(like.dtype)
    return ag.Tensor(arr)


def _check_reduction(reduction, name):
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: {reduction!r} is not a valid value for reduction; "
            "use 'mean', 'sum' or 'none'")


def _reduce(loss, reduction, name):
    _check_reduction(reduction, name)
    if reduction == "mean":
        return ag.mean(loss)
    if reduction == "sum":
        return ag.sum(loss)
    return loss


def _legacy(size_average, reduce, reduction):
    """PyTorch's mapping of the deprecated size_average/reduce flags to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _weighted(loss, weight, reduction, name, mean_by_weight=True):
    """PyTorch's elementwise-weighted regression losses: w * l, and for 'mean'
    sum(w l) / sum(w) (mse, l1) or mean(w l) (huber)."""
    if weight is None:
        return _reduce(loss, reduction, name)
    w = _aux(weight, loss)
    if w.shape != loss.shape:
        raise ValueError(f"{name}: weights and input must have the same size, got "
                         f"{w.shape} and {loss.shape}")
    _check_reduction(reduction, name)
    loss = loss * w
    if reduction == "mean" and mean_by_weight:
        return ag.sum(loss) / ag.sum(w)
    return _reduce(loss, reduction, name)


def _pointwise_args(input, target, name):  # noqa: A002
    x = _t(input)
    y = _aux(target, x)
    if x.shape != y.shape:
        warnings.warn(
            f"{name}: using a target size {y.shape} that is different to the input size "
            f"{x.shape}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)
    return x, y


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
             weight=None):
    """(x - y)²; with an elementwise ``weight``, 'mean' is sum(w l) / sum(w)."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pointwise_args(input, target, "mse_loss")
    d = x - y
    return _weighted(d * d, weight, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
            weight=None):
    """|x - y|; with an elementwise ``weight``, 'mean' is sum(w l) / sum(w)."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pointwise_args(input, target, "l1_loss")
    return _weighted(ag.abs(x - y), weight, reduction, "l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """0.5 d² if |d| < delta else delta (|d| - 0.5 delta), d = x - y; with a
    ``weight``, 'mean' is mean(w l) (PyTorch's choice for this loss)."""
    x, y = _pointwise_args(input, target, "huber_loss")
    d = x - y
    ad = ag.abs(d)
    dq = ag.where(ad.data < delta, d, 0.0)     # square only where used (no overflow)
    loss = ag.where(ad.data < delta, 0.5 * dq * dq, delta * (ad - 0.5 * delta))
    return _weighted(loss, weight, reduction, "huber_loss", mean_by_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction="mean", beta=1.0):
    """0.5 d² / beta if |d| < beta else |d| - 0.5 beta (= l1 when beta = 0)."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pointwise_args(input, target, "smooth_l1_loss")
    d = x - y
    ad = ag.abs(d)
    if beta == 0:
        return _reduce(ad, reduction, "smooth_l1_loss")
    dq = ag.where(ad.data < beta, d, 0.0)      # square only where used (no overflow)
    loss = ag.where(ad.data < beta, 0.5 * dq * dq / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def _same_shape(x, y, name):
    if x.shape != y.shape:
        raise ValueError(
            f"{name}: using a target size ({y.shape}) that is different to the input size "
            f"({x.shape}) is deprecated. Please ensure they have the same size.")


def binary_cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100 like PyTorch."""
    reduction = _legacy(size_average, reduce, reduction)
    x = _t(input)
    y, weight = _aux(target, x), _aux(weight, x)
    _same_shape(x, y, "binary_cross_entropy")
    if not np.all((x.data >= 0) & (x.data <= 1)):     # NaN fails too, as in PyTorch
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            "(did you mean binary_cross_entropy_with_logits?)")
    # one node with PyTorch's backward: finite at p = 0 and 1 (autograd/ops/loss.py)
    loss = ag.ops.bce(x, y)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None,  # noqa: A002
                                     size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + BCE in one stable formula, with z the logits:

        l = (1 - y) z + softplus(-z),    times ``weight``;
        l = (1 - y) softplus(z) + pw y softplus(-z)    with ``pos_weight`` pw.
    """
    reduction = _legacy(size_average, reduce, reduction)
    z = _t(input)
    y, weight, pos_weight = _aux(target, z), _aux(weight, z), _aux(pos_weight, z)
    _same_shape(z, y, "binary_cross_entropy_with_logits")
    if pos_weight is not None:
        # (1 - y) softplus(z) + pw y softplus(-z): the same loss, written so that
        # d/dy = pw softplus(-z) - softplus(z) stays +-inf at z = -+inf as in PyTorch
        # (the form below would give inf - inf = NaN there when pw != 1)
        loss = (1.0 - y) * ag.softplus(z) + (pos_weight * y) * ag.softplus(-z)
    else:
        loss = (1.0 - y) * z + ag.softplus(-z)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C); (N, C) stays; (C,) -> (1, C)."""
    if x.ndim == 1:
        return ag.reshape(x, (1, x.shape[0]))
    if x.ndim == 2:
        return x
    x = ag.moveaxis(x, 1, -1)  # (N, d1, ..., C)
    return ag.reshape(x, (-1, x.shape[-1]))


def _all_below(t, n):
    """0 <= t < n everywhere, in one reduction (a compiled step replays it at every
    call): viewed as the unsigned integers of their width, negative values are larger
    than every non-negative one (two's complement), so only the maximum is needed;
    as long as ``n`` is at most the smallest of them, 2**(bits - 1)."""
    dtype = t.dtype
    if dtype.kind == "i":
        if n > 1 << (8 * dtype.itemsize - 1):
            return t.min() >= 0 and t.max() < n
        unsigned = _UNSIGNED.get(dtype)
        if unsigned is None:
            unsigned = _UNSIGNED[dtype] = np.dtype(dtype.str.replace("i", "u"))
        t = t.view(unsigned)
    return np.maximum.reduce(t, axis=None) < n      # t.max() without its Python layer


_UNSIGNED = {}      # a signed integer dtype -> the unsigned one of its width


def _check_targets(x, target, ignore_index, name):
    """Class-index targets as an int array ``t`` and the mask of those that count
    (``t != ignore_index``; None when every target counts), or a clear error."""
    try:
        t = index_array(target, name)
    except TypeError:
        raise TypeError(
            f"{name}: class-index targets must be integers, got non-integral values; "
            "use .astype(np.int64) (or pass class probabilities of the input's shape)"
        ) from None
    want = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if t.shape != want:
        raise ValueError(
            f"{name}: expected target of shape {want} for input of shape {x.shape} "
            f"(classes at dim {0 if x.ndim == 1 else 1}), got {t.shape}")
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    if t.size == 0 or _all_below(t, n_classes):
        if not 0 <= ignore_index < n_classes:
            return t, None      # all in range, none equal to an out-of-range ignore_index
        keep = t != ignore_index
        return t, None if keep.all() else keep
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(
            f"{name}: Target {t[bad].flat[0]} is out of bounds for {n_classes} classes")
    return t, keep          # the out-of-range targets are the ignored ones


def _nll(logp, t, keep, weight, reduction):
    """PyTorch's NLL of log-probabilities ``logp`` (classes at dim 1) for checked
    integer targets ``t``: l_i = -w[t_i] logp[i, t_i], 0 where ``keep`` (t's shape) is
    False; ``keep=None`` when every target counts. 'mean' is sum_i l_i / sum_i w[t_i]
    over the kept targets. One ``nll`` node (autograd/ops/loss.py) after the ignored
    rows are zeroed, so that no inf/NaN they hold can leak (0 * nan).
    """
    flat = _class_last(logp)                                   # (M, C)
    tf = t.reshape(-1)
    w = None
    if weight is not None:
        weight = _aux(weight, flat)
        if weight.requires_grad and ag.is_grad_enabled():
            raise ValueError("cross_entropy/nll_loss: class weights are constants (PyTorch "
                             "cannot differentiate them either); pass weight.detach()")
    if keep is not None:
        keep = keep.reshape(-1)
        flat = ag.where(keep[:, None], flat, 0.0)
        tf = np.where(keep, tf, 0)
        w = keep.astype(flat.dtype)
    if weight is not None:
        w = weight.data[tf] if w is None else weight.data[tf] * w
    if reduction == "none":
        loss = ag.ops.nll(flat, target=tf, weight=w)
        return loss if t.shape == loss.shape else ag.reshape(loss, t.shape)
    if reduction == "sum":
        total = flat.dtype.type(1)
    elif w is None:
        total = flat.dtype.type(tf.size)
    else:
        total = np.sum(w)
    if not total:   # every target ignored: NaN as in PyTorch, without a 0/0
        total = flat.dtype.type(np.nan)
    return ag.ops.nll(flat, target=tf, weight=w, total=total)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    """-w[y] x[y] for log-probabilities x (classes at dim 1); weighted mean by default."""
    reduction = _legacy(size_average, reduce, reduction)
    x = _t(input)
    _check_reduction(reduction, "nll_loss")
    t, keep = _check_targets(x, target, ignore_index, "nll_loss")
    return _nll(x, t, keep, weight, reduction)


def _class_view(weight, ndim):
    """A (C,) weight shaped to broadcast against classes at dim 1 of an ndim input."""
    w = _t(weight)
    if ndim == 1:
        return w
    return ag.reshape(w, (1, -1) + (1,) * (ndim - 2))  # (1, C, 1, ...)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """log_softmax over the classes (dim 1, or 0 for an unbatched input) + NLL.

    ``target`` is either class indices of shape (N, d1, ...) or class probabilities
    of the input's shape. With ``label_smoothing`` e and C classes:

        loss = (1 - e) nll + (e / C) sum_c w_c (-log p_c)
    """
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    x = _t(input)
    weight = _aux(weight, x)
    if x.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim]
    tdata = target.data if isinstance(target, ag.Tensor) else np.asarray(target)
    if tdata.dtype.kind == "f" and tdata.shape == x.shape:
        logp = ag.log_softmax(x, axis=class_dim)
        return _cross_entropy_probs(logp, _aux(target, x), weight, reduction, label_smoothing,
                                    class_dim)
    t, keep = _check_targets(x, tdata, ignore_index, "cross_entropy")
    if keep is not None:    # ignored rows may hold anything (inf/NaN padding): keep them out
        x = ag.where(np.expand_dims(keep, class_dim), x, 0.0)
    logp = ag.log_softmax(x, axis=class_dim)
    nll = _nll(logp, t, keep, weight, reduction)
    if label_smoothing == 0.0:
        return nll
    ignored = t == ignore_index
    if weight is not None:
        smooth = -ag.sum(logp * _class_view(weight, x.ndim), axis=class_dim)
    else:
        smooth = -ag.sum(logp, axis=class_dim)
    smooth = ag.where(ignored, 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            denom = ag.sum(_t(weight)[t[~ignored]])
        else:
            denom = float((~ignored).sum())
        smooth = ag.sum(smooth) / denom
    elif reduction == "sum":
        smooth = ag.sum(smooth)
    return (1.0 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    if target.shape != logp.shape:
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape {logp.shape}, "
            f"got {target.shape}")
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_view(weight, logp.ndim)
    if reduction == "none":
        return -ag.sum(prod, axis=class_dim)
    total = -ag.sum(prod)
    if reduction == "sum":
        return total
    return total / (logp.size / n_classes)


def _xlogy(x):
    """x log x with 0 log 0 = 0 (and no nan in the gradient)."""
    pos = x.data > 0
    return ag.where(pos, x * ag.log(ag.where(pos, x, 1.0)), 0.0)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False):
    """KL(target || exp(input)) pointwise: y (log y - x), or e^y (y - x) if ``log_target``.

    ``reduction='batchmean'`` divides the sum by the batch size (the true KL);
    ``'mean'`` divides by the number of elements, as PyTorch does.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction)
    x = _t(input)
    y = _aux(target, x)
    if log_target:
        loss = ag.exp(y) * (y - x)
    else:
        loss = _xlogy(y) - y * x
    if reduction == "batchmean":
        total = ag.sum(loss)
        return total / x.shape[0] if x.ndim > 0 else total
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch "
                      "size and the support size; 'batchmean' gives the true KL "
                      "divergence.", stacklevel=2)
    return _reduce(loss, reduction, "kl_div")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None,  # noqa: A002
                      size_average=None, reduce=None, reduction="mean"):
    """The multiclass hinge: for each sample with class y,

        l = sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C.
    """
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    x = _t(input)
    if x.ndim not in (1, 2):
        raise ValueError(f"multi_margin_loss: expected a 1-d or 2-d input, got {x.shape}")
    x2 = ag.reshape(x, (1, -1)) if x.ndim == 1 else x          # (N, C)
    t = index_array(target, "multi_margin_loss").reshape(-1)
    n, c = x2.shape
    if t.shape != (n,):
        raise ValueError(f"multi_margin_loss: expected {n} integer targets, got "
                         f"{t.shape} of {t.dtype}")
    if ((t < 0) | (t >= c)).any():
        raise IndexError(f"multi_margin_loss: target out of bounds for {c} classes")
    rows = np.arange(n)
    x_target = ag.reshape(x2[rows, t], (n, 1))                 # (N, 1)
    z = ag.relu(margin - x_target + x2)                        # (N, C)
    h = z if p == 1 else z * z
    if weight is not None:
        h = h * ag.reshape(_aux(weight, x)[t], (n, 1))
    not_target = np.ones((n, c), dtype=x.dtype)
    not_target[rows, t] = 0
    loss = ag.sum(h * not_target, axis=1) / c                  # (N,)
    if x.ndim == 1:
        loss = ag.reshape(loss, ())
    return _reduce(loss, reduction, "multi_margin_loss")


def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction="mean"):
    """log(1 + exp(-y x)) for labels y in {-1, 1}."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pointwise_args(input, target, "soft_margin_loss")
    return _reduce(ag.softplus(-y * x), reduction, "soft_margin_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = ag.relu(-_t(target) * (_t(input1) - _t(input2)) + margin)
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(input, target, margin=1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _t(input), _t(target)
    loss = ag.where(y.data == 1, x, 0.0) + ag.where(y.data == -1, ag.relu(margin - x), 0.0)
    return _reduce(loss, reduction, "hinge_embedding_loss")


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None,  # noqa: A002
                     eps=1e-8, reduce=None, reduction="mean"):
    """exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's term."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _t(input), _t(target)
    if log_input:
        loss = ag.exp(x) - y * x
    else:
        loss = x - y * ag.log(x + eps)
    if full:
        yd = y.data
        stirling = np.where(yd > 1, yd * np.log(np.where(yd > 1, yd, 1)) - yd
                            + 0.5 * np.log(2 * np.pi * np.where(yd > 1, yd, 1)), 0)
        loss = loss + stirling.astype(x.dtype)
    return _reduce(loss, reduction, "poisson_nll_loss")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6,  # noqa: A002
                      reduction="mean"):
    """0.5 (log(max(var, eps)) + (x - y)² / max(var, eps)) (+ 0.5 log 2pi if ``full``)."""
    x, y, v = _t(input), _t(target), _t(var)
    if v.ndim == x.ndim - 1 or (v.ndim == x.ndim and v.shape[-1] == 1 != x.shape[-1]):
        v = ag.reshape(v, x.shape[:-1] + (1,)) if v.ndim == x.ndim - 1 else v
    v = ag.where(v.data < eps, ag.clip(v.detach(), eps, None), v)
    loss = 0.5 * (ag.log(v) + (x - y) * (x - y) / v)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return _reduce(loss, reduction, "gaussian_nll_loss")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None,
                          reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = _legacy(size_average, reduce, reduction)
    a, b, y = _t(input1), _t(input2), _t(target)
    eps = 1e-12
    cos = ag.sum(a * b, axis=-1) / ag.sqrt((ag.sum(a * a, axis=-1) + eps)
                                           * (ag.sum(b * b, axis=-1) + eps))
    loss = ag.where(y.data == 1, 1.0 - cos, 0.0) + ag.where(
        y.data == -1, ag.relu(cos - margin), 0.0)
    return _reduce(loss, reduction, "cosine_embedding_loss")
