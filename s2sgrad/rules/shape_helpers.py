"""Helpers the shape adjoints call: scatters, splits and the inverses of layouts.

Takes: a cotangent ``g`` and what the primal was called with. Gives: gradients
shaped like the primal's inputs (a tuple with one entry per element for a
sequence argument such as ``concatenate``'s ``arrays``).
Invariants: pure functions; repeated indices accumulate (``np.add.at``);
a gradient is either built fresh in a float dtype or is a view of ``g``.
"""
from __future__ import annotations

import numpy as np

from .helpers import unbroadcast_to

__all__ = [
    "as_input",
    "check_order",
    "concat_grads",
    "diag_grad",
    "diagonal_grad",
    "diff_grad",
    "diff_tangent",
    "inverse_axes",
    "pad_grad",
    "repeat_grad",
    "restack",
    "sort_grad",
    "stacked_grads",
    "take_along_grad",
    "take_grad",
    "tile_grad",
    "trace_grad",
    "unsplit",
    "unstack",
]


def _zeros(shape, g):
    return np.zeros(shape, np.result_type(g, np.float32))


def check_order(order):
    """``order`` for reshaping a gradient back: 'C' or 'F'.

    'A' and 'K' depend on the input's memory layout, which the adjoint does not
    keep (it keeps the shape only), so they are refused rather than guessed.
    """
    if order is None:
        return "C"
    if order not in ("C", "F"):
        raise NotImplementedError(f"reshape/ravel with order={order!r} has no gradient rule "
                                  "(it depends on memory layout); use order='C' or 'F'")
    return order


def inverse_axes(axes, ndim: int) -> tuple:
    """The permutation that undoes ``transpose(x, axes)``."""
    return tuple(int(i) for i in np.argsort([int(a) % ndim for a in axes]))


def as_input(g, a):
    """``g`` with the shape of ``a`` (``ndmin`` may have added axes) and its float dtype."""
    g = np.reshape(g, np.shape(a))
    dt = getattr(a, "dtype", None)
    if dt is not None and dt.kind == "f" and g.dtype != dt:
        g = g.astype(dt)
    return g


def _split_along(g, shapes: list, axis: int) -> tuple:
    bounds = np.cumsum([s[axis] for s in shapes])[:-1]
    return tuple(np.split(g, bounds, axis=axis))


def concat_grads(g, arrays, axis) -> tuple:
    """One gradient per element of ``concatenate(arrays, axis)`` (axis None: flattened)."""
    shapes = [np.shape(x) for x in arrays]
    if axis is None:
        flat = _split_along(np.ravel(g), [(int(np.prod(s)),) for s in shapes], 0)
        return tuple(p.reshape(s) for p, s in zip(flat, shapes))
    return _split_along(g, shapes, axis % np.ndim(g))


def stacked_grads(g, arrays, how: str) -> tuple:
    """Gradients for ``hstack``/``vstack``/``dstack``/``column_stack`` of ``arrays``.

    Each promotes its inputs (atleast_1d/2d/3d, or 1-D to a column) and
    concatenates; the gradient is split the same way and reshaped back.
    """
    shapes = [np.shape(x) for x in arrays]
    if how == "h":
        promoted = [s if len(s) else (1,) for s in shapes]
        axis = 0 if len(promoted[0]) == 1 else 1
    elif how == "v":
        promoted = [np.atleast_2d(np.empty(s, np.bool_)).shape for s in shapes]
        axis = 0
    elif how == "d":
        promoted = [np.atleast_3d(np.empty(s, np.bool_)).shape for s in shapes]
        axis = 2
    else:
        promoted = [s if len(s) >= 2 else (int(np.prod(s)), 1) for s in shapes]
        axis = 1
    parts = _split_along(g, promoted, axis)
    return tuple(p.reshape(s) for p, s in zip(parts, shapes))


def unstack(g, axis: int) -> tuple:
    """The gradients of ``stack(arrays, axis)``: the slices of ``g`` along ``axis``."""
    return tuple(np.moveaxis(g, axis, 0))


