"""``torch.distributions`` for s2sgrad: the most used distributions and ``kl_divergence``.

Modules, in reading order: ``constraints`` (supports, validation), ``distribution`` (the
base class and helpers), ``univariate`` (Normal, Uniform, Exponential, Laplace),
``discrete`` (Bernoulli, Categorical, OneHotCategorical), ``multivariate``
(MultivariateNormal, Independent), ``kl`` (closed-form KL divergences).
Every log_prob/entropy/rsample is a composition of s2sgrad Tensor ops, so it is
differentiable in the parameters; samples are drawn from the PyTorch-compatible generator.
"""
from . import constraints  # noqa: F401
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Independent, MultivariateNormal
from .univariate import Exponential, Laplace, Normal, Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent",
           "Laplace", "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
           "kl_divergence", "register_kl"]
