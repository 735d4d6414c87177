"""Rules for reductions and scans: sum, mean, prod, max/min, var/std, cumsum, norms.

Takes: NumPy's reductions with their ``axis`` (None, int, negative, tuple) and
``keepdims`` conventions. Gives: their adjoints in the one table; the cotangent
is broadcast back with ``expand_reduced``, the subtle cases live in
``reduce_helpers``. Forward rules of linear reductions apply the reduction to
the tangent; a reduction whose outputs each read their own slice has the
tangent ``sum(adjoint(ones) * da)`` over that slice (its Jacobian row).

Adjoints that need only an input's shape spell it ``a.shape`` (``a.size``,
``a.ndim``), so the runtime keeps that metadata instead of the array.

Invariants: ``prod`` and ``cumprod`` are exact at zeros; ``max``/``min`` (and
``amax``/``amin``) share a tie evenly, PyTorch's full-reduction and ``amax``
convention (not ``torch.max(dim)``, which picks the first index); ``std`` and
``linalg.norm`` have gradient 0 where the result is 0, as PyTorch. Keyword
arguments a rule does not list (``var(..., where=...)``, ``mean=``) are
refused by the call binding rather than differentiated wrongly.
"""
import numpy as np

from .helpers import expand_reduced
from .reduce_helpers import (
    average_grad,
    average_weights_tangent,
    cumprod_grad,
    cumprod_tangent,
    cumsum_grad,
    exclusive_products,
    extreme_grad,
    masked_mean_grad,
    norm_grad,
    prod_grad,
    std_grad,
    var_grad,
)
from .registry import rule, tangent


@rule(np.sum, name="SumBackward0")
def sum_(g, out, a, axis=None, dtype=None, out_=None, keepdims=False, initial=None, where=True):
    ga = expand_reduced(g, a.shape, axis, keepdims)
    return ga if where is True else ga * where


@tangent(np.sum)
def sum_jvp(out, a, axis=None, dtype=None, out_=None, keepdims=False, initial=None, where=True,
            *, da):
    return np.sum(da, axis=axis, dtype=dtype, keepdims=keepdims, where=where)


@rule(np.mean, name="MeanBackward0")
def mean(g, out, a, axis=None, dtype=None, out_=None, keepdims=False, where=True):
    scale = np.size(out) / max(a.size, 1)
    return (expand_reduced(g, a.shape, axis, keepdims) * scale if where is True
            else masked_mean_grad(g, a.shape, axis, keepdims, where))


@tangent(np.mean)
def mean_jvp(out, a, axis=None, dtype=None, out_=None, keepdims=False, where=True, *, da):
    return np.mean(da, axis=axis, dtype=dtype, keepdims=keepdims, where=where)


@rule(np.nansum, name="NansumBackward0")
def nansum(g, out, a, axis=None, dtype=None, out_=None, keepdims=False):
    return np.where(np.isnan(a), 0.0, expand_reduced(g, np.shape(a), axis, keepdims))


@tangent(np.nansum)
def nansum_jvp(out, a, axis=None, dtype=None, out_=None, keepdims=False, *, da):
    return np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)


@rule(np.nanmean, name="NanmeanBackward0")
def nanmean(g, out, a, axis=None, dtype=None, out_=None, keepdims=False):
    return masked_mean_grad(g, a.shape, axis, keepdims, ~np.isnan(a))


@tangent(np.nanmean)
def nanmean_jvp(out, a, axis=None, dtype=None, out_=None, keepdims=False, *, da):
    return np.nanmean(np.where(np.isnan(a), np.nan, da), axis=axis, keepdims=keepdims)


@rule(np.prod, name="ProdBackward0")
def prod(g, out, a, axis=None, dtype=None, out_=None, keepdims=False):
    return prod_grad(g, a, axis, keepdims)


@tangent(np.prod)
def prod_jvp(out, a, axis=None, dtype=None, out_=None, keepdims=False, *, da):
    return np.sum(exclusive_products(a, axis) * da, axis=axis, keepdims=keepdims)


@rule(np.max, name="MaxBackward1")
def max_(g, out, a, axis=None, out_=None, keepdims=False, initial=None, where=True):
    return extreme_grad(g, a, out, axis, keepdims, where)


@tangent(np.max)
def max_jvp(out, a, axis=None, out_=None, keepdims=False, initial=None, where=True, *, da):
    row = extreme_grad(np.ones(np.shape(out)), a, out, axis, keepdims, where)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.amax, name="AmaxBackward0")
def amax(g, out, a, axis=None, out_=None, keepdims=False, initial=None, where=True):
    return extreme_grad(g, a, out, axis, keepdims, where)


@tangent(np.amax)
def amax_jvp(out, a, axis=None, out_=None, keepdims=False, initial=None, where=True, *, da):
    row = extreme_grad(np.ones(np.shape(out)), a, out, axis, keepdims, where)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.min, name="MinBackward1")
def min_(g, out, a, axis=None, out_=None, keepdims=False, initial=None, where=True):
    return extreme_grad(g, a, out, axis, keepdims, where)


