"""glassgrad's ``nn``: PyTorch's module system, layers, losses and init on ``autograd``.

>>> import numpy as np
>>> import autograd as ag, nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
>>> loss = nn.CrossEntropyLoss()(model(ag.randn(5, 4)), np.array([0, 2, 1, 1, 0]))
>>> loss.backward()
>>> model[0].weight.grad.shape
(8, 4)
>>> list(model.state_dict())
['0.weight', '0.bias', '2.weight', '2.bias']

Parameter names, shapes and default initialisations equal PyTorch's, so a PyTorch
model's weights load as they are:
``model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})``.
"""
from .module import IncompatibleKeys, Module, Parameter, RemovableHandle  # noqa: F401
from .containers import (ModuleDict, ModuleList, ParameterDict,  # noqa: F401
                         ParameterList, Sequential)
from .layers import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from . import data  # noqa: F401
from . import parallel  # noqa: F401
from .io import load, save  # noqa: F401
