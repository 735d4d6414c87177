"""Indexing reads as a primitive: ``getitem(x, index)`` is ``x[index]``.

The adjoint scatters the cotangent into zeros of ``x``'s shape; integer-array
(fancy) indices may repeat, so they accumulate with ``np.add.at``. Boolean masks,
slices, ``None``, ``...`` and ints are all NumPy indices, handled by NumPy. The
forward rule indexes the tangent the same way.
"""
import numpy as np

from .registry import nondifferentiable, rule, tangent

__all__ = ["getitem", "index_has_array", "last_writes", "scatter_add", "written"]


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


def last_writes(shape, index):
    """Mask over the elements of ``x[index]``: True where that element is the write that
    survives in ``x[index] = v`` (NumPy keeps the last of repeated fancy positions)."""
    ids = np.full(shape, -1, np.intp)
    sel = ids[index].shape
    order = np.arange(int(np.prod(sel))).reshape(sel)
    ids[index] = order
    return ids[index] == order


def written(a, index):
    """The cotangent of the value written by ``x[index] = v`` (``a`` is x's cotangent):
    ``a[index]``, except that a position written twice through a repeated fancy index
    credits only the last write, as NumPy keeps only that one."""
    sel = a[index]
    if not index_has_array(index):
        return sel
    return np.where(last_writes(np.shape(a), index), sel, 0)


@rule(written, wrt=("a",), name="IndexBackward0")
def written_adjoint(g, out, a, index):
    return scatter_add(np.where(last_writes(a.shape, index), g, 0), a.shape, a.dtype, index)


@tangent(written)
def written_jvp(out, a, index, da):
    return written(da, index)


nondifferentiable(last_writes)
