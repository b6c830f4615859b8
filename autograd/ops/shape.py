"""Shape primitives: reshape, transpose, broadcast_to and its adjoint sum_to.

Each block is the public function (NumPy's argument forms, checked; the result is a
view of its input) followed by its primitive. ``sum_to`` is internal: the one
unbroadcast mechanism, which the engine calls when a VJP's result has the broadcast
shape rather than the input's shape.
"""
import numpy as np

from ..inplace import mark_view
from .axes import shape_args
from .coerce import as_tensor, call
from .registry import apply, defprimitive
from .spec import Case, Fuzz

__all__ = ["reshape", "transpose", "broadcast_to", "sum_to", "sum_to_shape_axes"]


def _reshape_public(x, *shape):
    """New shape with the same data (one -1 is inferred), as ``np.reshape``."""
    x = as_tensor(x)
    shape = shape_args(shape, "reshape")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if shape.count(-1) > 1 or known == 0 or x.data.size % known:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"into {shape}")
        shape = tuple(x.data.size // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != x.data.size:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.data.size} elements) into {shape}")
    if shape == x.shape:
        return x
    return mark_view(call(reshape, x, shape=shape), x)


def _reshape_forward(x, shape):
    return np.reshape(x, shape)


reshape = defprimitive(
    "reshape", _reshape_forward,
    vjps=(lambda g, out, x, shape: reshape(g, shape=x.shape),),
    rules=("d reshape(x)/dx: reshape the gradient back to x's shape",),
    public=_reshape_public, method=("reshape", "view"), aliases=("view",),
    fuzz=Fuzz(np.reshape, args="reshape"),
    cases=[Case(lambda x: reshape(x, shape=(3, 2)), (2, 3)),
           Case(lambda x: reshape(x, shape=(1,)), ())])


def _transpose_public(x, *axes):
    """Permute axes; with no axes, reverse them (NumPy's rule, so ``x.T`` works)."""
    x = as_tensor(x)
    if not axes:                    # x.T: the axes reversed (an RNN's W.T every step)
        nd = x.data.ndim
        if nd < 2:
            return x
        axes = tuple(range(nd - 1, -1, -1))
        return mark_view(apply(transpose, (x,), {"axes": axes}), x)
    explicit = len(axes) == 1 and isinstance(axes[0], (tuple, list))
    if len(axes) == 1 and (axes[0] is None or explicit):
        axes = axes[0]
    if not axes and not explicit:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(int(a) for a in axes)
    if not all(-x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"transpose: axes {axes} are out of range for a tensor of shape "
                         f"{x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        hint = " (to swap two axes use swapaxes)" if len(axes) == 2 else ""
        raise ValueError(f"transpose: axes {axes} are not a permutation of the "
                         f"{x.ndim} axes of a tensor of shape {x.shape}{hint}")
    if axes == tuple(range(x.ndim)):
        return x
    return mark_view(call(transpose, x, axes=axes), x)


def _transpose_forward(x, axes):
    return x.transpose(axes)        # the method: np.transpose adds a dispatch layer


def _transpose_vjp(g, out, x, axes):
    inverse = [0] * len(axes)       # the inverse permutation (argsort, without NumPy's call)
    for i, a in enumerate(axes):
        inverse[a] = i
    if type(g) is np.ndarray:       # the plain backward: the forward without the dispatch
        return g.transpose(tuple(inverse))
    return transpose(g, axes=tuple(inverse))


transpose = defprimitive(
    "transpose", _transpose_forward,
    vjps=(_transpose_vjp,),
    rules=("d transpose(x)/dx: transpose the gradient back (inverse permutation)",),
    public=_transpose_public, method=True, fuzz=Fuzz(np.transpose, args="transpose"),
    cases=[Case(lambda x: transpose(x, axes=(1, 0)), (2, 3)),
           Case(lambda x: transpose(x, axes=(2, 0, 1)), (2, 3, 2))])


def _broadcast_to_public(x, *shape):
    """Broadcast to ``shape`` (NumPy rules)."""
    x = as_tensor(x)
    shape = shape_args(shape, "broadcast_to")
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    if shape == x.shape:
        return x
    return mark_view(call(broadcast_to, x, shape=shape), x)


def _broadcast_forward(x, shape):
    return np.broadcast_to(x, shape)


broadcast_to = defprimitive(
    "broadcast_to", _broadcast_forward,
    vjps=(lambda g, out, x, shape: sum_to(g, shape=x.shape),),
    rules=("d broadcast(x)/dx: sum the gradient over the broadcast axes",),
    public=_broadcast_to_public, method=True, fuzz=Fuzz(np.broadcast_to, args="broadcast"),
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
