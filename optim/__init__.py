"""glassgrad's optimizers and learning-rate schedulers (PyTorch's ``torch.optim``).

First order (``step()`` after ``loss.backward()``): SGD, Adam, AdamW, RMSprop, Adagrad,
Adamax, NAdam, RAdam, Adadelta, ASGD, Rprop.
Closure driven: LBFGS (closure calls backward), Newton (closure returns the loss),
GaussNewton and LevenbergMarquardt (closure returns the residual vector).

>>> import numpy as np, autograd as ag, optim
>>> w = ag.Tensor(np.array([2.0]), requires_grad=True)
>>> opt = optim.Adam([w], lr=0.1)
>>> sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
>>> for _ in range(3):
...     opt.zero_grad(); (w * w).sum().backward(); opt.step(); sched.step()
"""
from . import lr_scheduler  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .adam_variants import Adamax, NAdam, RAdam  # noqa: F401
from .asgd import ASGD  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from .lr_scheduler import (  # noqa: F401
    ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    ExponentialLR, InverseTimeLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR,
    MultiStepLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR)
from .optimizer import Optimizer, required  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .rprop import Rprop  # noqa: F401
from .second_order import GaussNewton, LevenbergMarquardt, Newton  # noqa: F401
from .sgd import SGD  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam",
           "RAdam", "Adadelta", "ASGD", "Rprop", "LBFGS", "Newton",
           "GaussNewton", "LevenbergMarquardt", "lr_scheduler", "LRScheduler", "LambdaLR",
           "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "LinearLR", "OneCycleLR", "InverseTimeLR", "ConstantLR",
           "MultiplicativeLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "SequentialLR", "ChainedScheduler"]
