"""The public array functions: each composed from primitives in ``autograd.ops``."""
from ._common import as_tensor  # noqa: F401
from .linalg import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shaping import *  # noqa: F401,F403
