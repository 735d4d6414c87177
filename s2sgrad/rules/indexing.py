"""Indexing reads as a primitive: ``getitem(x, index)`` is ``x[index]``.

The adjoint scatters the cotangent into zeros of ``x``'s shape; integer-array
(fancy) indices may repeat, so they accumulate with ``np.add.at``. Boolean masks,
slices, ``None``, ``...`` and ints are all NumPy indices, handled by NumPy. The
forward rule indexes the tangent the same way.
"""
import numpy as np

from .registry import rule, tangent

__all__ = ["getitem", "index_has_array", "scatter_add"]


def getitem(x, index):
    """``x[index]`` (a function, so the rule table can name it)."""
    return x[index]


def index_has_array(index) -> bool:
    """True when ``index`` contains an integer array (so positions may repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) and np.asarray(p).dtype.kind in "iu"
               for p in parts)


def scatter_add(g, shape, dtype, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    z = np.zeros(shape, dtype)
    if index_has_array(index):
        np.add.at(z, index, g)
    else:
        z[index] = g
    return z


@rule(getitem, wrt=("x",), name="SelectBackward0")
def getitem_adjoint(g, out, x, index):
    return scatter_add(g, x.shape, x.dtype, index)


@tangent(getitem)
def getitem_jvp(out, x, index, dx):
    return dx[index]
