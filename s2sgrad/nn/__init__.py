"""``s2sgrad.nn``: PyTorch's layer API (``import s2sgrad as torch; torch.nn.Linear``).

Takes: nothing at import. Gives: ``Module``, ``Parameter``, the layers, the losses, and
the ``functional``, ``init`` and ``utils`` (gradient clipping) submodules.
"""
from . import functional, init, utils
from .activation import (ELU, GELU, Dropout, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid,
                         Softmax, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv2d
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Buffer, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .sparse import Embedding

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
           "BatchNorm2d", "Buffer", "Conv2d", "CrossEntropyLoss", "Dropout", "ELU", "Embedding",
           "Flatten", "GELU", "HuberLoss", "Identity", "L1Loss", "LayerNorm", "LeakyReLU",
           "Linear", "LogSoftmax", "MSELoss", "MaxPool2d", "Module", "ModuleDict", "ModuleList",
           "NLLLoss", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss",
           "Softmax", "Softplus", "Tanh", "functional", "init", "utils"]
