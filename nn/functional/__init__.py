"""``nn.functional`` (import as ``F``): the functional form of every layer, activation
and loss, composed only of autograd ops (no backward code here).

>>> import numpy as np, autograd as ag
>>> import nn.functional as F
>>> logits = ag.tensor([[2.0, 0.0, -1.0]])
>>> round(F.cross_entropy(logits, np.array([0])).item(), 4)     # PyTorch's names
0.1698
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
from .padding import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .unpool import *  # noqa: F401,F403
from .lp_pool import *  # noqa: F401,F403
from .adaptive_pool import *  # noqa: F401,F403
from .loss_margin import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
