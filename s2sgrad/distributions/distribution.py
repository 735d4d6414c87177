"""``torch.distributions.Distribution``: shapes, validation, repr and shared helpers.

Takes: parameters as Tensors or numbers. Gives: the base class every distribution here
derives from, plus ``broadcast_all``, ``probs_to_logits``/``logits_to_probs``, ``clamp_probs``
and ``sum_rightmost`` as torch's ``distributions.utils`` has them. Invariant: everything a
subclass computes from parameters is a composition of s2sgrad Tensor ops, so gradients flow
to the parameters; only sampling noise is drawn from the generator as plain arrays.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..runtime import dtypes
from ..runtime.functions_extra import broadcast_tensors
from ..runtime.grad_mode import no_grad
from ..runtime.random import default_generator
from ..runtime.tensor import Size, Tensor
from . import constraints

__all__ = ["Distribution", "broadcast_all", "clamp_probs", "logits_to_probs",
           "probs_to_logits", "sum_rightmost"]


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Numbers become Tensors of the first Tensor's dtype (else the default dtype); then
    everything is broadcast together."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    dt = like.dtype if like is not None else dtypes.get_default_dtype()
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, numbers.Number):
            out.append(Tensor._wrap(np.asarray(v, dt.np)))
        else:
            raise ValueError("Input arguments must all be instances of numbers.Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    return tuple(broadcast_tensors(*out)) if len(out) > 1 else tuple(out)


def clamp_probs(probs: Tensor) -> Tensor:
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1) if dim else value


class _lazy:
    """A parameter derived on first access and then stored in the instance dict."""

    def __init__(self, fn):
        self.fn, self.name = fn, fn.__name__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value
        return value


def _gen(generator):
    return generator if generator is not None else default_generator


class Distribution:
    """The shared surface of all distributions (see torch.distributions.Distribution)."""
    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if isinstance(constraint, constraints._Dependent) or param not in self.__dict__:
                continue            # lazily derived parameters are not checked (as in torch)
            value = getattr(self, param)
            if not np.all(constraint.check(value)):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}")

    # -- shapes ------------------------------------------------------------------------
    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape, _instance=None) -> Distribution:
        """A copy whose parameters are ``expand``-ed to ``batch_shape``; subclasses list
        the parameters in ``_expand_params`` (those present in ``__dict__`` are expanded)."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        for name in self._expand_params():
            if name in self.__dict__:
                extra = tuple(self.__dict__[name].shape[self.__dict__[name].dim() -
                                                        self._param_event_dims(name):])
                setattr(new, name, self.__dict__[name].expand(tuple(batch_shape) + extra))
        self._expand_extra(new, batch_shape)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_params(self) -> tuple[str, ...]:
        return tuple(self.arg_constraints)

    def _param_event_dims(self, name: str) -> int:
        return 0

    def _expand_extra(self, new: Distribution, batch_shape: Size) -> None:
        pass

    # -- sampling ----------------------------------------------------------------------
    def sample(self, sample_shape=(), generator=None) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape, generator=generator)

    def rsample(self, sample_shape=(), generator=None) -> Tensor:
        raise NotImplementedError

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    # -- statistics --------------------------------------------------------------------
    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self)} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    # -- validation and printing -------------------------------------------------------
    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.dim() - len(self._event_shape)
        if value.shape[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        expected = Size(self._batch_shape + self._event_shape)
        for i, j in zip(reversed(value.shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{value.shape} vs {expected}.")
        if not np.all(self.support.check(value)):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({self.support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        shown = [(k, self.__dict__[k]) for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {v if v.numel() == 1 else v.size()}" for k, v in shown)
        return f"{type(self).__name__}({args})"
