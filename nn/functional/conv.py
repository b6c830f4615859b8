"""Convolutions composed of autograd ops: pad -> unfold (a strided view) -> matmul.

For an input ``x`` of shape ``(N, C, H, W)`` and a weight ``w`` of shape
``(O, C/G, KH, KW)`` (``G`` groups), the output is

    y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q]
                           * x_pad[n, g(o)*C/G + c, i*sh + p*dh, j*sw + q*dw]

``ag.ops.unfold`` exposes every window as extra axes without copying, one reshape
copies the windows into ``(N, G, C/G*KH*KW, OH*OW)`` matrices (im2col, one per image
and group), and one batched matmul ``W (G, O/G, C/G*K) @ cols`` does all the
multiply-adds. That layout gives the output as (N, O, OH*OW), already contiguous in
PyTorch's (N, O, OH, OW) order (the next ReLU and pooling read it without copies),
and im2col + matmuls (forward and backward) take 1.2-1.6x less time than with
``(N*OH*OW, C*K) @ (C*K, O)`` on LeNet's layers, whose thin output BLAS handles
badly (never more on the wider layers measured, up to 128 channels). The gradient
needs no code here: matmul's VJP gives ``dW`` and ``dcols``, and unfold's VJP
(``fold``) sums ``dcols`` back into the image, reading one contiguous
(N, C, OH, OW) block per kernel offset.

>>> import autograd as ag, nn.functional as F
>>> x = ag.randn(2, 3, 8, 8)
>>> w = ag.randn(4, 3, 3, 3)
>>> F.conv2d(x, w, padding="same").shape
(2, 4, 8, 8)
"""
import numbers

import autograd as ag

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


# the smallest value each window/convolution argument may take (PyTorch's rules)
MINIMUM = {"kernel_size": 1, "stride": 1, "dilation": 1, "padding": 0,
           "output_padding": 0, "output_size": 1}


def ntuple(value, n, what, opname):
    """An int or a length-``n`` sequence of ints -> a tuple of ``n`` ints, each at least
    ``MINIMUM[what]`` (a zero stride or a negative padding fails here, naming the op and
    the argument, not as a ZeroDivisionError deep in the forward)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = None
        if items is None or not all(isinstance(v, numbers.Integral)
                                    and not isinstance(v, bool) for v in items):
            raise TypeError(f"{opname}: {what} must be an int or a tuple of {n} ints, got "
                            f"{value!r}")
        value = tuple(int(v) for v in items)
        if len(value) == 1:
            value = value * n
        if len(value) != n:
            raise ValueError(f"{opname}: {what} must be an int or {n} ints, got {value}")
    low = MINIMUM.get(what)
    if low is not None and any(v < low for v in value):
        kind = "positive" if low == 1 else "non-negative"
        raise ValueError(f"{opname}: {what} must be {kind} (at least {low}), got {value}")
    return value


def _check_input(x, weight, nsp, opname, transposed=False):
    if x.ndim != nsp + 2:
        raise ValueError(f"{opname}: expected a {nsp + 2}-d input (N, C, *spatial), got "
                         f"shape {x.shape}; add a batch axis with x.unsqueeze(0)")
    if weight.ndim != nsp + 2:
        layout = "(C_in, C_out/groups, *kernel)" if transposed else "(C_out, C_in/groups, *kernel)"
        raise ValueError(f"{opname}: expected a {nsp + 2}-d weight {layout}, got shape "
                         f"{weight.shape}")


def _same_padding(kernel, dilation, stride, opname):
    """PyTorch's padding="same": total d*(k-1), the odd element goes to the end."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{opname}: padding='same' is not supported for strided "
                         f"convolutions (stride {stride}); give the padding explicitly")
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _padding_pairs(padding, kernel, dilation, stride, nsp, opname):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nsp
        if padding == "same":
            return _same_padding(kernel, dilation, stride, opname)
        raise ValueError(f"{opname}: padding must be an int, a tuple, 'same' or 'valid', "
                         f"got {padding!r}")
    return tuple((p, p) for p in ntuple(padding, nsp, "padding", opname))


