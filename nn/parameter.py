"""``nn.Parameter``: the Tensor subclass a Module registers as learnable.

>>> import autograd as ag, nn
>>> w = nn.Parameter(ag.ones((3, 2)))
>>> w.requires_grad, w.is_leaf
(True, True)
>>> (w * 2).sum().backward()             # works in every autograd op
>>> w.grad.shape
(3, 2)
"""
import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter.

    ``Parameter(data, requires_grad=True)`` shares ``data`` when it is a Tensor or
    an array (no copy), like ``torch.nn.Parameter``. It is a leaf that works in
    every autograd op; ops on it return plain Tensors.
    """

    __slots__ = ("_auto_name",)
    _is_param = True        # what autograd.viz reads to draw it as a parameter

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros((0,), dtype=ag.get_default_dtype())
        if isinstance(data, Tensor):
            data = data.data
        self._init(ag.dtypes.as_array(data))
        self._auto_name = None     # the name a Module gave it (kept unless the user renames)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.data.copy(), requires_grad=self.requires_grad)
        out.name = self.name
        out._auto_name = self._auto_name
        if self.grad is not None:
            out.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad, self.name))


def _rebuild_parameter(data, requires_grad, name):
    p = Parameter(data, requires_grad=requires_grad)
    p.name = name
    return p
