"""Gradcheck cases for the max-pool primitives (autograd/ops/pool.py).

``window_max`` takes well-separated inputs (no ties, so finite differences see one
maximum per window); ``window_route`` is linear in its first input and the choice of
element is fixed by the constants ``x`` and ``m`` bound here.
"""
import numpy as np

from autograd import ops as P
from casekit import Case

_X = np.random.default_rng(7).permutation(2 * 3 * 6 * 5).reshape(2, 3, 6, 5) * 0.37
_X[0, 0, :2, :2] = 1.0                               # a window of ties: the first gets it
_GEOMETRIES = [((2, 2), (2, 2), (1, 1)),             # windows tile the input
               ((3, 2), (1, 2), (1, 1)),             # overlapping windows
               ((2, 2), (3, 2), (2, 1))]             # dilated, with gaps


def _route_case(kernel, stride, dilation, gather):
    m = P.window_max(_X, kernel=kernel, stride=stride, dilation=dilation)
    shape = _X.shape if gather else m.shape
    return Case(lambda a: P.window_route(a, _X, m, kernel=kernel, stride=stride,
                                         dilation=dilation, gather=gather), shape,
                label=f"k{kernel} s{stride} d{dilation} gather={gather}")


CASES = {
    "window_max": [Case(lambda x, k=k, s=s, d=d: P.window_max(x, kernel=k, stride=s,
                                                                dilation=d),
                        (2, 3, 6, 5), domain="distinct", label=f"k{k} s{s} d{d}")
                   for k, s, d in _GEOMETRIES]
    + [Case(lambda x: P.window_max(x, kernel=(3,), stride=(2,), dilation=(1,)), (2, 2, 9),
            domain="distinct", label="1-d")],
    "window_route": [_route_case(k, s, d, gather) for k, s, d in _GEOMETRIES
                     for gather in (False, True)],
}
