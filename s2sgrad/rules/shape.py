"""Rules for shape and layout: reshape, transpose, concatenate, split, pad, take, sort, ...

Takes: NumPy's functions that move, copy, select or join elements without
arithmetic. Gives: their adjoints (the inverse movement of the cotangent) in
the one table, named like PyTorch's graph nodes.

Conventions the drivers rely on:
* A **sequence parameter** (``concatenate``'s ``arrays``, ``stack``'s, the
  ``tup`` of ``hstack``/``vstack``/``dstack``/``column_stack``) gets a tuple of
  gradients, one per element in order, each shaped like that element. The
  names of those parameters are listed in ``SEQUENCE_PARAMS`` (primal -> names).
* A **multi-output** primal (``split``, ``array_split``, ``hsplit``,
  ``vsplit``, ``dsplit``, ``unstack``) gets ``out`` and ``g`` as sequences
  aligned with its outputs; a ``g`` entry may be ``None`` (read as zeros).
  NumPy returns a list from the ``split`` family and a tuple from ``unstack``.
* Integer arguments (indices, repeats, shapes) are never differentiated.
* Adjoints that need only an input's shape spell it ``a.shape``/``a.ndim``, so
  the runtime keeps that metadata instead of the array.
"""
import numpy as np

from .helpers import unbroadcast_to
from .registry import rule
from .shape_helpers import (
    as_input,
    check_order,
    concat_grads,
    diag_grad,
    diagonal_grad,
    diff_grad,
    inverse_axes,
    pad_grad,
    repeat_grad,
    restack,
    sort_grad,
    stacked_grads,
    take_along_grad,
    take_grad,
    tile_grad,
    unsplit,
    unstack,
)

__all__ = ["SEQUENCE_PARAMS", "sequence_params"]


# ---------------------------------------------------------------- same elements, new shape

@rule(np.reshape, wrt=("a",), name="ViewBackward0")
def reshape(g, out, a, shape, order="C", copy=None):
    return (np.reshape(g, a.shape) if order == "C"
            else np.reshape(g, a.shape, order=check_order(order)))


@rule(np.ravel, name="ViewBackward0")
def ravel(g, out, a, order="C"):
    return (np.reshape(g, a.shape) if order == "C"
            else np.reshape(g, a.shape, order=check_order(order)))


@rule(np.expand_dims, wrt=("a",), name="UnsqueezeBackward0")
def expand_dims(g, out, a, axis):
    return np.reshape(g, a.shape)


@rule(np.squeeze, name="SqueezeBackward0")
def squeeze(g, out, a, axis=None):
    return np.reshape(g, a.shape)


@rule(np.atleast_1d, np.atleast_2d, np.atleast_3d, name="UnsqueezeBackward0")
def atleast_nd(g, out, a):
    # One array only: with several, NumPy returns a tuple and the call is refused.
    return np.reshape(g, a.shape)


@rule(np.transpose, name="PermuteBackward0")
def transpose(g, out, a, axes=None):
    return np.transpose(g) if axes is None else np.transpose(g, inverse_axes(axes, a.ndim))


