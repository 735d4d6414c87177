"""s2sgrad: reverse-mode automatic differentiation by source transformation."""
from . import rules  # noqa: F401  (registers the rule table)
