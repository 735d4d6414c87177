"""The rule table. Importing this package registers every rule."""
from . import arith, elementwise, reduce  # noqa: F401  (registration)
from .registry import RULES, Rule, is_nondifferentiable, lookup, nondifferentiable, rule

__all__ = ["RULES", "Rule", "lookup", "rule", "nondifferentiable", "is_nondifferentiable"]
