"""``s2sgrad.optim``: PyTorch's optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``,
``Adagrad``) on s2sgrad Tensors, and ``optim.lr_scheduler``.

Takes: parameters (usually ``model.parameters()``). Gives: optimizers whose ``step``
reproduces PyTorch's update formulas, state layout, reprs and errors, and learning-rate
schedulers that compute PyTorch's sequences of learning rates.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Optimizer", "lr_scheduler"]
