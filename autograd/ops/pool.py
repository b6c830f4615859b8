"""Max pooling: the window maximum and the routing of gradients to it.

``window_max(x)`` for ``x`` of shape ``(N, C, *S)`` is the maximum of every window
(kernel, stride, dilation as in ``unfold``), a running ``np.maximum`` over the prod(K)
strided slices of the window view: a few passes over the output, no copy of the
windows, no argmax. Its gradient goes to ONE element per window, PyTorch's choice: the
first maximum in row-major kernel order, or the last NaN if the window has one.

``window_route(a, x, m)`` moves values along that choice: it scatters ``a`` (shaped
like the output ``m``) to the chosen positions of an ``x``-shaped array (the VJP of
``window_max``), or with ``gather=True`` reads ``a`` (shaped like ``x``) at them (the
VJP of the scatter). The choice is a constant of ``x`` and ``m``: the route has no
gradient with respect to them, as PyTorch's max-pool indices have none.
"""
import itertools

import numpy as np

from .elementwise import where
from .registry import defprimitive
from .spec import Case
from .window import _unfold_forward, window_output_shape

__all__ = ["window_max", "window_route", "chosen_offsets"]


def _windows(x, kernel, stride, dilation, writeable=False):
    """The strided view ``(N, C, *O, *K)`` of every window of ``x`` (no copy): unfold's,
    writeable when asked (to scatter into)."""
    view = _unfold_forward(x, kernel, stride, dilation)
    if not writeable:
        return view
    return np.lib.stride_tricks.as_strided(x, shape=view.shape, strides=view.strides)


def _offsets(kernel):
    return [(Ellipsis,) + k for k in itertools.product(*(range(k) for k in kernel))]


def _window_max_forward(x, kernel, stride, dilation):
    win = _windows(x, kernel, stride, dilation)
    offsets = _offsets(kernel)
    out = win[offsets[0]].copy()                                     # (N, C, *O)
    for k in offsets[1:]:
        # np.maximum returns its SECOND operand for equal values (-0.0 vs 0.0), so the
        # earlier value goes second: the first of equal maxima is kept, as in PyTorch.
        np.maximum(win[k], out, out=out)
    return out


def _chosen(win, m, offsets):
    """One boolean mask per kernel offset: where that offset holds the window's chosen
    element (the first equal to the maximum ``m``; the last NaN in a NaN window)."""
    hits, taken = [], None
    for k in offsets:
        hit = win[k] == m
        if taken is None:
            taken = hit.copy()
        else:
            hit &= ~taken
            taken |= hit
        hits.append(hit)
    nan = np.isnan(m)
    if nan.any():
        later = np.zeros(m.shape, dtype=bool)
        for k, hit in zip(reversed(offsets), reversed(hits)):
            last = np.isnan(win[k]) & nan & ~later
            later |= last
            hit |= last
    return hits


def chosen_offsets(x, m, kernel, stride, dilation):
    """The row-major kernel offset of every window's chosen element (``(N, C, *O)``
    integers), for ``return_indices``: the element ``window_max``'s gradient goes to."""
    offsets = _offsets(kernel)
    hits = _chosen(_windows(x, kernel, stride, dilation), m, offsets)
    first = np.zeros(m.shape, dtype=np.intp)
    for k, hit in enumerate(hits):
        np.copyto(first, k, where=hit)
    return first


def _tiles(shape, kernel, stride, dilation):
    """True if the windows cover every input position exactly once."""
    spatial = shape[len(shape) - len(kernel):]
    out_sp = window_output_shape(spatial, kernel, stride, dilation)
    return all(d == 1 and s == k and o * s == n
               for n, k, s, d, o in zip(spatial, kernel, stride, dilation, out_sp))


def _disjoint(kernel, stride, dilation):
    """True if no two windows share an input position."""
    return all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _route_forward(a, x, m, kernel, stride, dilation, gather=False):
    offsets = _offsets(kernel)
    hits = _chosen(_windows(x, kernel, stride, dilation), m, offsets)
    if gather:                                          # a like x -> out like m
        src = _windows(a, kernel, stride, dilation)
        out = np.zeros(m.shape, dtype=a.dtype)
        for k, hit in zip(offsets, hits):
            np.copyto(out, src[k], where=hit)
        return out
    tiles = _tiles(x.shape, kernel, stride, dilation)   # a like m -> out like x
    out = (np.empty if tiles else np.zeros)(x.shape, dtype=a.dtype)
    dst = _windows(out, kernel, stride, dilation, writeable=True)
    disjoint = _disjoint(kernel, stride, dilation)
    for k, hit in zip(offsets, hits):
        if disjoint:       # every position is written by one window at most
            dst[k] = where(hit, a, 0)      # where's bit select: ~5x np.where's speed
        else:
            np.add(dst[k], a, out=dst[k], where=hit)
    return out


# gradcheck cases: well-separated inputs (one maximum per window) but one window of ties
# (the first gets it); window_route is linear in its first input, the element chosen is
# fixed by the constants x and m bound here
_CASE_X = np.random.default_rng(7).permutation(2 * 3 * 6 * 5).reshape(2, 3, 6, 5) * 0.37
_CASE_X[0, 0, :2, :2] = 1.0
_CASE_GEOMETRIES = [((2, 2), (2, 2), (1, 1)),             # windows tile the input
                    ((3, 2), (1, 2), (1, 1)),             # overlapping windows
                    ((2, 2), (3, 2), (2, 1))]             # dilated, with gaps


def _route_case(kernel, stride, dilation, gather):
    m = _window_max_forward(_CASE_X, kernel, stride, dilation)
    shape = _CASE_X.shape if gather else m.shape
    return Case(lambda a: window_route(a, _CASE_X, m, kernel=kernel, stride=stride,
                                       dilation=dilation, gather=gather), shape,
                label=f"k{kernel} s{stride} d{dilation} gather={gather}")


_route_cases = [_route_case(k, s, d, gather) for k, s, d in _CASE_GEOMETRIES
                for gather in (False, True)]


def _route_vjp(g, out, a, x, m, kernel, stride, dilation, gather=False):
    return window_route(g, x, m, kernel=kernel, stride=stride, dilation=dilation,
                        gather=not gather)


window_route = defprimitive(
    "window_route", _route_forward,
    vjps=(_route_vjp, lambda *args, **kw: None, lambda *args, **kw: None),
    rules=("d route(a)/da: route back the other way (scatter <-> gather)",
           "the choice of element is constant in x: no gradient",
           "the choice of element is constant in the maximum: no gradient"),
    cases=_route_cases)


def _window_max_vjp(g, out, x, kernel, stride, dilation):
    return window_route(g, x, out, kernel=kernel, stride=stride, dilation=dilation)


window_max = defprimitive(
    "window_max", _window_max_forward,
    vjps=(_window_max_vjp,),
    rules=("d max(window)/dx_i = 1 for the window's first maximum (last NaN), else 0",),
    cases=[Case(lambda x, k=k, s=s, d=d: window_max(x, kernel=k, stride=s, dilation=d),
                (2, 3, 6, 5), domain="distinct", label=f"k{k} s{s} d{d}")
           for k, s, d in _CASE_GEOMETRIES]
    + [Case(lambda x: window_max(x, kernel=(3,), stride=(2,), dilation=(1,)), (2, 2, 9),
            domain="distinct", label="1-d")])
