"""``nn.functional`` (import as ``F``): the functional form of every layer, activation
and loss, composed only of autograd ops (no backward code here).

>>> import nn.functional as F
>>> F.cross_entropy(logits, target)        # PyTorch's names and signatures
"""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .upsample import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
