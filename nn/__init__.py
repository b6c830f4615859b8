"""glassgrad's ``nn``: PyTorch's module system, layers, losses and init on ``autograd``.

>>> import autograd as ag, nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
>>> loss = nn.CrossEntropyLoss()(model(ag.randn(5, 4)), ag.tensor([0, 2, 1, 1, 0]))
>>> loss.backward()
>>> model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})

Parameter names, shapes and default initialisations equal PyTorch's.
"""
from .module import IncompatibleKeys, Module, Parameter, RemovableHandle  # noqa: F401
from .containers import (ModuleDict, ModuleList, ParameterDict,  # noqa: F401
                         ParameterList, Sequential)
from .layers import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from .io import load, save  # noqa: F401
