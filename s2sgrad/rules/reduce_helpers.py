"""Helpers the reduction adjoints call: products with zeros, ties, variances, norms.

Takes: the reduced input ``a``, the reduction's output and cotangent, and NumPy's
``axis``/``keepdims`` conventions. Gives: gradients shaped like ``a``.
Invariants: pure functions; exact at zeros (``prod``, ``cumprod``), ties share
the gradient evenly (``max``/``min``, as PyTorch's full reductions and
``amax`` do), norms have gradient 0 where the norm is 0 (PyTorch).
"""
from __future__ import annotations

import numpy as np

from .helpers import expand_reduced, norm_axis

__all__ = [
    "average_grad",
    "average_weights_tangent",
    "cumprod_grad",
    "cumprod_tangent",
    "cumsum_grad",
    "exclusive_products",
    "extreme_grad",
    "masked_mean_grad",
    "norm_grad",
    "prod_grad",
    "reduced_count",
    "std_grad",
    "var_grad",
]


def reduced_count(shape: tuple, axis) -> int:
    """How many elements of an array of ``shape`` each output of a reduction sums."""
    n = 1
    for i in norm_axis(axis, len(shape)):
        n *= shape[i]
    return n


def _count(mask, axis, like):
    """How many ``mask`` entries each reduction slice holds (at least 1), in ``like``'s
    float dtype so that dividing by it keeps float32 gradients float32."""
    n = np.maximum(np.sum(mask, axis=axis, keepdims=True), 1)
    return n.astype(np.result_type(like, np.float32))


def masked_mean_grad(g, shape: tuple, axis, keepdims: bool, where):
    """Gradient of ``mean(a, axis, where=where)``: each selected element gets g / count."""
    mask = np.broadcast_to(where, shape)
    ge = expand_reduced(g, shape, axis, keepdims)
    return np.where(mask, ge / _count(mask, axis, ge), 0.0)


def exclusive_products(a, axis):
    """Each element replaced by the product of the OTHER elements of its slice.

    Left and right running products (exclusive), so any number of zeros is exact.
    """
    a = np.asarray(a)
    axes = norm_axis(axis, a.ndim)
    if not axes:
        return np.ones_like(a)
    k = a.ndim - len(axes)
    dest = tuple(range(k, a.ndim))
    moved = np.moveaxis(a, axes, dest)
    flat = moved.reshape(moved.shape[:k] + (-1,))
    left = np.ones_like(flat)
    right = np.ones_like(flat)
    if flat.shape[-1] > 1:
        left[..., 1:] = np.cumprod(flat[..., :-1], axis=-1)
        right[..., :-1] = np.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1]
    return np.moveaxis((left * right).reshape(moved.shape), dest, axes)


def prod_grad(g, a, axis, keepdims: bool):
    """Gradient of ``prod(a, axis)``, exact when the slice holds zeros."""
    return expand_reduced(g, np.shape(a), axis, keepdims) * exclusive_products(a, axis)


def extreme_grad(g, a, out, axis, keepdims: bool, where=True):
    """Gradient of ``max``/``min``: shared evenly among the elements equal to the result.

    NaN results pick the NaN elements. Elements excluded by ``where`` get nothing;
    when ``initial`` wins, no element matches and the gradient is 0.
    """
    shape = np.shape(a)
    oe = expand_reduced(out, shape, axis, keepdims)
    hit = (a == oe) | (np.isnan(a) & np.isnan(oe))
    if where is not True:
        hit = hit & where
    ge = expand_reduced(g, shape, axis, keepdims)
    return np.where(hit, ge / _count(hit, axis, ge), 0.0)


def var_grad(g, a, axis, ddof, keepdims: bool):
    """Gradient of ``var(a, axis, ddof)``: 2 (a - mean) / (N - ddof), times g."""
    a = np.asarray(a)
    n = reduced_count(a.shape, axis)
    mu = np.mean(a, axis=axis, keepdims=True)
    return expand_reduced(g, a.shape, axis, keepdims) * ((a - mu) * (2.0 / (n - ddof)))


