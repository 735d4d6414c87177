"""The rule table. Importing this package registers every rule."""
from . import arith, elementwise, indexing, reduce, torchlike  # noqa: F401  (registration)
from .registry import (RULES, Rule, alias, is_nondifferentiable, lookup, nondifferentiable,
                       resolve_alias, rule)

__all__ = ["RULES", "Rule", "lookup", "rule", "nondifferentiable", "is_nondifferentiable",
           "alias", "resolve_alias"]