def unsplit(g, out, axis: int):
    """The gradient of a split: the cotangents joined back (a missing one is zeros)."""
    parts = [np.zeros(np.shape(o), np.result_type(o, np.float32)) if gi is None else gi
             for gi, o in zip(g, out)]
    return np.concatenate(parts, axis=axis)


def restack(g, out, axis: int):
    """The gradient of ``unstack``: the cotangents stacked back (a missing one is zeros)."""
    parts = [np.zeros(np.shape(o), np.result_type(o, np.float32)) if gi is None else gi
             for gi, o in zip(g, out)]
    return np.stack(parts, axis=axis)


def tile_grad(g, shape: tuple, reps):
    """Gradient of ``tile``: sum the copies, viewing the output as (rep, size) pairs."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    d = max(len(reps), len(shape))
    sp = (1,) * (d - len(shape)) + tuple(shape)
    rp = (1,) * (d - len(reps)) + reps
    pairs = tuple(n for pair in zip(rp, sp) for n in pair)
    return np.reshape(g, pairs).sum(axis=tuple(range(0, 2 * d, 2))).reshape(shape)


def repeat_grad(g, shape: tuple, repeats, axis):
    """Gradient of ``repeat``: each element collects the cotangents of its copies."""
    if axis is None:
        shape_ = (int(np.prod(shape)),)
        axis = 0
    else:
        shape_ = tuple(shape)
        axis = axis % len(shape_)
    gm = np.moveaxis(np.asarray(g), axis, 0)
    n = shape_[axis]
    rep = np.asarray(repeats)
    if rep.size == 1:
        res = gm.reshape((n, int(rep.reshape(()))) + gm.shape[1:]).sum(axis=1)
    else:
        res = _zeros((n,) + gm.shape[1:], g)
        np.add.at(res, np.repeat(np.arange(n), rep), gm)
    return np.moveaxis(res, 0, axis).reshape(shape)


def pad_grad(g, shape: tuple, pad_width, mode, reflect_type="even"):
    """Gradient of ``np.pad``: the interior slice (constant), or the scatter of an
    index array padded the same way (edge, reflect, symmetric, wrap)."""
    if not isinstance(mode, str):
        raise NotImplementedError("np.pad with a callable mode has no gradient rule")
    if mode in ("constant", "empty"):
        # Every spelling NumPy accepts (int, (p,), (b, a), ((b, a), ...)) broadcasts.
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (len(shape), 2))
        return g[tuple(slice(int(b), int(b) + n) for (b, _), n in zip(pw, shape))]
    if mode in ("edge", "reflect", "symmetric", "wrap") and reflect_type == "even":
        size = int(np.prod(shape))
        idx = np.pad(np.arange(size).reshape(shape), pad_width, mode=mode)
        res = np.bincount(idx.ravel(), weights=np.ravel(g), minlength=size)
        return res.astype(np.result_type(g, np.float32)).reshape(shape)
    raise NotImplementedError(f"np.pad(mode={mode!r}, reflect_type={reflect_type!r}) has no "
                              "gradient rule (constant, edge, reflect, symmetric, wrap have)")


def diag_grad(g, shape: tuple, k: int):
    """Gradient of ``np.diag``: read the k-th diagonal (1-D input) or scatter onto it."""
    if len(shape) == 1:
        return np.diagonal(g, k).copy()
    res = _zeros(shape, g)
    n = np.shape(g)[0]
    i = np.arange(n)
    res[i + max(-k, 0), i + max(k, 0)] = g
    return res


def diagonal_grad(g, shape: tuple, offset: int, axis1: int, axis2: int):
    """Gradient of ``np.diagonal``: ``g`` (diagonal last) written onto that diagonal."""
    nd = len(shape)
    res = _zeros(shape, g)
    moved = np.moveaxis(res, (axis1 % nd, axis2 % nd), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    moved[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return res


def trace_grad(g, shape: tuple, offset: int, axis1: int, axis2: int):
    """Gradient of ``np.trace``: ``g`` spread along the summed diagonal."""
    n1, n2 = shape[axis1], shape[axis2]
    n = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    g = np.asarray(g)
    return diagonal_grad(np.broadcast_to(g[..., None], g.shape + (n,)), shape, offset,
                         axis1, axis2)


def take_grad(g, shape: tuple, indices, axis, mode):
    """Gradient of ``np.take``: scatter-add ``g`` at the (wrapped or clipped) indices."""
    idx = np.asarray(indices)
    n = int(np.prod(shape)) if axis is None else shape[axis]
    if mode == "wrap":
        idx = np.mod(idx, n)
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    if axis is None:
        res = _zeros(n, g)
        np.add.at(res, idx, g)
        return res.reshape(shape)
    res = _zeros(shape, g)
    np.add.at(res, (slice(None),) * (axis % len(shape)) + (idx,), g)
    return res


def take_along_grad(g, shape: tuple, indices, axis):
    """Gradient of ``np.take_along_axis``: scatter-add ``g`` along ``axis``."""
    if axis is None:
        res = _zeros(int(np.prod(shape)), g)
        np.add.at(res, indices, g)
        return res.reshape(shape)
    nd = len(shape)
    axis = axis % nd
    gshape = np.shape(g)
    index = []
    for d in range(nd):
        if d == axis:
            index.append(indices)
            continue
        n = gshape[d]
        ar = np.arange(n) if shape[d] == n else np.zeros(n, np.intp)
        index.append(ar.reshape([-1 if e == d else 1 for e in range(nd)]))
    res = _zeros(shape, g)
    np.add.at(res, tuple(index), g)
    return res


def sort_grad(g, a, axis):
    """Gradient of ``np.sort``: ``g`` sent back to where each sorted element came from."""
    a = np.asarray(a)
    if axis is None:
        res = _zeros(a.size, g)
        res[np.argsort(a, axis=None, kind="stable")] = np.ravel(g)
        return res.reshape(a.shape)
    res = _zeros(a.shape, g)
    np.put_along_axis(res, np.argsort(a, axis=axis, kind="stable"), g, axis)
    return res


def _diff_parts(a, axis: int, prepend, append):
    shapes = []
    for extra in (prepend, append):
        if extra is None:
            shapes.append(None)
        else:
            s = list(np.shape(a))
            s[axis] = 1 if np.ndim(extra) == 0 else np.shape(extra)[axis]
            shapes.append(tuple(s))
    return shapes


def diff_grad(g, a, n: int, axis: int, prepend, append) -> tuple:
    """Gradients of ``np.diff(a, n, axis, prepend, append)`` for a, prepend, append.

    One difference step maps c (length m+1) to c[1:] - c[:-1]; its adjoint adds g
    to c[1:] and subtracts it from c[:-1]. ``n`` steps are undone in reverse.
    """
    axis = axis % np.ndim(a)
    gc = np.moveaxis(np.asarray(g), axis, 0)
    for _ in range(n):
        nxt = _zeros((gc.shape[0] + 1,) + gc.shape[1:], gc)
        nxt[1:] += gc
        nxt[:-1] -= gc
        gc = nxt
    gc = np.moveaxis(gc, 0, axis)
    pre_shape, app_shape = _diff_parts(a, axis, prepend, append)
    shapes = [s for s in (pre_shape, np.shape(a), app_shape) if s is not None]
    parts = list(_split_along(gc, shapes, axis))
    gpre = unbroadcast_to(parts.pop(0), np.shape(prepend)) if prepend is not None else None
    ga = parts.pop(0)
    gapp = unbroadcast_to(parts.pop(0), np.shape(append)) if append is not None else None
    return ga, gpre, gapp


def diff_tangent(da, n: int, axis: int, prepend, append, dprepend, dappend):
    """Tangent of ``np.diff(a, n, axis, prepend, append)``: the same differences of the
    tangents (``diff`` is linear), with the ends given only where the primal had them."""
    kw = {}
    if prepend is not None:
        kw["prepend"] = dprepend
    if append is not None:
        kw["append"] = dappend
    return np.diff(da, n, axis, **kw)