@tangent(np.min)
def min_jvp(out, a, axis=None, out_=None, keepdims=False, initial=None, where=True, *, da):
    row = extreme_grad(np.ones(np.shape(out)), a, out, axis, keepdims, where)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.amin, name="AminBackward0")
def amin(g, out, a, axis=None, out_=None, keepdims=False, initial=None, where=True):
    return extreme_grad(g, a, out, axis, keepdims, where)


@tangent(np.amin)
def amin_jvp(out, a, axis=None, out_=None, keepdims=False, initial=None, where=True, *, da):
    row = extreme_grad(np.ones(np.shape(out)), a, out, axis, keepdims, where)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.ptp, name="PtpBackward0")
def ptp(g, out, a, axis=None, out_=None, keepdims=False):
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    return extreme_grad(g, a, hi, axis, keepdims) - extreme_grad(g, a, lo, axis, keepdims)


@tangent(np.ptp)
def ptp_jvp(out, a, axis=None, out_=None, keepdims=False, *, da):
    one = np.ones(np.shape(out))
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    row = extreme_grad(one, a, hi, axis, keepdims) - extreme_grad(one, a, lo, axis, keepdims)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.var, name="VarBackward0")
def var(g, out, a, axis=None, dtype=None, out_=None, ddof=0, keepdims=False, correction=None):
    return var_grad(g, a, axis, ddof if correction is None else correction, keepdims)


@tangent(np.var)
def var_jvp(out, a, axis=None, dtype=None, out_=None, ddof=0, keepdims=False, correction=None,
            *, da):
    row = var_grad(np.ones(np.shape(out)), a, axis, ddof if correction is None else correction,
                   keepdims)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.std, name="StdBackward0")
def std(g, out, a, axis=None, dtype=None, out_=None, ddof=0, keepdims=False, correction=None):
    return std_grad(g, a, out, axis, ddof if correction is None else correction, keepdims)


@tangent(np.std)
def std_jvp(out, a, axis=None, dtype=None, out_=None, ddof=0, keepdims=False, correction=None,
            *, da):
    row = std_grad(np.ones(np.shape(out)), a, out, axis,
                   ddof if correction is None else correction, keepdims)
    return np.sum(row * da, axis=axis, keepdims=keepdims)


@rule(np.average, wrt=("a", "weights"), name="AverageBackward0")
def average(g, out, a, axis=None, weights=None, returned=False, keepdims=False):
    grads = average_grad(g, a, out, axis, weights, keepdims, returned)
    return grads[0], grads[1]


@tangent(np.average)
def average_jvp(out, a, axis=None, weights=None, returned=False, keepdims=False, *, da,
                dweights):
    row = average_grad(np.ones(np.shape(out)), a, out, axis, weights, keepdims, returned)[0]
    return (np.sum(row * da, axis=axis, keepdims=keepdims)
            + average_weights_tangent(dweights, a, out, axis, weights, keepdims))


@rule(np.cumsum, name="CumsumBackward0")
def cumsum(g, out, a, axis=None, dtype=None, out_=None):
    return cumsum_grad(g, a.shape, axis)


@tangent(np.cumsum)
def cumsum_jvp(out, a, axis=None, dtype=None, out_=None, *, da):
    return np.cumsum(da, axis=axis)


@rule(np.cumprod, name="CumprodBackward0")
def cumprod(g, out, a, axis=None, dtype=None, out_=None):
    return cumprod_grad(g, a, out, axis)


@tangent(np.cumprod)
def cumprod_jvp(out, a, axis=None, dtype=None, out_=None, *, da):
    return cumprod_tangent(da, a, out, axis)


@rule(np.linalg.norm, name="LinalgVectorNormBackward0")
def norm(g, out, x, ord=None, axis=None, keepdims=False):
    return norm_grad(g, x, out, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_jvp(out, x, ord=None, axis=None, keepdims=False, *, dx):
    row = norm_grad(np.ones(np.shape(out)), x, out, ord, axis, keepdims)
    return np.sum(row * dx, axis=axis if axis is None else tuple(np.ravel(axis)),
                  keepdims=keepdims)


@rule(np.linalg.vector_norm, name="LinalgVectorNormBackward0")
def vector_norm(g, out, x, axis=None, keepdims=False, ord=2):
    return norm_grad(g, x, out, ord, axis, keepdims, False)


@tangent(np.linalg.vector_norm)
def vector_norm_jvp(out, x, axis=None, keepdims=False, ord=2, *, dx):
    row = norm_grad(np.ones(np.shape(out)), x, out, ord, axis, keepdims, False)
    return np.sum(row * dx, axis=axis if axis is None else tuple(np.ravel(axis)),
                  keepdims=keepdims)


@rule(np.linalg.matrix_norm, name="LinalgMatrixNormBackward0")
def matrix_norm(g, out, x, keepdims=False, ord="fro"):
    return norm_grad(g, x, out, ord, (-2, -1), keepdims)


@tangent(np.linalg.matrix_norm)
def matrix_norm_jvp(out, x, keepdims=False, ord="fro", *, dx):
    row = norm_grad(np.ones(np.shape(out)), x, out, ord, (-2, -1), keepdims)
    return np.sum(row * dx, axis=(-2, -1), keepdims=keepdims)
