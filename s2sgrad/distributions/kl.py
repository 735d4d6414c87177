"""``kl_divergence(p, q)`` and the ``register_kl`` registry, with torch's closed forms.

Takes: two distributions. Gives: KL(p || q) per batch element, as Tensor ops (differentiable
in both distributions' parameters). Dispatch picks the registered pair whose classes are the
most specific bases of ``type(p)`` and ``type(q)`` (by MRO position, p first), as torch does.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..runtime.tensor import Tensor
from .discrete import Bernoulli, Categorical, OneHotCategorical, _softplus
from .distribution import Distribution, sum_rightmost
from .multivariate import Independent, MultivariateNormal, batch_mahalanobis, solve_lower
from .univariate import Exponential, Laplace, Normal, Uniform

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...``."""
    for name, t in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"Expected {name} to be a Distribution subclass but got {t}")

    def decorator(fun: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fun
        return fun
    return decorator


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    mro_p, mro_q = type(p).__mro__, type(q).__mro__
    best = min(((mro_p.index(a), mro_q.index(b)), (a, b)) for a, b in _KL_REGISTRY
               if isinstance(p, a) and isinstance(q, b)) if any(
        isinstance(p, a) and isinstance(q, b) for a, b in _KL_REGISTRY) else None
    if best is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return _KL_REGISTRY[best[1]](p, q)


def _where(mask: np.ndarray, value: float, t: Tensor) -> Tensor:
    """``t`` with ``value`` where ``mask`` (torch's in-place ``t[mask] = value``)."""
    return t.masked_fill(Tensor._wrap(np.broadcast_to(mask, t.shape).copy()), value)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    pp, qp = p.probs._data, q.probs._data
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t1 = _where(pp == 0, 0.0, _where(qp == 0, math.inf, t1))
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    t2 = _where(pp == 1, 0.0, _where(qp == 1, math.inf, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = _where(q.probs._data == 0, math.inf, t)
    t = _where(p.probs._data == 0, 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low._data > p.low._data) | (q.high._data < p.high._data)
    return _where(outside, math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return rate_ratio - 1 - rate_ratio.log()


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -scale_ratio.log()
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return t1 + t2 + t3 - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (lq.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                  - lp.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    n = p.event_shape[0]
    term2 = solve_lower(lq, lp).pow(2).sum((-2, -1))
    term3 = batch_mahalanobis(lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