def _convnd(x, weight, bias, stride, padding, dilation, groups, nsp, opname):
    x, weight = ag.as_tensor(x), ag.as_tensor(weight)
    if x.ndim == nsp + 1:   # unbatched (C, *S), as PyTorch allows
        return _convnd(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups,
                       nsp, opname)[0]
    _check_input(x, weight, nsp, opname)
    source = x.name         # names the input's windows in graph pictures (see below)
    n, c = x.shape[:2]
    o, cg = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, nsp, "stride", opname)
    dilation = ntuple(dilation, nsp, "dilation", opname)
    g = int(groups)
    if g < 1 or c % g or o % g or cg != c // g:
        raise ValueError(f"{opname}: input {x.shape} with {c} channels, weight {weight.shape} "
                         f"and groups={groups} do not fit: need C_in = groups * "
                         "weight.shape[1] and C_out divisible by groups")
    pads = _padding_pairs(padding, kernel, dilation, stride, nsp, opname)
    if any(p for pair in pads for p in pair):
        x = ag.pad(x, ((0, 0), (0, 0)) + pads)                      # (N, C, *S_pad)
    cols = ag.ops.unfold(x, kernel=kernel, stride=stride, dilation=dilation)
    out_sp = tuple(cols.shape[2:2 + nsp])                             # (N, C, *O, *K)
    npix = 1
    for s in out_sp:
        npix *= s
    kk = cg
    for k in kernel:
        kk *= k
    og = o // g
    cols = cols.reshape((n, g, cg) + out_sp + kernel)                 # (N, G, C/G, *O, *K)
    perm = (0, 1, 2) + tuple(range(3 + nsp, 3 + 2 * nsp)) + tuple(range(3, 3 + nsp))
    cols = cols.transpose(perm)                                       # (N, G, C/G, *K, *O)
    cols = cols.reshape(n, g, kk, npix)                               # (N, G, C/G*K, P) copy
    if source and not cols.requires_grad:    # a constant in the graph: say whose windows
        cols.name = f"{source} (windows)"
    w = weight.reshape(g, og, kk)                                     # (G, O/G, C/G*K)
    y = (w @ cols).reshape((n, o) + out_sp)                           # (N, O, *O_sp)
    if bias is not None:
        y = y + ag.as_tensor(bias).reshape((1, o) + (1,) * nsp)      # (1, O, 1, ...)
    return y


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of ``x`` (N, C_in, L) with ``weight``
    (C_out, C_in/groups, K): ``L_out = (L + 2p - d(K-1) - 1) // s + 1``."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) as in PyTorch.

    ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in/groups, KH, KW), ``bias`` (C_out,);
    ``padding`` is an int, a pair, ``"valid"`` or ``"same"`` (stride 1 only);
    ``groups=C_in`` with ``C_out = m*C_in`` is a depthwise convolution.
    ``H_out = (H + 2p - d(KH-1) - 1) // s + 1``.
    """
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of ``x`` (N, C_in, D, H, W) with ``weight``
    (C_out, C_in/groups, KD, KH, KW); same rules as ``conv2d``."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(x, weight, bias, stride, padding, output_padding, groups, dilation,
                      nsp, opname):
    x, weight = ag.as_tensor(x), ag.as_tensor(weight)
    if x.ndim == nsp + 1:   # unbatched (C, *S)
        return _conv_transposend(x.unsqueeze(0), weight, bias, stride, padding,
                                 output_padding, groups, dilation, nsp, opname)[0]
    _check_input(x, weight, nsp, opname, transposed=True)
    n, c = x.shape[:2]
    spatial = tuple(x.shape[2:])
    g = int(groups)
    if g < 1 or weight.shape[0] != c or c % g:
        raise ValueError(f"{opname}: input {x.shape} and weight {weight.shape} with "
                         f"groups={groups} do not fit: the weight is (C_in, C_out/groups, "
                         "*kernel) with C_in equal to the input's channels")
    cg, og = c // g, weight.shape[1]
    kernel = tuple(weight.shape[2:])
    stride = ntuple(stride, nsp, "stride", opname)
    padding = ntuple(padding, nsp, "padding", opname)
    out_pad = ntuple(output_padding, nsp, "output_padding", opname)
    dilation = ntuple(dilation, nsp, "dilation", opname)
    for op, s, d in zip(out_pad, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"{opname}: output_padding {out_pad} must be smaller than "
                             f"stride {stride} or dilation {dilation}")
    npix = 1
    for s in spatial:
        npix *= s
    kk = og
    for k in kernel:
        kk *= k
    # Each input pixel scatters weight * value over a window of the output: the adjoint
    # of conv's unfold+matmul, i.e. a matmul followed by fold (sum windows into place).
    xs = x.reshape((n, g, cg) + spatial)                              # (N, G, C/G, *S)
    xs = xs.transpose((1, 0) + tuple(range(3, 3 + nsp)) + (2,))       # (G, N, *S, C/G)
    xs = xs.reshape(g, n * npix, cg)                                  # (G, N*P, C/G)
    w = weight.reshape(g, cg, kk)                                     # (G, C/G, O/G*K)
    cols = (xs @ w).reshape((g, n) + spatial + (og,) + kernel)        # (G, N, *S, O/G, *K)
    perm = (1, 0, 2 + nsp) + tuple(range(2, 2 + nsp)) + tuple(range(3 + nsp, 3 + 2 * nsp))
    cols = cols.transpose(perm)                                       # (N, G, O/G, *S, *K)
    cols = cols.reshape((n, g * og) + spatial + kernel)               # (N, O, *S, *K)
    full = tuple((s - 1) * st + d * (k - 1) + 1
                 for s, st, d, k in zip(spatial, stride, dilation, kernel))
    y = ag.ops.fold(cols, shape=(n, g * og) + full, kernel=kernel, stride=stride,
                    dilation=dilation)                                # (N, O, *full)
    if any(out_pad):
        y = ag.pad(y, ((0, 0), (0, 0)) + tuple((0, op) for op in out_pad))
    out_sp = tuple(f - 2 * p + op for f, p, op in zip(full, padding, out_pad))
    if any(s <= 0 for s in out_sp):
        raise ValueError(f"{opname}: padding {padding} removes the whole output "
                         f"(size before cropping {full})")
    if any(padding):
        y = y[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in
                                                 zip(padding, out_sp))]
    if bias is not None:
        y = y + ag.as_tensor(bias).reshape((1, g * og) + (1,) * nsp)  # (1, O, 1, ...)
    return y


def conv_transpose1d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-d transposed convolution (the gradient of conv1d with respect to its input)."""
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1, "conv_transpose1d")


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-d transposed convolution as in PyTorch (argument order included).

    ``weight`` is (C_in, C_out/groups, KH, KW); the output size is
    ``H_out = (H - 1)*s - 2p + d(KH - 1) + output_padding + 1``. It is the adjoint of
    conv2d: every input pixel adds ``x * w`` over a (dilated) window of the output.
    """
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


def conv_transpose3d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-d transposed convolution: ``weight`` (C_in, C_out/groups, KD, KH, KW)."""
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups,
                             dilation, 3, "conv_transpose3d")


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.unfold`` (im2col): (N, C, H, W) -> (N, C*KH*KW, L), one column per
    window position, ``L = OH*OW``; rows ordered (c, kh, kw)."""
    x = ag.as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    kernel = ntuple(kernel_size, 2, "kernel_size", "unfold")
    dilation = ntuple(dilation, 2, "dilation", "unfold")
    stride = ntuple(stride, 2, "stride", "unfold")
    pad = ntuple(padding, 2, "padding", "unfold")
    n, c = x.shape[:2]
    if any(pad):
        x = ag.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    cols = ag.ops.unfold(x, kernel=kernel, stride=stride, dilation=dilation)
    oh, ow = cols.shape[2:4]                                          # (N, C, OH, OW, KH, KW)
    cols = cols.transpose(0, 1, 4, 5, 2, 3)                           # (N, C, KH, KW, OH, OW)
    return cols.reshape(n, c * kernel[0] * kernel[1], oh * ow)        # (N, C*K, L)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's ``F.fold`` (col2im), the adjoint of ``unfold``: (N, C*KH*KW, L) ->
    (N, C, H, W), summing overlapping windows."""
    x = ag.as_tensor(x)
    kernel = ntuple(kernel_size, 2, "kernel_size", "fold")
    dilation = ntuple(dilation, 2, "dilation", "fold")
    stride = ntuple(stride, 2, "stride", "fold")
    pad = ntuple(padding, 2, "padding", "fold")
    size = ntuple(output_size, 2, "output_size", "fold")
    kk = kernel[0] * kernel[1]
    padded = (size[0] + 2 * pad[0], size[1] + 2 * pad[1])
    oh, ow = (ag.ops.window_output_shape(padded, kernel, stride, dilation))
    if x.ndim != 3 or x.shape[1] % kk or x.shape[2] != oh * ow:
        raise ValueError(f"fold: expected input (N, C*{kk}, {oh * ow}) for output_size "
                         f"{size}, kernel {kernel}, got shape {x.shape}")
    n, c = x.shape[0], x.shape[1] // kk
    cols = x.reshape(n, c, kernel[0], kernel[1], oh, ow)              # (N, C, KH, KW, OH, OW)
    cols = cols.transpose(0, 1, 4, 5, 2, 3)                           # (N, C, OH, OW, KH, KW)
    y = ag.ops.fold(cols, shape=(n, c) + padded, kernel=kernel, stride=stride,
                    dilation=dilation)                                # (N, C, H_pad, W_pad)
    if any(pad):
        y = y[:, :, pad[0]:pad[0] + size[0], pad[1]:pad[1] + size[1]]  # (N, C, H, W)
    return y
