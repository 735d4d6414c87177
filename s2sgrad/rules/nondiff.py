"""Functions whose results carry no gradient: shapes, indices, booleans, constants, draws.

Takes: NumPy callables that return integers, booleans, metadata, or arrays that
do not depend smoothly on any float input (factories, random draws).
Gives: ``nondifferentiable(...)`` declarations, so the compiler treats their
results as constants and the runtime records no graph node for them.

Invariant: nothing here has a useful nonzero derivative that a caller could
miss. Functions that are piecewise constant but that PyTorch differentiates
(``sign``, ``floor``, ``ceil``, ``round``, ``rint``, ``trunc``) are rules with
a zero gradient instead (see ``elementwise``), so their outputs still require
grad as PyTorch's do. Functions with a float argument that does have a gradient
(``bincount``'s weights, ``histogram``'s weights, ``heaviside``'s second
argument, ``meshgrid``, the values ``unique`` returns) are deliberately absent:
they raise instead of silently giving 0. Factories whose values move with a
float argument (``full``, ``full_like``, ``linspace``, ``logspace``,
``geomspace``, ``arange``) have rules (``factories``).
"""
import numpy as np

from .registry import nondifferentiable

nondifferentiable(
    # metadata
    np.shape, np.ndim, np.size, np.result_type, np.isscalar, np.iscomplexobj, np.isrealobj,
    np.broadcast_shapes,
    # constants shaped like an input
    np.zeros_like, np.ones_like, np.empty_like,
    # factories of constants (full, linspace, arange, ... have rules in ``factories``)
    np.zeros, np.ones, np.empty, np.eye, np.identity, np.tri, np.indices,
    np.diag_indices, np.tril_indices, np.triu_indices, np.diag_indices_from,
    np.tril_indices_from, np.triu_indices_from,
    # indices and counts
    np.argmax, np.argmin, np.argsort, np.argpartition, np.lexsort, np.argwhere,
    np.flatnonzero, np.nonzero, np.searchsorted, np.digitize, np.count_nonzero,
    np.ravel_multi_index, np.unravel_index, np.nanargmax, np.nanargmin,
    # comparisons and logic
    np.greater, np.less, np.equal, np.not_equal, np.greater_equal, np.less_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.signbit,
    np.isclose, np.allclose, np.array_equal, np.array_equiv, np.isin,
    np.any, np.all,
    # integer arithmetic
    np.floor_divide, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.bitwise_not, np.left_shift, np.right_shift, np.gcd, np.lcm,
)

# Random draws: every public function of np.random (the legacy global generator).
# Methods of a Generator object are bound per instance, so they cannot be
# declared by identity; their results are plain arrays, constants to the compiler.
nondifferentiable(*(getattr(np.random, n) for n in sorted(dir(np.random))
                    if not n.startswith("_") and callable(getattr(np.random, n))
                    and not isinstance(getattr(np.random, n), type)))
