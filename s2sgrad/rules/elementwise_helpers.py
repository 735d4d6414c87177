"""Helpers the elementwise adjoint templates call where a rule needs a branch.

Takes: the arrays (or Python numbers) a rule was called with. Gives: gradient
pieces shaped like the broadcast output; the drivers unbroadcast them.
Invariant: pure functions of their arguments, so generated code may call them.
"""
from __future__ import annotations

import numpy as np

__all__ = ["clip_grads", "sinc_slope"]


def clip_grads(g, a, lo, hi) -> tuple:
    """Gradients of ``clip(a, lo, hi)`` for ``a``, ``lo`` and ``hi`` (PyTorch's clamp).

    ``a`` gets ``g`` where ``lo <= a <= hi`` (1 on the boundary itself), a bound gets
    ``g`` where it is the value taken. When ``lo > hi`` the result is ``hi``
    everywhere, so ``hi`` takes the whole gradient. ``None`` bounds are absent.
    """
    if lo is None and hi is None:
        raise ValueError("clip: at least one of a_min and a_max must be given")
    if hi is None:
        below = a < lo
        return np.where(below, 0.0, g), np.where(below, g, 0.0), None
    if lo is None:
        above = a > hi
        return np.where(above, 0.0, g), None, np.where(above, g, 0.0)
    inside = (a >= lo) & (a <= hi)
    to_lo = (a < lo) & (lo < hi)
    to_hi = (a > hi) | (hi < lo)
    return np.where(inside, g, 0.0), np.where(to_lo, g, 0.0), np.where(to_hi, g, 0.0)


def sinc_slope(x, out):
    """d/dx sinc(x) = (cos(pi x) - sinc(x)) / x, and 0 at x == 0 (its limit)."""
    x = np.asarray(x)
    zero = x == 0
    safe = np.where(zero, 1.0, x)
    return np.where(zero, 0.0, (np.cos(np.pi * x) - out) / safe)
