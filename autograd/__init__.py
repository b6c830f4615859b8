"""glassgrad's autograd: a NumPy tensor graph with reverse-mode backprop you can see.

>>> import autograd as ag
>>> x = ag.Tensor([[1.0, 2.0]], requires_grad=True)
>>> loss = (x * x).sum()
>>> loss.backward()
>>> x.grad
tensor([[2., 4.]])
"""
from .tensor import Tensor  # noqa: F401  (first: the other modules build on it)
from .value import Value  # noqa: F401
from . import functional  # noqa: F401
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .dtypes import get_default_dtype, set_default_dtype  # noqa: F401
from .engine import grad  # noqa: F401
from .factories import *  # noqa: F401,F403
from .function import Context, Function  # noqa: F401
from .functions import *  # noqa: F401,F403
from .functions import as_tensor  # noqa: F401
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .ops import REGISTRY as PRIMITIVES  # noqa: F401
from .ops import Case, Fuzz, defcomposite, defprimitive, undeclare  # noqa: F401 (extending)
from .scope import current_scope, scope  # noqa: F401
from . import viz  # noqa: F401  (ag.viz.play, ag.viz.trace)
from .compile import CompileError, CompileWarning, compile  # noqa: F401,A001 (ag.compile)
from .viz import Step, backprop_steps, draw_dot, draw_graph, explain, retain_grads, to_dot  # noqa: F401,E501

__version__ = "0.1.0"


def __getattr__(name):
    """``ag.<name>`` of an op declared after this package was imported (an extension)."""
    try:
        return ops.PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}") from None