@rule(np.swapaxes, wrt=("a",), name="TransposeBackward0")
def swapaxes(g, out, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@rule(np.moveaxis, wrt=("a",), name="PermuteBackward0")
def moveaxis(g, out, a, source, destination):
    return np.moveaxis(g, destination, source)


@rule(np.broadcast_to, wrt=("array",), name="ExpandBackward0")
def broadcast_to(g, out, array, shape, subok=False):
    return unbroadcast_to(g, array.shape)


@rule(np.copy, name="CloneBackward0")
def copy(g, out, a, order="K", subok=False):
    return g


@rule(np.array, wrt=("object",), name="CloneBackward0")
def array(g, out, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, ndmax=0,
          like=None):
    return as_input(g, object)


@rule(np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray, wrt=("a",),
      name="ToCopyBackward0")
def asarray(g, out, a, dtype=None, order=None, device=None, copy=None, like=None):
    return as_input(g, a)


# ---------------------------------------------------------------- reordering

@rule(np.flip, name="FlipBackward0")
def flip(g, out, m, axis=None):
    return np.flip(g, axis)


@rule(np.fliplr, name="FlipBackward0")
def fliplr(g, out, m):
    return np.fliplr(g)


@rule(np.flipud, name="FlipBackward0")
def flipud(g, out, m):
    return np.flipud(g)


@rule(np.rot90, name="RotBackward0")
def rot90(g, out, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@rule(np.roll, wrt=("a",), name="RollBackward0")
def roll(g, out, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@rule(np.sort, name="SortBackward0")
def sort(g, out, a, axis=-1, kind=None, order=None, stable=None):
    return sort_grad(g, a, axis)


# ---------------------------------------------------------------- joining and splitting

@rule(np.concatenate, wrt=("arrays",), name="CatBackward0")
def concatenate(g, out, arrays, axis=0, out_=None, dtype=None, casting="same_kind"):
    return concat_grads(g, arrays, axis)


@rule(np.stack, wrt=("arrays",), name="StackBackward0")
def stack(g, out, arrays, axis=0, out_=None, dtype=None, casting="same_kind"):
    return unstack(g, axis)


@rule(np.hstack, wrt=("tup",), name="CatBackward0")
def hstack(g, out, tup, dtype=None, casting="same_kind"):
    return stacked_grads(g, tup, "h")


@rule(np.vstack, wrt=("tup",), name="CatBackward0")
def vstack(g, out, tup, dtype=None, casting="same_kind"):
    return stacked_grads(g, tup, "v")


@rule(np.dstack, wrt=("tup",), name="CatBackward0")
def dstack(g, out, tup):
    return stacked_grads(g, tup, "d")


@rule(np.column_stack, wrt=("tup",), name="CatBackward0")
def column_stack(g, out, tup):
    return stacked_grads(g, tup, "c")


@rule(np.append, wrt=("arr", "values"), name="CatBackward0")
def append(g, out, arr, values, axis=None):
    grads = concat_grads(g, (arr, values), axis)
    return grads[0], grads[1]


@rule(np.split, np.array_split, wrt=("ary",), name="SplitBackward0")
def split(g, out, ary, indices_or_sections, axis=0):
    return unsplit(g, out, axis)


@rule(np.hsplit, wrt=("ary",), name="SplitBackward0")
def hsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 1 if ary.ndim > 1 else 0)


@rule(np.vsplit, wrt=("ary",), name="SplitBackward0")
def vsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 0)


@rule(np.dsplit, wrt=("ary",), name="SplitBackward0")
def dsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 2)


@rule(np.unstack, name="UnbindBackward0")
def unstack_(g, out, x, axis=0):
    return restack(g, out, axis)


# ---------------------------------------------------------------- copies and padding

@rule(np.tile, wrt=("A",), name="RepeatBackward0")
def tile(g, out, A, reps):
    return tile_grad(g, A.shape, reps)


@rule(np.repeat, wrt=("a",), name="IndexSelectBackward0")
def repeat(g, out, a, repeats, axis=None):
    return repeat_grad(g, a.shape, repeats, axis)


@rule(np.pad, wrt=("array",), name="ConstantPadNdBackward0")
def pad(g, out, array, pad_width, mode="constant", constant_values=0, end_values=0,
        reflect_type="even"):
    return pad_grad(g, array.shape, pad_width, mode, reflect_type)


@rule(np.diff, wrt=("a", "prepend", "append"), name="DiffBackward0")
def diff(g, out, a, n=1, axis=-1, prepend=None, append=None):
    grads = diff_grad(g, a, n, axis, prepend, append)
    return grads[0], grads[1], grads[2]


# ---------------------------------------------------------------- selecting

@rule(np.diag, name="DiagEmbedBackward0")
def diag(g, out, v, k=0):
    return diag_grad(g, v.shape, k)


@rule(np.diagonal, name="DiagonalBackward0")
def diagonal(g, out, a, offset=0, axis1=0, axis2=1):
    return diagonal_grad(g, a.shape, offset, axis1, axis2)


@rule(np.triu, name="TriuBackward0")
def triu(g, out, m, k=0):
    # A 1-D input is broadcast to a matrix first, so sum back to its shape.
    return unbroadcast_to(np.triu(g, k), m.shape)


@rule(np.tril, name="TrilBackward0")
def tril(g, out, m, k=0):
    return unbroadcast_to(np.tril(g, k), m.shape)


@rule(np.take, wrt=("a",), name="TakeBackward0")
def take(g, out, a, indices, axis=None, out_=None, mode="raise"):
    return take_grad(g, a.shape, indices, axis, mode)


@rule(np.take_along_axis, wrt=("arr",), name="GatherBackward0")
def take_along_axis(g, out, arr, indices, axis=-1):
    return take_along_grad(g, arr.shape, indices, axis)


# ---------------------------------------------------------------- the sequence convention

SEQUENCE_PARAMS = {
    np.concatenate: ("arrays",), np.stack: ("arrays",), np.hstack: ("tup",),
    np.vstack: ("tup",), np.dstack: ("tup",), np.column_stack: ("tup",),
}


def sequence_params(primal) -> tuple:
    """Names of ``primal``'s parameters that take a sequence of arrays (``()`` if none)."""
    for p, names in SEQUENCE_PARAMS.items():
        if p is primal:
            return names
    return ()
