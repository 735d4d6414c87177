"""``s2sgrad.nn``: PyTorch's layer API (``import s2sgrad as torch; torch.nn.Linear``).

Takes: nothing at import. Gives: ``Module``, ``Parameter``, the layers, the losses, and
the ``functional`` and ``init`` submodules.
"""
from . import functional, init
from .activation import Dropout, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .linear import Flatten, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Buffer, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d",
           "Buffer", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear",
           "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict", "ModuleList",
           "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
           "functional", "init"]
