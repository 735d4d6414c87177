"""``soft_margin_loss``: the one new loss with a node of its own in PyTorch.

Takes: ``input`` and a ``target`` of +-1 (same shape), and a reduction. Gives:
``log(1 + exp(-target * input))`` reduced by mean (default), sum or none, computed as
PyTorch computes it (``log1p(exp(.))``), and its adjoint ``SoftMarginLossBackward0`` for
the input (PyTorch gives the target no gradient).
Invariant: the adjoint uses the sigmoid form, which does not overflow.
"""
from __future__ import annotations

import numpy as np

from ..registry import rule
from ..torchlike import sigmoid
from .loss import _reduce


def soft_margin_loss(input, target, reduction="mean"):
    return np.asarray(_reduce(np.log1p(np.exp(-(target * input))), reduction))


@rule(soft_margin_loss, wrt=("input",), name="SoftMarginLossBackward0")
def soft_margin_loss_adjoint(g, out, input, target, reduction="mean"):
    gs = g / input.size if reduction == "mean" else g
    return gs * (-target) * sigmoid(-(target * input))


__all__ = ["soft_margin_loss"]
