"""``MultivariateNormal`` and ``Independent``.

Takes: for MultivariateNormal a ``loc`` vector and one of ``covariance_matrix``,
``precision_matrix`` or ``scale_tril`` (batched, broadcasting against ``loc``); for
Independent a base distribution and how many batch dims become event dims. Gives: torch's
log_prob, entropy, moments and ``rsample`` (``loc + L @ eps``, ``eps`` from ``normal_`` on
the sample shape, as torch draws it). The Cholesky factor and the triangular solves go
through the registered ``np.linalg.cholesky`` / ``np.linalg.solve`` rules, so everything
is differentiable in the parameters. Invariant: ``_unbroadcasted_scale_tril`` keeps the
factor at its own (unexpanded) batch shape, as torch does.
"""
from __future__ import annotations

import math

import numpy as np

from ..runtime.functions_extra import broadcast_shapes
from ..runtime.ops import apply
from ..runtime.tensor import Size, Tensor
from . import constraints
from .distribution import Distribution, _lazy, sum_rightmost
from .univariate import standard_normal

__all__ = ["Independent", "MultivariateNormal", "cholesky", "solve_lower"]


def cholesky(a: Tensor) -> Tensor:
    """``torch.linalg.cholesky`` (lower), via the registered rule."""
    return apply(np.linalg.cholesky, a, name="LinalgCholeskyExBackward0")


def solve_lower(L: Tensor, b: Tensor) -> Tensor:
    """``solve_triangular(L, b, upper=False)`` for ``b`` of shape ``(..., n, k)``, batch dims
    broadcast. A general solve on ``tril(L)`` (the upper part is ignored, as torch's solve
    ignores it): the same result up to rounding, since s2sgrad has no triangular solve."""
    L = L.tril()
    batch = tuple(broadcast_shapes(L.shape[:-2], b.shape[:-2]))
    L = L.expand(batch + tuple(L.shape[-2:]))
    b = b.expand(batch + tuple(b.shape[-2:]))
    return apply(np.linalg.solve, L, b, name="LinalgSolveExBackward0")


def batch_mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """``x^T (L L^T)^-1 x`` over the last dim, broadcasting ``L``'s and ``x``'s batches."""
    y = solve_lower(L, x.unsqueeze(-1)).squeeze(-1)
    return y.pow(2).sum(-1)


def _half_log_det(L: Tensor) -> Tensor:
    return L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None,
    scale_tril=None)``."""
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        (name, matrix), = given
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        batch = Size(broadcast_shapes(matrix.shape[:-2], loc.shape[:-1]))
        setattr(self, name, matrix.expand(tuple(batch) + (-1, -1)))
        self.loc = loc.expand(tuple(batch) + (-1,))
        super().__init__(batch, self.loc.shape[-1:], validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            # torch flips and uses a triangular solve; the Cholesky of the inverse is the
            # same factor up to rounding.
            self._unbroadcasted_scale_tril = cholesky(matrix.inverse())

    def _expand_params(self):
        return ("loc", "covariance_matrix", "precision_matrix", "scale_tril")

    def _param_event_dims(self, name):
        return 1 if name == "loc" else 2

    def _expand_extra(self, new, batch_shape):
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril

    def _full(self, m: Tensor) -> Tensor:
        return m.expand(tuple(self._batch_shape) + tuple(self._event_shape) * 2)

    @_lazy
    def scale_tril(self):
        return self._full(self._unbroadcasted_scale_tril)

    @_lazy
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._full(L.matmul(L.mT))

    @_lazy
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._full(L.matmul(L.mT).inverse())

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=(), generator=None) -> Tensor:
        eps = standard_normal(self._extended_shape(sample_shape), self.loc, generator)
        return self.loc + self._unbroadcasted_scale_tril.matmul(eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        L = self._unbroadcasted_scale_tril
        m = batch_mahalanobis(L, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - _half_log_det(L)

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + _half_log_det(
            self._unbroadcasted_scale_tril)
        return h if len(self._batch_shape) == 0 else h.expand(tuple(self._batch_shape))


class Independent(Distribution):
    """Treats the rightmost ``reinterpreted_batch_ndims`` batch dims of ``base_distribution``
    as event dims: log_prob and entropy are summed over them."""
    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None):
        nb = len(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > nb:
            raise ValueError("Expected reinterpreted_batch_ndims <= "
                             f"len(base_distribution.batch_shape), actual "
                             f"{reinterpreted_batch_ndims} vs {nb}")
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        tail = tuple(self._event_shape[:self.reinterpreted_batch_ndims])
        return Independent(self.base_dist.expand(tuple(batch_shape) + tail),
                           self.reinterpreted_batch_ndims, validate_args=False)

    has_rsample = property(lambda self: self.base_dist.has_rsample)
    has_enumerate_support = False

    @property
    def support(self):
        s = self.base_dist.support
        return constraints._Independent(s, self.reinterpreted_batch_ndims) \
            if self.reinterpreted_batch_ndims else s

    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def sample(self, sample_shape=(), generator=None) -> Tensor:
        return self.base_dist.sample(sample_shape, generator)

    def rsample(self, sample_shape=(), generator=None) -> Tensor:
        return self.base_dist.rsample(sample_shape, generator)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist}, {self.reinterpreted_batch_ndims})"
