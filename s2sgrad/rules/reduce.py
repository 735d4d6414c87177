"""Rules for reductions: sum, mean (more live in the coverage modules).

The cotangent of a reduction is broadcast back with ``expand_reduced``; the
axis conventions are NumPy's (``axis``, ``keepdims``).
"""
import numpy as np

from .helpers import expand_reduced
from .registry import rule


@rule(np.sum, name="SumBackward0")
def sum_(g, out, a, axis=None, dtype=None, out_=None, keepdims=False):
    return expand_reduced(g, a.shape, axis, keepdims)


@rule(np.mean, name="MeanBackward0")
def mean(g, out, a, axis=None, dtype=None, out_=None, keepdims=False):
    return expand_reduced(g, a.shape, axis, keepdims) * (np.size(out) / np.size(a))
