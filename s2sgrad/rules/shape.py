"""Rules for shape and layout: reshape, transpose, concatenate, split, pad, take, sort, ...

Takes: NumPy's functions that move, copy, select or join elements without
arithmetic. Gives: their adjoints (the inverse movement of the cotangent) in
the one table, named like PyTorch's graph nodes; their forward rules are the
same movement applied to the tangent (they are linear).

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
from .registry import rule, tangent
from .shape_helpers import (
    as_input,
    check_order,
    concat_grads,
    diag_grad,
    diagonal_grad,
    diff_grad,
    diff_tangent,
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


@tangent(np.reshape)
def reshape_jvp(out, a, shape, order="C", copy=None, *, da):
    return np.reshape(da, shape, order=order)


@rule(np.ravel, name="ViewBackward0")
def ravel(g, out, a, order="C"):
    return (np.reshape(g, a.shape) if order == "C"
            else np.reshape(g, a.shape, order=check_order(order)))


@tangent(np.ravel)
def ravel_jvp(out, a, order="C", *, da):
    return np.ravel(da, order=order)


@rule(np.expand_dims, wrt=("a",), name="UnsqueezeBackward0")
def expand_dims(g, out, a, axis):
    return np.reshape(g, a.shape)


@tangent(np.expand_dims)
def expand_dims_jvp(out, a, axis, da):
    return np.expand_dims(da, axis)


@rule(np.squeeze, name="SqueezeBackward0")
def squeeze(g, out, a, axis=None):
    return np.reshape(g, a.shape)


@tangent(np.squeeze)
def squeeze_jvp(out, a, axis=None, *, da):
    return np.squeeze(da, axis)


@rule(np.atleast_1d, np.atleast_2d, np.atleast_3d, name="UnsqueezeBackward0")
def atleast_nd(g, out, a):
    # One array only: with several, NumPy returns a tuple and the call is refused.
    return np.reshape(g, a.shape)


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd_jvp(out, a, da):
    return np.reshape(da, out.shape)


@rule(np.transpose, name="PermuteBackward0")
def transpose(g, out, a, axes=None):
    return np.transpose(g) if axes is None else np.transpose(g, inverse_axes(axes, a.ndim))


@tangent(np.transpose)
def transpose_jvp(out, a, axes=None, *, da):
    return np.transpose(da, axes)


@rule(np.swapaxes, wrt=("a",), name="TransposeBackward0")
def swapaxes(g, out, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@tangent(np.swapaxes)
def swapaxes_jvp(out, a, axis1, axis2, da):
    return np.swapaxes(da, axis1, axis2)


@rule(np.moveaxis, wrt=("a",), name="PermuteBackward0")
def moveaxis(g, out, a, source, destination):
    return np.moveaxis(g, destination, source)


@tangent(np.moveaxis)
def moveaxis_jvp(out, a, source, destination, da):
    return np.moveaxis(da, source, destination)


@rule(np.broadcast_to, wrt=("array",), name="ExpandBackward0")
def broadcast_to(g, out, array, shape, subok=False):
    return unbroadcast_to(g, array.shape)


@tangent(np.broadcast_to)
def broadcast_to_jvp(out, array, shape, subok=False, *, darray):
    return np.broadcast_to(darray, shape)


@rule(np.copy, name="CloneBackward0")
def copy(g, out, a, order="K", subok=False):
    return g


@tangent(np.copy)
def copy_jvp(out, a, order="K", subok=False, *, da):
    return np.copy(da)


@rule(np.array, wrt=("object",), name="CloneBackward0")
def array(g, out, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, ndmax=0,
          like=None):
    return as_input(g, object)


@tangent(np.array)
def array_jvp(out, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, ndmax=0,
              like=None, *, dobject):
    return np.array(dobject, dtype=out.dtype, ndmin=ndmin)


@rule(np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray, wrt=("a",),
      name="ToCopyBackward0")
def asarray(g, out, a, dtype=None, order=None, device=None, copy=None, like=None):
    return as_input(g, a)


@tangent(np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray)
def asarray_jvp(out, a, dtype=None, order=None, device=None, copy=None, like=None, *, da):
    # ascontiguousarray makes a 0-d input 1-d: the tangent takes the output's shape.
    return np.reshape(np.asarray(da, dtype=out.dtype), out.shape)


# ---------------------------------------------------------------- reordering

@rule(np.flip, name="FlipBackward0")
def flip(g, out, m, axis=None):
    return np.flip(g, axis)


@tangent(np.flip)
def flip_jvp(out, m, axis=None, *, dm):
    return np.flip(dm, axis)


@rule(np.fliplr, name="FlipBackward0")
def fliplr(g, out, m):
    return np.fliplr(g)


@tangent(np.fliplr)
def fliplr_jvp(out, m, dm):
    return np.fliplr(dm)


@rule(np.flipud, name="FlipBackward0")
def flipud(g, out, m):
    return np.flipud(g)


@tangent(np.flipud)
def flipud_jvp(out, m, dm):
    return np.flipud(dm)


@rule(np.rot90, name="RotBackward0")
def rot90(g, out, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@tangent(np.rot90)
def rot90_jvp(out, m, k=1, axes=(0, 1), *, dm):
    return np.rot90(dm, k, axes)


@rule(np.roll, wrt=("a",), name="RollBackward0")
def roll(g, out, a, shift, axis=None):
    return np.roll(g, np.negative(shift), axis)


@tangent(np.roll)
def roll_jvp(out, a, shift, axis=None, *, da):
    return np.roll(da, shift, axis)


@rule(np.sort, name="SortBackward0")
def sort(g, out, a, axis=-1, kind=None, order=None, stable=None):
    return sort_grad(g, a, axis)


@tangent(np.sort)
def sort_jvp(out, a, axis=-1, kind=None, order=None, stable=None, *, da):
    # The stable order, as the adjoint sends each tie back.
    return np.take_along_axis(np.ravel(da) if axis is None else da,
                              np.argsort(a, axis=axis, kind="stable"), -1 if axis is None else axis)


# ---------------------------------------------------------------- joining and splitting

@rule(np.concatenate, wrt=("arrays",), name="CatBackward0")
def concatenate(g, out, arrays, axis=0, out_=None, dtype=None, casting="same_kind"):
    return concat_grads(g, arrays, axis)


@tangent(np.concatenate)
def concatenate_jvp(out, arrays, axis=0, out_=None, dtype=None, casting="same_kind", *, darrays):
    return np.concatenate(darrays, axis=axis)


@rule(np.stack, wrt=("arrays",), name="StackBackward0")
def stack(g, out, arrays, axis=0, out_=None, dtype=None, casting="same_kind"):
    return unstack(g, axis)


@tangent(np.stack)
def stack_jvp(out, arrays, axis=0, out_=None, dtype=None, casting="same_kind", *, darrays):
    return np.stack(darrays, axis=axis)


@rule(np.hstack, wrt=("tup",), name="CatBackward0")
def hstack(g, out, tup, dtype=None, casting="same_kind"):
    return stacked_grads(g, tup, "h")


@tangent(np.hstack)
def hstack_jvp(out, tup, dtype=None, casting="same_kind", *, dtup):
    return np.hstack(dtup)


@rule(np.vstack, wrt=("tup",), name="CatBackward0")
def vstack(g, out, tup, dtype=None, casting="same_kind"):
    return stacked_grads(g, tup, "v")


@tangent(np.vstack)
def vstack_jvp(out, tup, dtype=None, casting="same_kind", *, dtup):
    return np.vstack(dtup)


@rule(np.dstack, wrt=("tup",), name="CatBackward0")
def dstack(g, out, tup):
    return stacked_grads(g, tup, "d")


@tangent(np.dstack)
def dstack_jvp(out, tup, dtup):
    return np.dstack(dtup)


@rule(np.column_stack, wrt=("tup",), name="CatBackward0")
def column_stack(g, out, tup):
    return stacked_grads(g, tup, "c")


@tangent(np.column_stack)
def column_stack_jvp(out, tup, dtup):
    return np.column_stack(dtup)


@rule(np.append, wrt=("arr", "values"), name="CatBackward0")
def append(g, out, arr, values, axis=None):
    grads = concat_grads(g, (arr, values), axis)
    return grads[0], grads[1]


@tangent(np.append)
def append_jvp(out, arr, values, axis=None, *, darr, dvalues):
    return np.append(darr, dvalues, axis)


@rule(np.split, np.array_split, wrt=("ary",), name="SplitBackward0")
def split(g, out, ary, indices_or_sections, axis=0):
    return unsplit(g, out, axis)


@tangent(np.split, np.array_split)
def split_jvp(out, ary, indices_or_sections, axis=0, *, dary):
    return np.array_split(dary, indices_or_sections, axis)


@rule(np.hsplit, wrt=("ary",), name="SplitBackward0")
def hsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 1 if ary.ndim > 1 else 0)


@tangent(np.hsplit)
def hsplit_jvp(out, ary, indices_or_sections, dary):
    return np.hsplit(dary, indices_or_sections)


@rule(np.vsplit, wrt=("ary",), name="SplitBackward0")
def vsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 0)


@tangent(np.vsplit)
def vsplit_jvp(out, ary, indices_or_sections, dary):
    return np.vsplit(dary, indices_or_sections)


@rule(np.dsplit, wrt=("ary",), name="SplitBackward0")
def dsplit(g, out, ary, indices_or_sections):
    return unsplit(g, out, 2)


@tangent(np.dsplit)
def dsplit_jvp(out, ary, indices_or_sections, dary):
    return np.dsplit(dary, indices_or_sections)


@rule(np.unstack, name="UnbindBackward0")
def unstack_(g, out, x, axis=0):
    return restack(g, out, axis)


@tangent(np.unstack)
def unstack_jvp(out, x, axis=0, *, dx):
    return np.unstack(dx, axis=axis)


# ---------------------------------------------------------------- copies and padding

@rule(np.tile, wrt=("A",), name="RepeatBackward0")
def tile(g, out, A, reps):
    return tile_grad(g, A.shape, reps)


@tangent(np.tile)
def tile_jvp(out, A, reps, dA):
    return np.tile(dA, reps)


@rule(np.repeat, wrt=("a",), name="IndexSelectBackward0")
def repeat(g, out, a, repeats, axis=None):
    return repeat_grad(g, a.shape, repeats, axis)


@tangent(np.repeat)
def repeat_jvp(out, a, repeats, axis=None, *, da):
    return np.repeat(da, repeats, axis)


@rule(np.pad, wrt=("array",), name="ConstantPadNdBackward0")
def pad(g, out, array, pad_width, mode="constant", constant_values=0, end_values=0,
        reflect_type="even"):
    return pad_grad(g, array.shape, pad_width, mode, reflect_type)


@tangent(np.pad)
def pad_jvp(out, array, pad_width, mode="constant", constant_values=0, end_values=0,
            reflect_type="even", *, darray):
    # The padding values are constants; the other modes copy (or reflect) the input.
    return (np.pad(darray, pad_width) if mode in ("constant", "empty")
            else np.pad(darray, pad_width, mode=mode, reflect_type=reflect_type)
            if mode in ("reflect", "symmetric") else np.pad(darray, pad_width, mode=mode))


@rule(np.diff, wrt=("a", "prepend", "append"), name="DiffBackward0")
def diff(g, out, a, n=1, axis=-1, prepend=None, append=None):
    grads = diff_grad(g, a, n, axis, prepend, append)
    return grads[0], grads[1], grads[2]


@tangent(np.diff)
def diff_jvp(out, a, n=1, axis=-1, prepend=None, append=None, *, da, dprepend, dappend):
    return diff_tangent(da, n, axis, prepend, append, dprepend, dappend)


# ---------------------------------------------------------------- selecting

@rule(np.diag, name="DiagEmbedBackward0")
def diag(g, out, v, k=0):
    return diag_grad(g, v.shape, k)


@tangent(np.diag)
def diag_jvp(out, v, k=0, *, dv):
    return np.diag(dv, k)


@rule(np.diagonal, name="DiagonalBackward0")
def diagonal(g, out, a, offset=0, axis1=0, axis2=1):
    return diagonal_grad(g, a.shape, offset, axis1, axis2)


@tangent(np.diagonal)
def diagonal_jvp(out, a, offset=0, axis1=0, axis2=1, *, da):
    return np.diagonal(da, offset, axis1, axis2)


@rule(np.triu, name="TriuBackward0")
def triu(g, out, m, k=0):
    # A 1-D input is broadcast to a matrix first, so sum back to its shape.
    return unbroadcast_to(np.triu(g, k), m.shape)


@tangent(np.triu)
def triu_jvp(out, m, k=0, *, dm):
    return np.triu(dm, k)


@rule(np.tril, name="TrilBackward0")
def tril(g, out, m, k=0):
    return unbroadcast_to(np.tril(g, k), m.shape)


@tangent(np.tril)
def tril_jvp(out, m, k=0, *, dm):
    return np.tril(dm, k)


@rule(np.take, wrt=("a",), name="TakeBackward0")
def take(g, out, a, indices, axis=None, out_=None, mode="raise"):
    return take_grad(g, a.shape, indices, axis, mode)


@tangent(np.take)
def take_jvp(out, a, indices, axis=None, out_=None, mode="raise", *, da):
    return np.take(da, indices, axis=axis, mode=mode)


@rule(np.take_along_axis, wrt=("arr",), name="GatherBackward0")
def take_along_axis(g, out, arr, indices, axis=-1):
    return take_along_grad(g, arr.shape, indices, axis)


@tangent(np.take_along_axis)
def take_along_axis_jvp(out, arr, indices, axis=-1, *, darr):
    return np.take_along_axis(darr, indices, axis)


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
