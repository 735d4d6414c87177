"""Shared pieces of the optimizers added after the first set: PyTorch's argument checks
and its 0-d state scalars.

Takes: the constructor's arguments. Gives: ``check_lr`` (a 1-element Tensor lr becomes a
float, a negative one raises PyTorch's error), ``check_betas``, ``check_nonneg``, and
``scalar(v)``: a 0-d state tensor in PyTorch's scalar dtype (float64 when the default dtype
is float64, float32 otherwise).
"""
from __future__ import annotations

import numpy as np

from ..runtime import dtypes
from ..runtime.tensor import Tensor

__all__ = ["check_betas", "check_lr", "check_nonneg", "scalar"]


def check_lr(lr):
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        lr = float(lr.item())
    if not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    return lr


def check_nonneg(value, what: str) -> None:
    if not value >= 0.0:
        raise ValueError(f"Invalid {what} value: {value}")


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def scalar(v: float) -> Tensor:
    dt = np.float64 if dtypes.get_default_dtype().np == np.float64 else np.float32
    return Tensor._wrap(np.array(v, dt))
