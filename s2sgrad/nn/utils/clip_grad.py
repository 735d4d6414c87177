"""``nn.utils.clip_grad``: gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``).

Takes: parameters (one Tensor or an iterable of them) whose ``.grad`` is set.
Gives: PyTorch's in-place clipping: the total norm of all gradients together (each
gradient's norm first, then the norm of those norms) and every gradient scaled by
``min(max_norm / (total + 1e-6), 1)``; or each gradient clamped to
``[-clip_value, clip_value]``. Parameters without a gradient are skipped.
Invariant: nothing here records a graph; a scaled gradient is changed in place (its
version counter goes up), never replaced.
"""
from __future__ import annotations

import math

import numpy as np

from ...runtime.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _tensors(tensors) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _grads(parameters) -> list[Tensor]:
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def _vector_norm(a: np.ndarray, p: float) -> np.ndarray:
    """``torch.linalg.vector_norm(a, p)`` of all elements, in ``a``'s dtype."""
    a = np.abs(a.reshape(-1))
    if p == math.inf:
        return a.max(initial=0) if a.size else np.zeros((), a.dtype)
    if p == -math.inf:
        return a.min() if a.size else np.array(math.inf, a.dtype)
    if p == 0:
        return np.asarray(np.count_nonzero(a), a.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(a, a))
    return np.sum(a ** p) ** (1.0 / p)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The ``norm_type`` norm of the norms of ``tensors`` (0-d, in their promoted dtype)."""
    ts = _tensors(tensors)
    p = float(norm_type)
    if not ts:
        return Tensor._wrap(np.zeros((), np.float32))
    norms = [np.asarray(_vector_norm(t._data, p)) for t in ts]
    dt = np.result_type(*norms)
    total = np.asarray(_vector_norm(np.stack([n.astype(dt) for n in norms]), p), dt)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale the gradients in place by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    grads = _grads(parameters)
    if not grads:
        return
    coef = float(max_norm) / (total_norm._data + 1e-6)
    coef = np.minimum(coef, 1.0)
    for g in grads:
        d = g._data
        d *= coef.astype(d.dtype)
        g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Clip the gradients' total norm to ``max_norm`` in place; returns the total norm
    before clipping (a 0-d Tensor)."""
    params = _tensors(parameters)
    grads = _grads(params)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        d = g._data
        np.copyto(d, np.minimum(np.maximum(d, -clip_value), clip_value), casting="unsafe")
        g._vc[0] += 1