def std_grad(g, a, out, axis, ddof, keepdims: bool):
    """Gradient of ``std``: the variance's, scaled by 1 / (2 std); 0 where std == 0."""
    zero = out == 0
    gv = np.where(zero, 0.0, g / (2 * np.where(zero, 1.0, out)))
    return var_grad(gv, a, axis, ddof, keepdims)


def _rev_cumsum(x, axis: int):
    return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)


def cumsum_grad(g, shape: tuple, axis):
    """Gradient of ``cumsum``: the reversed running sum (of the flat array if axis is None)."""
    if axis is None:
        return _rev_cumsum(np.ravel(g), 0).reshape(shape)
    return _rev_cumsum(g, axis)


def cumprod_grad(g, a, out, axis):
    """Gradient of ``cumprod``, exact with zeros.

    Before a slice's first zero the gradient is revcumsum(g * out) / a (later outputs
    are 0). At the first zero it is revcumsum(g * out'), where out' is the running
    product with that zero replaced by 1. After it, every output is 0 whatever the
    element, so the gradient is 0.
    """
    a = np.asarray(a)
    shape = a.shape
    if axis is None:
        a = a.ravel()
        g = np.ravel(g)
        out = np.ravel(out)
        axis = 0
    zero = a == 0
    seen = np.cumsum(zero, axis=axis)
    before = seen == 0
    first = zero & (seen == 1)
    res = _rev_cumsum(g * out, axis) / np.where(before, a, 1.0)
    if first.any():
        out1 = np.cumprod(np.where(first, 1.0, a), axis=axis)
        res = np.where(before, res, np.where(first, _rev_cumsum(g * out1, axis), 0.0))
    return res.reshape(shape)


def _along(w, ndim: int, axis) -> tuple:
    """Shape that lays the 1-D (or N-D) weights ``w`` along ``axis`` of an ndim array."""
    axes = norm_axis(axis, ndim)
    shape = [1] * ndim
    for i, n in zip(axes, np.shape(w)):
        shape[i] = n
    return tuple(shape)


def average_grad(g, a, out, axis, weights, keepdims: bool, returned: bool) -> tuple:
    """Gradients of ``average(a, axis, weights)`` for ``a`` and ``weights``.

    out = sum(a w) / sum(w): d/da = g w / W, d/dw = g (a - out) / W.
    """
    if returned:
        raise NotImplementedError("np.average(..., returned=True) has no gradient rule; "
                                  "compute sum(a * w) / sum(w) instead")
    a = np.asarray(a)
    if weights is None:
        n = reduced_count(a.shape, axis)
        return expand_reduced(g, a.shape, axis, keepdims) / n, None
    w = np.asarray(weights)
    wb = w if w.shape == a.shape else w.reshape(_along(w, a.ndim, axis))
    total = np.sum(wb, axis=axis, keepdims=True)
    ge = expand_reduced(g, a.shape, axis, keepdims) / total
    ga = ge * wb
    gw = ge * (a - expand_reduced(out, a.shape, axis, keepdims))
    if w.shape != a.shape:
        kept = tuple(i for i in range(a.ndim) if i not in norm_axis(axis, a.ndim))
        gw = np.sum(gw, axis=kept).reshape(w.shape)
    return ga, gw


def _vector_norm_grad(x, n, ord):
    """d|x|_ord / dx given the norm ``n`` broadcast to x's shape (0 where n == 0)."""
    safe = np.where(n == 0, 1.0, n)
    if ord is None or ord == 2:
        scale = x / safe
    elif ord == 1:
        scale = np.sign(x)
    elif ord == 0:
        scale = np.zeros_like(x)
    elif np.isinf(ord):
        # Ties share evenly, as PyTorch's inf-norm does.
        hit = np.abs(x) == n
        return np.sign(x) * hit, hit
    else:
        scale = np.sign(x) * np.abs(x) ** (ord - 1) / safe ** (ord - 1)
    return np.where(n == 0, 0.0, scale), None


