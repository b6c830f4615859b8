"""Collective primitives: ops whose value on one process depends on every process.

autograd knows no transport. A collective takes a *group*, any object with the one
method of the ``Group`` protocol below, as a non-tensor parameter; ``nn.parallel``
gives one over an MPI communicator (mpi4py is never imported here).

``all_reduce_sum``: every one of K processes holds a tensor x_r of one shape and gets
back y = sum_r x_r. Each process's loss L_q depends on every x_r through y, so the
gradient with respect to x_r of the total loss sum_q L_q is

    d(sum_q L_q)/d x_r = sum_q dL_q/dy,

the same all-reduce applied to the upstream gradients. The VJP is written with the
primitive itself, so under ``create_graph=True`` the backward all-reduce is recorded
too (every process must run the same backward, as it must run the same forward).

>>> import numpy as np, autograd as ag
>>> x = ag.tensor([1.0, 2.0], requires_grad=True)
>>> y = ag.ops.all_reduce_sum(x, group=OneProcess())   # one process: the sum is x
>>> (y * y).sum().backward()
>>> x.grad
tensor([2., 4.])
"""
import numpy as np

from .registry import defprimitive
from .spec import Case

__all__ = ["all_reduce_sum", "Group", "OneProcess"]


class Group:
    """The protocol of a group of processes (duck-typed: nothing needs to subclass it).

    ``allreduce_sum(array, what)`` returns a new C-contiguous array: the elementwise
    sum of ``array`` over every process of the group, each having called it with an
    array of the same shape and dtype, in the same order of calls. ``what`` names the
    reduction for error messages (e.g. a timeout naming what the process waited for).
    It must not change ``array``.
    """

    def allreduce_sum(self, array, what):
        raise NotImplementedError("Group.allreduce_sum: a group implements it")


class OneProcess(Group):
    """A group of one process: the sum over one process is the array itself (a copy)."""

    def allreduce_sum(self, array, what):
        return np.array(array, copy=True, order="C")

    def __repr__(self):
        return "OneProcess()"


def _all_reduce_sum_forward(x, group, what="an all-reduce"):
    reduce = getattr(group, "allreduce_sum", None)
    if not callable(reduce):
        raise TypeError(f"group must have an allreduce_sum(array, what) method (the "
                        f"autograd.ops.collective.Group protocol), got "
                        f"{type(group).__name__}; for an MPI communicator use "
                        "nn.parallel.all_reduce_sum")
    out = reduce(np.asarray(x, order="C"), what)
    if np.shape(out) != np.shape(x):
        raise ValueError(f"{type(group).__name__}.allreduce_sum returned shape "
                         f"{np.shape(out)} for an input of shape {np.shape(x)}; it must "
                         "return the elementwise sum, of the input's shape")
    return out


def _all_reduce_sum_vjp(g, out, x, group, what="an all-reduce"):
    return all_reduce_sum(g, group=group, what=f"the backward of {what}")


# Internal (no public function): ``nn.parallel.all_reduce_sum`` is the public name, with
# the communicator and timeout. So no fuzz spec either: the fuzz campaign calls public
# functions on drawn arrays and has no group to pass. The cases run it in a one-process
# group, which the registry-driven gradcheck (first and second order) can build.
all_reduce_sum = defprimitive(
    "all_reduce_sum", _all_reduce_sum_forward,
    vjps=(_all_reduce_sum_vjp,),
    rules=("d (Σ_ranks x)/dx_r: all-reduce (sum) the gradient over the ranks",),
    cases=[Case(lambda x: all_reduce_sum(x, group=OneProcess()), ()),
           Case(lambda x: all_reduce_sum(x, group=OneProcess(), what="a case") * x,
                (2, 3))])
