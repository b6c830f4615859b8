"""Sliding windows: ``unfold`` (im2col as a strided view) and its adjoint ``fold``.

``unfold(x)`` for ``x`` of shape ``(N, C, *S)`` gives ``(N, C, *O, *K)``: every window
of size ``K`` (with stride and dilation) as its own axes, without a copy. ``fold`` sums
such windows back into ``(N, C, *S)``, looping over the ``prod(K)`` kernel offsets (never
over output pixels), each a strided slice add. Convolution and pooling are unfold +
matmul/einsum/max in ``nn.functional``.
"""
import itertools

import numpy as np

from .registry import defprimitive
from .spec import Case

__all__ = ["unfold", "fold", "window_output_shape"]


def window_output_shape(spatial, kernel, stride, dilation):
    """Output size per spatial axis: (S - dilation*(K-1) - 1) // stride + 1."""
    out = []
    for s, k, st, d in zip(spatial, kernel, stride, dilation):
        n = (s - d * (k - 1) - 1) // st + 1
        if n <= 0:
            raise ValueError(
                f"unfold: window {k} (dilation {d}) does not fit in input size {s}; "
                "pad the input or use a smaller kernel")
        out.append(n)
    return tuple(out)


def _unfold_forward(x, kernel, stride, dilation):
    nsp = len(kernel)
    lead = x.shape[: x.ndim - nsp]
    spatial = x.shape[x.ndim - nsp:]
    out_sp = window_output_shape(spatial, kernel, stride, dilation)
    sp_strides = x.strides[x.ndim - nsp:]
    strides = (x.strides[: x.ndim - nsp]
               + tuple(s * st for s, st in zip(sp_strides, stride))
               + tuple(s * d for s, d in zip(sp_strides, dilation)))
    return np.lib.stride_tricks.as_strided(
        x, shape=lead + out_sp + tuple(kernel), strides=strides, writeable=False)


unfold = defprimitive(
    "unfold", _unfold_forward,
    vjps=(lambda g, out, x, kernel, stride, dilation:
          fold(g, shape=tuple(x.shape), kernel=kernel, stride=stride, dilation=dilation),),
    rules=("d unfold(x)/dx: fold, i.e. sum each window's gradient back into place",),
    cases=[Case(lambda x: unfold(x, kernel=(3, 3), stride=(1, 1), dilation=(1, 1)),
                (1, 2, 5, 5)),
           Case(lambda x: unfold(x, kernel=(2, 2), stride=(2, 1), dilation=(2, 1)),
                (2, 1, 6, 5)),
           Case(lambda x: unfold(x, kernel=(3,), stride=(2,), dilation=(1,)), (2, 1, 7))])


def _fold_forward(g, shape, kernel, stride, dilation):
    nsp = len(kernel)
    out = np.zeros(shape, dtype=g.dtype)
    out_sp = g.shape[g.ndim - 2 * nsp: g.ndim - nsp]
    lead = (slice(None),) * (len(shape) - nsp)
    for offset in itertools.product(*(range(k) for k in kernel)):
        dst = lead + tuple(slice(o * d, o * d + st * (n - 1) + 1, st)
                           for o, d, st, n in zip(offset, dilation, stride, out_sp))
        out[dst] += g[(Ellipsis,) + offset]
    return out


fold = defprimitive(
    "fold", _fold_forward,
    vjps=(lambda g, out, x, shape, kernel, stride, dilation:
          unfold(g, kernel=kernel, stride=stride, dilation=dilation),),
    rules=("d fold(g)/dg: unfold, i.e. read every window",),
    cases=[Case(lambda g: fold(g, shape=(1, 2, 5, 5), kernel=(3, 3), stride=(1, 1),
                               dilation=(1, 1)), (1, 2, 3, 3, 3, 3)),
           Case(lambda g: fold(g, shape=(1, 1, 7), kernel=(3,), stride=(2,), dilation=(1,)),
                (1, 1, 3, 3))])
