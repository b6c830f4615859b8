"""``Linear``, ``Bilinear`` and ``Identity``."""
import math

from .. import functional as F
from .. import init
from ..module import Module
from . import checks

__all__ = ["Linear", "Bilinear", "Identity"]


def _register_weight_and_bias(module, weight_shape, bias_size, bias, dtype):
    """Register ``module.weight`` of ``weight_shape`` and ``module.bias`` of
    ``(bias_size,)`` (None when not ``bias``) as zeros, for the layer's init to fill."""
    module.weight = init._new_parameter(*weight_shape, dtype=dtype)
    if bias:
        module.bias = init._new_parameter(bias_size, dtype=dtype)
    else:
        module.register_parameter("bias", None)


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002
        return input


class Linear(Module):
    """y = x Wᵀ + b with ``weight`` (out_features, in_features) and ``bias`` (out_features,).

    Default init as PyTorch: W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with
    a = sqrt(5)) and b ~ U(-1/sqrt(in), 1/sqrt(in)).

    >>> import autograd as ag, nn
    >>> nn.Linear(3, 2)(ag.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = checks.count("Linear", "in_features", in_features, minimum=0)
        self.out_features = checks.count("Linear", "out_features", out_features, minimum=0)
        _register_weight_and_bias(self, (out_features, in_features), out_features, bias,
                                  dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input):  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear by another name: PyTorch's type for ``MultiheadAttention.out_proj`` (it
    only steers PyTorch's quantization), kept so that printed models match."""


class Bilinear(Module):
    """y_k = x1ᵀ W_k x2 + b_k, weight (out, in1, in2); init U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        for what, n in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            checks.count("Bilinear", what, n, minimum=0)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _register_weight_and_bias(self, (out_features, in1_features, in2_features),
                                  out_features, bias, dtype)
        bound = 1 / math.sqrt(in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
