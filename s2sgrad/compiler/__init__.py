"""The source-transformation compiler (see ``pipeline`` for the passes in order)."""
from ..rules import pymath  # noqa: F401  (registers the rules for math and builtins)
