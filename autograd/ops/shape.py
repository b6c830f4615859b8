"""Shape primitives: reshape, transpose, broadcast_to and its adjoint sum_to.

``sum_to`` is the one unbroadcast mechanism: the engine calls it when a VJP's result
has the broadcast shape rather than the input's shape.
"""
import numpy as np

from .registry import defprimitive
from .spec import Case

__all__ = ["reshape", "transpose", "broadcast_to", "sum_to", "sum_to_shape_axes"]


def _reshape_forward(x, shape):
    return np.reshape(x, shape)


reshape = defprimitive(
    "reshape", _reshape_forward,
    vjps=(lambda g, out, x, shape: reshape(g, shape=x.shape),),
    rules=("d reshape(x)/dx: reshape the gradient back to x's shape",),
    cases=[Case(lambda x: reshape(x, shape=(3, 2)), (2, 3)),
           Case(lambda x: reshape(x, shape=(1,)), ())])


def _transpose_forward(x, axes):
    return x.transpose(axes)        # the method: np.transpose adds a dispatch layer


def _transpose_vjp(g, out, x, axes):
    inverse = [0] * len(axes)       # the inverse permutation (argsort, without NumPy's call)
    for i, a in enumerate(axes):
        inverse[a] = i
    return transpose(g, axes=tuple(inverse))


transpose = defprimitive(
    "transpose", _transpose_forward,
    vjps=(_transpose_vjp,),
    rules=("d transpose(x)/dx: transpose the gradient back (inverse permutation)",),
    cases=[Case(lambda x: transpose(x, axes=(1, 0)), (2, 3)),
           Case(lambda x: transpose(x, axes=(2, 0, 1)), (2, 3, 2))])


def _broadcast_forward(x, shape):
    return np.broadcast_to(x, shape)


broadcast_to = defprimitive(
    "broadcast_to", _broadcast_forward,
    vjps=(lambda g, out, x, shape: sum_to(g, shape=x.shape),),
    rules=("d broadcast(x)/dx: sum the gradient over the broadcast axes",),
    cases=[Case(lambda x: broadcast_to(x, shape=(2, 3)), (3,)),
           Case(lambda x: broadcast_to(x, shape=(2, 4)), (2, 1)),
           Case(lambda x: broadcast_to(x, shape=(3,)), ())])


def sum_to_shape_axes(from_shape, to_shape):
    """Axes to sum (and how many leading ones to drop) to reduce from_shape to to_shape."""
    lead = len(from_shape) - len(to_shape)
    if lead < 0:
        raise ValueError(f"sum_to: cannot reduce shape {from_shape} to larger rank {to_shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(to_shape) if n == 1 and from_shape[lead + i] != 1)
    return axes, lead


def _sum_to_forward(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    axes, lead = sum_to_shape_axes(x.shape, shape)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    out = out.reshape(out.shape[lead:]) if lead else out
    if out.shape != shape:
        raise ValueError(f"sum_to: shape {x.shape} does not broadcast to {shape}")
    return out


sum_to = defprimitive(
    "sum_to", _sum_to_forward,
    vjps=(lambda g, out, x, shape: broadcast_to(g, shape=x.shape),),
    rules=("d sum_to(x)/dx: broadcast the gradient back to x's shape",),
    cases=[Case(lambda x: sum_to(x, shape=(3,)), (2, 3)),
           Case(lambda x: sum_to(x, shape=(2, 1)), (2, 3)),
           Case(lambda x: sum_to(x, shape=()), (3,))])
