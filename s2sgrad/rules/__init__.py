"""The rule table. Importing this package registers every rule."""
from . import arith, elementwise, indexing, reduce, torchlike  # noqa: F401  (registration)
from . import nn  # noqa: F401,E402  (registration: conv, pooling, batch norm, losses)
from . import factories, linalg, nondiff, shape  # noqa: F401  (registration: coverage)
from . import helper_rules  # noqa: F401,E402  (registration: the helpers adjoints call)
from . import helper_tangents  # noqa: F401,E402  (their forward rules; after helper_rules)
from . import pymath  # noqa: F401,E402  (registration: math and builtins)
from . import torch_extra  # noqa: F401,E402  (registration: more PyTorch primitives)
from . import decompositions  # noqa: F401,E402  (registration: eigh, svd, qr)
from . import special_functions  # noqa: F401,E402  (registration: lgamma, digamma, ...)
from .registry import (RULES, Rule, alias, is_nondifferentiable, lookup, nondifferentiable,
                       resolve_alias, rule)

__all__ = ["RULES", "Rule", "lookup", "rule", "nondifferentiable", "is_nondifferentiable",
           "alias", "resolve_alias"]
