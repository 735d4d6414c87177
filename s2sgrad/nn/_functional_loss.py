"""``nn.functional``'s further losses and similarities (re-exported by ``functional``).

Takes: Tensors with ``torch.nn.functional``'s signatures. Gives: ``kl_div``,
``cosine_similarity``, ``normalize``, ``pairwise_distance``, ``margin_ranking_loss``,
``hinge_embedding_loss``, ``cosine_embedding_loss``, ``soft_margin_loss``,
``multilabel_soft_margin_loss``, ``gaussian_nll_loss``, ``poisson_nll_loss``,
``triplet_margin_loss``; each is composed from Tensor ops in the order PyTorch's own
implementation composes them (so values round alike and autograd needs no new rule), except
``soft_margin_loss``, a primitive as in PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..rules import nn as R
from ..runtime import functions as _fn
from ..runtime.ops import apply
from ..runtime.tensor import Tensor

__all__ = ["cosine_embedding_loss", "cosine_similarity", "gaussian_nll_loss",
           "hinge_embedding_loss", "kl_div", "margin_ranking_loss",
           "multilabel_soft_margin_loss", "normalize", "pairwise_distance",
           "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss"]


def _legacy(size_average, reduce, reduction: str) -> str:
    from .functional import _check_reduction, _reduction
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _t(x, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, like._data.dtype))


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target * (log target - input)`` (``input`` holds log-probabilities); 0 where the
    target is 0; ``batchmean`` divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        from .functional import _reduction
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    target = _t(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe = _fn.where(target > 0, target, _t(1.0, target))
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() != 0 else total
    return _reduce(loss, reduction)


def _check_dim(dim: int, ndim: int) -> None:
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         f"got {dim})")


def _broadcast(a: tuple, b: tuple) -> tuple:
    """``a`` and ``b`` broadcast together, with PyTorch's error when they do not."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for k in reversed(range(n)):                  # PyTorch reports the last mismatch first
        x, y = a[k], b[k]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {k}")
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    _check_dim(dim, input.dim())
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)), dim)``, broadcasting."""
    shape = _broadcast(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension."""
    d = x1 - x2 + eps
    return d.norm(p, -1, keepdim=keepdim) if d.dim() else d.abs()


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _legacy(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        from .functional import _size
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {_size(input1.shape)}, input2: "
                           f"{_size(input2.shape)}, target: {_size(target.shape)} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``input`` where the target is 1, ``max(0, margin - input)`` where it is -1."""
    reduction = _legacy(size_average, reduce, reduction)
    target = _t(target, input)
    zeros = _t(np.zeros((), input._data.dtype), input)
    margin_clamp = (margin - input).clamp_min(0)
    out_margin = _fn.where(target != 1, margin_clamp, zeros)
    out_self = _fn.where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos`` where the target is 1, ``max(0, cos - margin)`` where it is -1."""
    reduction = _legacy(size_average, reduce, reduction)
    target = _t(target, input1)
    if target.dim() not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.dim() + 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{target.dim()}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    d = input1.dim() - 1
    prod_sum = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + 1e-12
    mag2 = (input2 * input2).sum(d) + 1e-12
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = _t(np.zeros((), input1._data.dtype), input1)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = _fn.where(target == 1, pos, zeros) + _fn.where(target == -1, neg, zeros)
    return _reduce(out, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))``."""
    reduction = _legacy(size_average, reduce, reduction)
    from .functional import _check_size
    _check_size(input, target)
    return apply(R.soft_margin_loss, input, target, reduction, name="SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    reduction = _legacy(size_average, reduce, reduction)
    from ._functional_act import logsigmoid
    target = _t(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """``0.5 * (log var + (input - target)^2 / var)`` (plus ``0.5 log 2 pi`` if ``full``);
    ``var`` is clamped at ``eps`` for the value only (the gradient passes as PyTorch's does,
    through a clamp made under ``no_grad``)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._wrap(np.full(tuple(input.shape), float(var), input._data.dtype))
    vshape, ishape = tuple(var.shape), tuple(input.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif ishape[:-1] == vshape[:-1] and vshape[-1:] == (1,):
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    clamped = np.maximum(var._data, var._data.dtype.type(eps)) - var._data
    var = var + Tensor._wrap(clamped)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    reduction = _legacy(size_average, reduce, reduction)
    target = _t(target, input)
    loss = (input.exp() - target * input if log_input
            else input - target * (input + eps).log())
    if full:
        one = _t(1.0, target)
        safe = _fn.where(target > 1, target, one)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + _fn.where(target > 1, stirling, _t(0.0, target))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    reduction = _legacy(size_average, reduce, reduction)
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not a == pd == nd:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{pd}D, and negative {nd}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _fn.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _reduce(loss, reduction)
