"""Discrete distributions: ``Bernoulli``, ``Categorical``, ``OneHotCategorical``.

Takes: ``probs`` or ``logits`` (exactly one). Gives: torch's parameterisation (the other
one derived lazily, Categorical's normalised along the last dim), log_prob/entropy as
Tensor ops, and samples drawn as torch draws them: ``torch.bernoulli`` on the expanded
probs, ``torch.multinomial(probs_2d, n, replacement=True).T`` for Categorical.
Invariant: a parameter given is stored under its own name; the derived one is computed
on first use and cached in ``__dict__`` (torch's ``lazy_property``).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..runtime.functions_extra import broadcast_tensors
from ..runtime.grad_mode import no_grad
from ..runtime.tensor import Size, Tensor
from . import constraints
from .univariate import standard_exponential
from .distribution import (Distribution, _gen, _lazy, broadcast_all, logits_to_probs,
                           probs_to_logits)

__all__ = ["Bernoulli", "Categorical", "OneHotCategorical"]


def _softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    return x.clamp(min=0) + (-x.abs()).exp().log1p()


def _bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    return logits.clamp(min=0) - logits * target + (-logits.abs()).exp().log1p()


def _check_one_of(probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Bernoulli(Distribution):
    """``Bernoulli(probs=None, logits=None)``: 1 with probability ``probs``."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _check_one_of(probs, logits)
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        batch = Size(()) if isinstance(given, numbers.Number) else param.shape
        super().__init__(batch, validate_args=validate_args)

    @_lazy
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @_lazy
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    def _expand_extra(self, new, batch_shape):
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))

    param_shape = property(lambda self: self._param.size())
    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, math.nan)

    def sample(self, sample_shape=(), generator=None) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            p = np.broadcast_to(self.probs._data, shape)
            return Tensor._wrap(_gen(generator).bernoulli_(np.empty(shape, p.dtype), p))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)


class Categorical(Distribution):
    """``Categorical(probs=None, logits=None)`` over ``0 .. K-1`` (K = last dim)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _check_one_of(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch = self._param.shape[:-1] if self._param.dim() > 1 else Size(())
        super().__init__(batch, validate_args=validate_args)

    @_lazy
    def probs(self):
        return logits_to_probs(self.logits)

    @_lazy
    def logits(self):
        return probs_to_logits(self.probs)

    def _param_event_dims(self, name):
        return 1

    def _expand_extra(self, new, batch_shape):
        new._num_events = self._num_events
        new._param = new.__dict__.get("probs", new.__dict__.get("logits"))

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    param_shape = property(lambda self: self._param.size())

    def _nan(self):
        shape = tuple(self._extended_shape())
        return Tensor._wrap(np.full(shape, np.nan, self.probs._data.dtype))

    mean = property(_nan)
    variance = property(_nan)
    mode = property(lambda self: self.probs.argmax(-1))

    def sample(self, sample_shape=(), generator=None) -> Tensor:
        sample_shape = Size(sample_shape)
        n = int(np.prod(sample_shape, dtype=np.int64))
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            if n == 1:
                # ATen's multinomial draws one sample as argmax(p / q), q ~ Exp(1)
                # (s2sgrad's Tensor.multinomial does not take this path yet).
                q = standard_exponential(probs_2d.shape, probs_2d._data.dtype, generator)
                idx = (probs_2d._data / q).argmax(-1)
                return Tensor._wrap(idx.reshape(tuple(self._extended_shape(sample_shape))))
            samples_2d = probs_2d.multinomial(n, True, generator=generator).T
            return samples_2d.reshape(tuple(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)


class OneHotCategorical(Distribution):
    """``OneHotCategorical``: a ``Categorical`` whose samples are one-hot vectors."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._categorical = Categorical(probs, logits)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def _expand_params(self):
        return ()

    def _expand_extra(self, new, batch_shape):
        new._categorical = self._categorical.expand(batch_shape)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)
    mean = property(lambda self: self._categorical.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        probs = self._categorical.probs
        idx = probs.argmax(-1)._data
        return Tensor._wrap((np.arange(probs.shape[-1]) == idx[..., None])
                            .astype(probs._data.dtype))

    def sample(self, sample_shape=(), generator=None) -> Tensor:
        probs = self._categorical.probs
        idx = self._categorical.sample(sample_shape, generator)._data
        return Tensor._wrap((np.arange(self._categorical._num_events) == idx[..., None])
                            .astype(probs._data.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()