def _matrix_norm_grad(g, x, out, ord, axes: tuple, keepdims: bool):
    """Gradient of a matrix norm over the two ``axes`` of x."""
    if ord in (None, "fro"):
        return _norm_over(g, x, out, None, axes, keepdims)
    r, c = axes
    xm = np.moveaxis(x, (r, c), (-2, -1))
    gm = np.asarray(g if not keepdims else np.squeeze(g, axis=axes))
    if ord in ("nuc", 2, -2):
        u, _, vt = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            res = gm[..., None, None] * (u @ vt)
        else:
            k = 0 if ord == 2 else -1
            res = gm[..., None, None] * (u[..., :, k, None] * vt[..., k, None, :])
    elif ord in (1, -1, np.inf, -np.inf):
        # 1: max over columns of the column sums of |x|; inf: over rows of row sums.
        sum_axis = -2 if ord in (1, -1) else -1
        sums = np.sum(np.abs(xm), axis=sum_axis, keepdims=True)
        pick = np.max(sums, axis=-1 - (sum_axis == -1), keepdims=True) if ord in (1, np.inf) \
            else np.min(sums, axis=-1 - (sum_axis == -1), keepdims=True)
        hit = sums == pick
        share = hit / _count(hit, (-2, -1), xm)
        res = gm[..., None, None] * np.sign(xm) * share
    else:
        raise ValueError(f"np.linalg.norm: invalid norm order {ord!r} for matrices")
    return np.moveaxis(res, (-2, -1), (r, c))


def _norm_over(g, x, out, ord, axis, keepdims: bool):
    shape = np.shape(x)
    n = expand_reduced(out, shape, axis, keepdims)
    ge = expand_reduced(g, shape, axis, keepdims)
    scale, hit = _vector_norm_grad(x, n, ord)
    if hit is not None:
        ge = ge / _count(hit, axis, ge)
    return ge * scale


def norm_grad(g, x, out, ord, axis, keepdims: bool, matrix_if_2d: bool = True):
    """Gradient of ``np.linalg.norm(x, ord, axis, keepdims)`` (vector and matrix norms).

    With ``matrix_if_2d`` False (``np.linalg.vector_norm``), ``axis=None`` means
    the flattened vector even for a matrix.
    """
    x = np.asarray(x)
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if axis is None:
        if ord is None or not matrix_if_2d or x.ndim == 1:
            return _norm_over(g, x, out, ord, None, keepdims)
        if x.ndim != 2:
            raise ValueError("np.linalg.norm: improper number of dimensions to norm")
        return _matrix_norm_grad(g, x, out, ord, (0, 1), keepdims)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 2 or not matrix_if_2d:
            return _norm_over(g, x, out, ord, tuple(axis), keepdims)
        return _matrix_norm_grad(g, x, out, ord, tuple(a % x.ndim for a in axis), keepdims)
    return _norm_over(g, x, out, ord, axis, keepdims)


def average_weights_tangent(dw, a, out, axis, weights, keepdims: bool):
    """The part of ``average(a, axis, weights)``'s tangent the weights move:
    sum((a - out) dw) / sum(w) over the averaged axes."""
    a = np.asarray(a)
    w = np.asarray(weights)
    shape = w.shape if w.shape == a.shape else _along(w, a.ndim, axis)
    total = np.sum(w.reshape(shape), axis=axis, keepdims=True)
    dev = a - expand_reduced(out, a.shape, axis, keepdims)
    res = np.sum(np.reshape(dw, shape) * dev, axis=axis, keepdims=True) / total
    return np.reshape(res, np.shape(out))


def cumprod_tangent(da, a, out, axis):
    """Tangent of ``cumprod``, exact with zeros: d out_j = d out_(j-1) a_j + out_(j-1) da_j."""
    a = np.asarray(a)
    if axis is None:
        a, da, out, axis = a.ravel(), np.ravel(da), np.ravel(out), 0
    am = np.moveaxis(a, axis, 0)
    dm = np.moveaxis(np.asarray(da), axis, 0)
    om = np.moveaxis(np.asarray(out), axis, 0)
    res = np.zeros(om.shape, np.result_type(om, dm, np.float32))
    if res.shape[0]:
        res[0] = dm[0]
    for j in range(1, res.shape[0]):
        res[j] = res[j - 1] * am[j] + om[j - 1] * dm[j]
    return np.moveaxis(res, 0, axis)
