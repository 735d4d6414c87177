"""Bags of embeddings in ``nn.functional``: ``embedding_bag``.

Takes: integer indices (1-D with ``offsets`` marking where each bag starts, or 2-D with one
bag per row), a (num_embeddings, dim) weight and PyTorch's options (mode sum/mean/max,
per_sample_weights for sum, include_last_offset, padding_idx, max_norm).
Gives: the (bags, dim) reductions, composed from ``embedding`` (``EmbeddingBackward0``) and
either a product with a constant (bags, indices) weighting matrix (sum, mean) or a
``gather`` of each feature's maximum (max), so the gradients are PyTorch's: summed rows,
rows divided by the bag's size, or all of a feature's gradient to its first maximum.
Invariant: entries equal to ``padding_idx`` take no part (and do not count in a mean); an
empty bag gives zeros.
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor

__all__ = ["embedding_bag"]


def _bags(n: int, offsets: np.ndarray, include_last_offset: bool) -> np.ndarray:
    """A (bags, n) boolean membership matrix."""
    starts = offsets[:-1] if include_last_offset else offsets
    ends = offsets[1:] if include_last_offset else np.append(offsets[1:], n)
    pos = np.arange(n).reshape(1, -1)
    return (pos >= starts.reshape(-1, 1)) & (pos < np.minimum(ends, n).reshape(-1, 1))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embedding rows of each bag of indices."""
    from . import functional as F
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    idx = np.asarray(input._data)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {type(offsets)}".replace(
                                 "s2sgrad.runtime.tensor.Tensor", "torch.Tensor"))
        offs = np.arange(0, idx.size, max(idx.shape[1], 1))[:idx.shape[0]]
        include_last_offset = False
        idx = idx.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        offs = np.asarray(offsets._data).astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        F._embedding_renorm(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag(scale_grad_by_freq=True or sparse=True) is "
                                  "not supported")
    member = _bags(idx.size, offs, include_last_offset)
    if padding_idx is not None:
        member &= (idx != padding_idx % weight.shape[0]).reshape(1, -1)
    rows = F.embedding(input.reshape(-1), weight)
    npdt = weight._data.dtype
    if mode == "max":
        masked = np.where(member[:, :, None], rows._data[None], -np.inf)
        first = masked.argmax(1)                           # (bags, dim): the first maximum
        out = rows.gather(0, Tensor._wrap(first))
        return out.masked_fill(Tensor._wrap(~member.any(1, keepdims=True)), 0.0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    scale = member.astype(npdt)
    if mode == "mean":
        counts = scale.sum(1, keepdims=True)
        scale = scale / np.maximum(counts, 1)
    return Tensor._wrap(scale).matmul(rows)
