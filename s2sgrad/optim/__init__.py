"""``s2sgrad.optim``: PyTorch's optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``,
``Adagrad``, ``Adamax``, ``NAdam``, ``RAdam``, ``Adadelta``, ``ASGD``, ``Rprop``) on
s2sgrad Tensors, and ``optim.lr_scheduler``.

Takes: parameters (usually ``model.parameters()``). Gives: optimizers whose ``step``
reproduces PyTorch's update formulas, state layout, reprs and errors, and learning-rate
schedulers that compute PyTorch's sequences of learning rates.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
           "Adadelta", "ASGD", "Rprop", "Optimizer", "lr_scheduler"]
