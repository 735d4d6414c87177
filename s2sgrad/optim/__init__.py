"""``s2sgrad.optim``: PyTorch's optimizers (``SGD``, ``Adam``, ``AdamW``) on s2sgrad Tensors.

Takes: parameters (usually ``model.parameters()``). Gives: optimizers whose ``step``
reproduces PyTorch's update formulas, state layout, reprs and errors.
"""
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
