"""The op registry: the primitives, grouped by kind, each module declaring its blocks.

``REGISTRY`` maps a primitive's name to it; ``DECLARED`` every op with a public function
(primitives and composites) to its declaration; ``PUBLIC`` the public names to the
functions that ``ag.<name>`` is. Public code calls ``ag.<name>``, not ``ag.ops``.
"""
from .registry import (DECLARED, PUBLIC, REGISTRY, Composite, Node, Primitive,  # noqa: F401
                       apply, defcomposite, defprimitive, undeclare)
from .spec import Case, Fuzz  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .window import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .collective import *  # noqa: F401,F403
