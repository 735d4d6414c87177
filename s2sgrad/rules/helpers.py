"""Small array helpers that adjoint templates and both drivers call.

Takes: NumPy arrays and Python scalars. Gives: arrays shaped for an input.
Invariant: every helper is a pure function of its arguments, so generated code
may call it freely and a later pass may differentiate through it again.
"""
from __future__ import annotations

import numpy as np

__all__ = ["unbroadcast", "unbroadcast_to", "expand_reduced", "shape_of", "norm_axis",
           "zeros_of", "ArrayMeta"]


class ArrayMeta:
    """Stands in for a saved array whose adjoint reads only its shape, dtype, ndim, size.

    Both drivers keep one instead of the array (the runtime in a node, the compiler
    on its tape), so memory is not held for values the gradient never reads.
    """

    __slots__ = ("dtype", "ndim", "shape", "size")

    def __init__(self, a):
        self.shape = a.shape
        self.dtype = a.dtype
        self.ndim = a.ndim
        self.size = a.size


def shape_of(x) -> tuple:
    """Shape of an array or scalar (``()`` for Python numbers)."""
    return getattr(x, "shape", ())


def unbroadcast_to(g, shape: tuple):
    """Sum ``g`` over the axes that broadcasting added or stretched to reach ``shape``."""
    gshape = np.shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def unbroadcast(g, x):
    """Gradient ``g`` reduced to the shape (and kind) of the input ``x``.

    A Python number gets a Python float back; an array input an array of its
    shape. This is the one place broadcasting is undone.
    """
    if isinstance(x, np.ndarray):
        if np.shape(g) != x.shape:
            g = unbroadcast_to(g, x.shape)
        return g
    if isinstance(x, (bool, int, float, np.number)):
        return float(np.sum(g))
    return unbroadcast_to(g, np.shape(x))


def norm_axis(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, possibly negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim for a in axis)) if ndim else ()
    return (axis % ndim,) if ndim else ()


def expand_reduced(g, shape: tuple, axis, keepdims: bool):
    """Broadcast a reduction's cotangent ``g`` back to the reduced input's ``shape``."""
    if axis is None:
        if getattr(g, "ndim", None) != 0:
            return np.full(shape, g)
        out = np.empty(shape, g.dtype)  # np.full costs twice as much for a NumPy scalar
        out.fill(g)
        return out
    g = np.asarray(g)
    if not keepdims and len(shape):
        g = np.expand_dims(g, norm_axis(axis, len(shape)))
    return np.broadcast_to(g, shape)


def zeros_of(x):
    """A zero gradient shaped like ``x`` (float dtype)."""
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, x.dtype if x.dtype.kind == "f" else np.float64)
    return 0.0
