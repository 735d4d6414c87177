"""``s2sgrad.utils``: PyTorch's ``torch.utils`` pieces that s2sgrad has.

Takes: nothing at import. Gives: the ``data`` submodule (datasets, samplers, collation,
``DataLoader``), so ``s2sgrad.utils.data.DataLoader`` works as ``torch.utils.data.DataLoader``
after ``import s2sgrad as torch``.
"""
from . import data

__all__ = ["data"]
