"""More primitives PyTorch has and NumPy lacks, each with its adjoint and forward rule.

Takes nothing; gives plain NumPy functions for ``erfc``, ``erfinv``, ``logit``,
``xlogy``, ``nan_to_num``, the fused ``addmm``/``addmv``/``baddbmm`` (one primitive)
and ``addbmm``, ``addcmul``/``addcdiv``, ``clamp_min``/``clamp_max`` with a tensor
bound, ``cross``, ``cummax``/``cummin`` (``cum_extreme``), ``logcumsumexp``,
order statistics along a dim (``kth_dim``: kthvalue, median, nanmedian) and over
everything (``kth_all``), ``var_mean``/``std_mean``, ``diag_embed``, ``unfold``,
``index_add``/``index_copy``/``index_fill``, ``scatter_add`` and ``index_put``
with accumulation. Gradients follow PyTorch's conventions (``logit`` with ``eps``
is 0 outside the clamp; ``xlogy`` has no gradient for ``x`` where ``x == 0``;
``nan_to_num`` passes the gradient where the input was finite).
Invariant: adjoints are template-safe and call only covered callables.
"""
import math

import numpy as np

from .helpers import expand_reduced, unbroadcast_to
from .indexing import scatter_add
from .registry import nondifferentiable, rule, tangent
from .shape_helpers import take_grad
from .torchlike import (TWO_OVER_SQRT_PI, erf, gather, gather_index, leading, put_along,
                        setitem, sort_order, take_at)

_ERFC = np.frompyfunc(math.erfc, 1, 1)
HALF_SQRT_PI = math.sqrt(math.pi) / 2


def _float_of(x):
    a = np.asarray(x)
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)


def erfc(x):
    """``1 - erf(x)`` from the C library's ``erfc`` (no cancellation for large ``x``)."""
    a = np.asarray(x)
    return np.asarray(_ERFC(a), dtype=np.float64).astype(_float_of(a), copy=False)


@rule(erfc, name="ErfcBackward0")
def erfc_adjoint(g, out, x):
    return g * (-TWO_OVER_SQRT_PI * np.exp(-x * x))


@tangent(erfc)
def erfc_jvp(out, x, dx):
    return dx * (-TWO_OVER_SQRT_PI * np.exp(-x * x))


def erfinv(x):
    """The inverse error function: Giles' single-precision approximation polished by
    two Newton steps on ``erf`` in float64; +-inf at +-1, NaN outside [-1, 1]."""
    a = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - a) * (1.0 + a))
        small = w < 5.0
        ws = w - 2.5
        wl = np.sqrt(np.where(small, 5.0, w)) - 3.0
        ps = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            ps = c + ps * ws
        pl = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            pl = c + pl * wl
        y = np.where(small, ps, pl) * a
        for _ in range(2):
            y = y - (np.asarray(erf(y), np.float64) - a) / (TWO_OVER_SQRT_PI * np.exp(-y * y))
        y = np.where(np.abs(a) == 1, np.sign(a) * np.inf, y)
        y = np.where(np.abs(a) > 1, np.nan, y)
    return y.astype(_float_of(x), copy=False)


@rule(erfinv, name="ErfinvBackward0")
def erfinv_adjoint(g, out, x):
    return g * (HALF_SQRT_PI * np.exp(out * out))


@tangent(erfinv)
def erfinv_jvp(out, x, dx):
    return dx * (HALF_SQRT_PI * np.exp(out * out))


def logit(x, eps=None):
    """``log(z / (1 - z))`` with ``z`` = ``x`` clamped to ``[eps, 1 - eps]`` when given."""
    z = x if eps is None else np.clip(x, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(z / (1 - z))


@rule(logit, wrt=("x",), name="LogitBackward0")
def logit_adjoint(g, out, x, eps=None):
    inside = True if eps is None else (x >= eps) & (x <= 1 - eps)
    return np.where(inside, g / (x * (1 - x)), 0.0)


@tangent(logit)
def logit_jvp(out, x, eps=None, *, dx):
    inside = True if eps is None else (x >= eps) & (x <= 1 - eps)
    return np.where(inside, dx / (x * (1 - x)), 0.0)


def xlogy(x, y):
    """``x * log(y)``, 0 where ``x == 0`` unless ``y`` is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(np.asarray(x) == 0, 0.0, np.multiply(x, np.log(y)))
    return np.where(np.isnan(y), np.nan, r).astype(np.result_type(x, y, np.float16),
                                                   copy=False)


@rule(xlogy, broadcast=True, name="XlogyBackward0")
def xlogy_adjoint(g, out, x, y):
    return g * np.where(x == 0, 0.0, np.log(y)), g * x / y


@tangent(xlogy)
def xlogy_jvp(out, x, y, dx, dy):
    return dx * np.where(x == 0, 0.0, np.log(y)) + dy * x / y


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@rule(nan_to_num, wrt=("x",), name="NanToNumBackward0")
def nan_to_num_adjoint(g, out, x, nan=0.0, posinf=None, neginf=None):
    return g * np.isfinite(x)


@tangent(nan_to_num)
def nan_to_num_jvp(out, x, nan=0.0, posinf=None, neginf=None, *, dx):
    return dx * np.isfinite(x)


# ---------------------------------------------------------------- fused products

def addmm(input, mat1, mat2, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``: ``addmm``, ``addmv`` and ``baddbmm``."""
    return beta * input + alpha * np.matmul(mat1, mat2)


@rule(addmm, wrt=("input", "mat1", "mat2"), broadcast=True, name="AddmmBackward0")
def addmm_adjoint(g, out, input, mat1, mat2, beta=1, alpha=1):
    m2 = mat2[:, None] if mat2.ndim == 1 else mat2
    g2 = np.expand_dims(g, -1) if mat2.ndim == 1 else g
    return (g * beta, alpha * unbroadcast_to(g2 @ np.swapaxes(m2, -1, -2), mat1.shape),
            alpha * np.reshape(np.swapaxes(mat1, -1, -2) @ g2, mat2.shape))


@tangent(addmm)
def addmm_jvp(out, input, mat1, mat2, beta=1, alpha=1, *, dinput, dmat1, dmat2):
    return beta * dinput + alpha * (dmat1 @ mat2) + alpha * (mat1 @ dmat2)


def addbmm(input, batch1, batch2, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return beta * input + alpha * np.sum(np.matmul(batch1, batch2), axis=0)


@rule(addbmm, wrt=("input", "batch1", "batch2"), broadcast=True, name="AddbmmBackward0")
def addbmm_adjoint(g, out, input, batch1, batch2, beta=1, alpha=1):
    return (g * beta, alpha * (g[None] @ np.swapaxes(batch2, -1, -2)),
            alpha * (np.swapaxes(batch1, -1, -2) @ g[None]))


@tangent(addbmm)
def addbmm_jvp(out, input, batch1, batch2, beta=1, alpha=1, *, dinput, dbatch1, dbatch2):
    return (beta * dinput + alpha * np.sum(dbatch1 @ batch2, axis=0)
            + alpha * np.sum(batch1 @ dbatch2, axis=0))


def addcmul(input, tensor1, tensor2, value=1):
    return input + value * tensor1 * tensor2


@rule(addcmul, wrt=("input", "tensor1", "tensor2"), broadcast=True, name="AddcmulBackward0")
def addcmul_adjoint(g, out, input, tensor1, tensor2, value=1):
    return g, g * value * tensor2, g * value * tensor1


@tangent(addcmul)
def addcmul_jvp(out, input, tensor1, tensor2, value=1, *, dinput, dtensor1, dtensor2):
    return dinput + value * dtensor1 * tensor2 + value * tensor1 * dtensor2


def addcdiv(input, tensor1, tensor2, value=1):
    return input + value * tensor1 / tensor2


@rule(addcdiv, wrt=("input", "tensor1", "tensor2"), broadcast=True, name="AddcdivBackward0")
def addcdiv_adjoint(g, out, input, tensor1, tensor2, value=1):
    return g, g * value / tensor2, -g * value * tensor1 / (tensor2 * tensor2)


@tangent(addcdiv)
def addcdiv_jvp(out, input, tensor1, tensor2, value=1, *, dinput, dtensor1, dtensor2):
    return dinput + value * dtensor1 / tensor2 - value * tensor1 * dtensor2 / (tensor2 * tensor2)


def clamp_min(x, bound):
    """``torch.clamp_min`` with a tensor bound (ties go to ``x``, as PyTorch)."""
    return np.where(x >= bound, x, bound).astype(np.result_type(x, bound), copy=False)


@rule(clamp_min, broadcast=True, name="ClampMinBackward1")
def clamp_min_adjoint(g, out, x, bound):
    return g * (x >= bound), g * (x < bound)


@tangent(clamp_min)
def clamp_min_jvp(out, x, bound, dx, dbound):
    return dx * (x >= bound) + dbound * (x < bound)


def clamp_max(x, bound):
    return np.where(x <= bound, x, bound).astype(np.result_type(x, bound), copy=False)


@rule(clamp_max, broadcast=True, name="ClampMaxBackward1")
def clamp_max_adjoint(g, out, x, bound):
    return g * (x <= bound), g * (x > bound)


@tangent(clamp_max)
def clamp_max_jvp(out, x, bound, dx, dbound):
    return dx * (x <= bound) + dbound * (x > bound)


def cross(x, y, axis=-1):
    return np.cross(x, y, axis=axis)


@rule(cross, wrt=("x", "y"), broadcast=True, name="LinalgCrossBackward0")
def cross_adjoint(g, out, x, y, axis=-1):
    return cross(y, g, axis), cross(g, x, axis)


@tangent(cross)
def cross_jvp(out, x, y, axis=-1, *, dx, dy):
    return cross(dx, y, axis) + cross(x, dy, axis)


# ---------------------------------------------------------------- scans and order statistics

def cum_extreme(x, axis, largest=True):
    """``(values, indices)`` of the running maximum (or minimum) along ``axis``; a tie or
    a NaN takes the later index, and NaN stays once seen (PyTorch's ``cummax``)."""
    a = np.moveaxis(np.asarray(x), axis, -1)
    vals = np.empty_like(a)
    idx = np.zeros(a.shape, np.int64)
    if a.shape[-1]:
        cur, at = a[..., 0].copy(), np.zeros(a.shape[:-1], np.int64)
        nan_kind = a.dtype.kind in "fc"
        for i in range(a.shape[-1]):
            v = a[..., i]
            take = (v >= cur) if largest else (v <= cur)
            if nan_kind:
                take = np.isnan(v) | (take & ~np.isnan(cur))
            cur = np.where(take, v, cur)
            at = np.where(take, i, at)
            vals[..., i], idx[..., i] = cur, at
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


@rule(cum_extreme, wrt=("x",), name="CummaxBackward0")
def cum_extreme_adjoint(g, out, x, axis, largest=True):
    return np.reshape(scatter_add(g[0], x.shape or (1,), x.dtype, gather_index(out[1], axis)),
                      x.shape)


@tangent(cum_extreme)
def cum_extreme_jvp(out, x, axis, largest=True, *, dx):
    return gather(dx, axis, out[1]), np.zeros(np.shape(out[1]))


def logcumsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True) if np.size(x) else 0.0
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.cumsum(np.exp(x - m), axis=axis)) + m


@rule(logcumsumexp, wrt=("x",), name="LogcumsumexpBackward0")
def logcumsumexp_adjoint(g, out, x, axis):
    # sum over j >= i of g_j exp(x_i - out_j), shifted by the largest x for range.
    m = np.max(x, axis=axis, keepdims=True)
    s = np.flip(np.cumsum(np.flip(g * np.exp(m - out), axis), axis=axis), axis)
    return s * np.exp(x - m)


@tangent(logcumsumexp)
def logcumsumexp_jvp(out, x, axis, dx):
    m = np.max(x, axis=axis, keepdims=True)
    return np.exp(m - out) * np.cumsum(dx * np.exp(x - m), axis=axis)


def kth_positions(x, axis, k, nan):
    """0-based rank to read along ``axis`` per slice (kept dim): ``k - 1`` for kthvalue;
    for ``nan="median"`` the lower median, or the first NaN when the slice has one; for
    ``nan="ignore"`` the lower median of the non-NaN values."""
    n = np.shape(x)[axis]
    isnan = np.isnan(x) if np.asarray(x).dtype.kind in "fc" else np.zeros(np.shape(x), bool)
    cnt = np.sum(~isnan, axis=axis, keepdims=True)
    if nan == "median":
        return np.where(cnt < n, cnt, (n - 1) // 2)
    if nan == "ignore":
        return np.maximum((cnt - 1) // 2, 0)
    return np.full(cnt.shape, k - 1)


def kth_dim(x, axis, k=1, keepdims=False, nan="kth"):
    """``(values, indices)`` of an order statistic along ``axis`` (NaN sorts last)."""
    order = sort_order(np.asarray(x), axis, False)
    idx = np.take_along_axis(order, kth_positions(x, axis, k, nan), axis)
    vals = np.take_along_axis(np.asarray(x), idx, axis)
    return (vals if keepdims else np.squeeze(vals, axis)), (
        idx if keepdims else np.squeeze(idx, axis))


@rule(kth_dim, wrt=("x",), name="KthvalueBackward0")
def kth_dim_adjoint(g, out, x, axis, k=1, keepdims=False, nan="kth"):
    return put_along(g[0], out[1], x, axis, keepdims)


@tangent(kth_dim)
def kth_dim_jvp(out, x, axis, k=1, keepdims=False, nan="kth", *, dx):
    return take_at(dx, out[1], axis, keepdims), np.zeros(np.shape(out[1]))


def kth_index(x, nan):
    """The flat index ``kth_all`` reads."""
    flat = np.reshape(x, (-1,))
    return kth_dim(flat, 0, 1, False, nan)[1]


def kth_all(x, nan="median"):
    """The median of all elements (``nan="ignore"``: of the non-NaN ones)."""
    return np.reshape(x, (-1,))[kth_index(x, nan)]


@rule(kth_all, wrt=("x",), name="MedianBackward0")
def kth_all_adjoint(g, out, x, nan="median"):
    return np.reshape(put_along(g, kth_index(x, nan), np.reshape(x, (-1,)), 0, False), x.shape)


@tangent(kth_all)
def kth_all_jvp(out, x, nan="median", *, dx):
    return np.reshape(dx, (-1,))[kth_index(x, nan)]


def var_mean(x, axis=None, correction=1, keepdims=False):
    return (np.var(x, axis=axis, ddof=correction, keepdims=keepdims),
            np.mean(x, axis=axis, keepdims=keepdims))


@rule(var_mean, wrt=("x",), name="VarMeanBackward0")
def var_mean_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out[1]), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (expand_reduced(g[0], x.shape, axis, keepdims) * 2 * (x - mu) / (n - correction)
            + expand_reduced(g[1], x.shape, axis, keepdims) / n)


@tangent(var_mean)
def var_mean_jvp(out, x, axis=None, correction=1, keepdims=False, *, dx):
    n = x.size // max(np.size(out[1]), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (np.sum((x - mu) * dx, axis=axis, keepdims=keepdims) * 2 / (n - correction),
            np.mean(dx, axis=axis, keepdims=keepdims))


def std_mean(x, axis=None, correction=1, keepdims=False):
    return (np.std(x, axis=axis, ddof=correction, keepdims=keepdims),
            np.mean(x, axis=axis, keepdims=keepdims))


@rule(std_mean, wrt=("x",), name="StdMeanBackward0")
def std_mean_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out[1]), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (expand_reduced(g[0] / (out[0] * (n - correction)), x.shape, axis, keepdims)
            * (x - mu) + expand_reduced(g[1], x.shape, axis, keepdims) / n)


@tangent(std_mean)
def std_mean_jvp(out, x, axis=None, correction=1, keepdims=False, *, dx):
    n = x.size // max(np.size(out[1]), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (np.sum((x - mu) * dx, axis=axis, keepdims=keepdims) / (out[0] * (n - correction)),
            np.mean(dx, axis=axis, keepdims=keepdims))


# ---------------------------------------------------------------- shapes and indexed writes

def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices whose ``offset`` diagonal (in dims ``dim1``, ``dim2``) holds ``x``'s last
    dim; the other dims of ``x`` lead."""
    x = np.asarray(x)
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    i = np.arange(x.shape[-1])
    out[..., i + max(-offset, 0), i + max(offset, 0)] = x
    nd = out.ndim
    return np.moveaxis(out, (nd - 2, nd - 1), (dim1 % nd, dim2 % nd))


@rule(diag_embed, wrt=("x",), name="DiagEmbedBackward0")
def diag_embed_adjoint(g, out, x, offset=0, dim1=-2, dim2=-1):
    return np.diagonal(g, offset, dim1, dim2)


@tangent(diag_embed)
def diag_embed_jvp(out, x, offset=0, dim1=-2, dim2=-1, *, dx):
    return diag_embed(dx, offset, dim1, dim2)


def unfold_index(n, size, step):
    """Window starts times offsets: ``(windows, size)`` positions along the dim."""
    return (np.arange((n - size) // step + 1) * step)[:, None] + np.arange(size)[None, :]


def unfold(x, dim, size, step):
    """``x.unfold(dim, size, step)``: windows along ``dim``, each window the last dim."""
    w = np.take(x, unfold_index(np.shape(x)[dim], size, step), axis=dim)
    return np.moveaxis(w, dim + 1, -1)


@rule(unfold, wrt=("x",), name="UnfoldBackward0")
def unfold_adjoint(g, out, x, dim, size, step):
    return take_grad(np.moveaxis(g, -1, dim + 1), x.shape,
                     unfold_index(x.shape[dim], size, step), dim, "raise")


@tangent(unfold)
def unfold_jvp(out, x, dim, size, step, dx):
    return unfold(dx, dim, size, step)


def dim_index(dim, index):
    """The NumPy index selecting ``index`` along ``dim``."""
    return (slice(None),) * dim + (np.asarray(index),)


def index_add(x, dim, index, source, alpha=1):
    """``x`` with ``alpha * source`` added at ``index`` along ``dim`` (repeats add up)."""
    return x + alpha * scatter_add(source, np.shape(x), np.result_type(x, source),
                                   dim_index(dim, index))


@rule(index_add, wrt=("x", "source"), name="IndexAddBackward0")
def index_add_adjoint(g, out, x, dim, index, source, alpha=1):
    return g, alpha * np.take(g, index, axis=dim)


@tangent(index_add)
def index_add_jvp(out, x, dim, index, source, alpha=1, *, dx, dsource):
    return index_add(dx, dim, index, dsource, alpha)


def index_copy(x, dim, index, source):
    return setitem(x, dim_index(dim, index), source)


@rule(index_copy, wrt=("x", "source"), name="IndexCopyBackward0")
def index_copy_adjoint(g, out, x, dim, index, source):
    return setitem(g, dim_index(dim, index), 0.0), np.take(g, index, axis=dim)


@tangent(index_copy)
def index_copy_jvp(out, x, dim, index, source, dx, dsource):
    return index_copy(dx, dim, index, dsource)


def index_fill(x, dim, index, value):
    return setitem(x, dim_index(dim, index), value)


@rule(index_fill, wrt=("x",), name="IndexFillBackward0")
def index_fill_adjoint(g, out, x, dim, index, value):
    return setitem(g, dim_index(dim, index), 0.0)


@tangent(index_fill)
def index_fill_jvp(out, x, dim, index, value, dx):
    return index_fill(dx, dim, index, 0.0)


def scatter_add_dim(x, dim, index, src):
    """``torch.scatter_add``: ``x`` plus ``src[i][j]`` at ``[i][index[i][j]]`` (dim 1)."""
    r = np.array(x, copy=True, ndmin=1)
    np.add.at(r, gather_index(index, dim), np.atleast_1d(src)[leading(np.shape(index))])
    return np.reshape(r, np.shape(x))


@rule(scatter_add_dim, wrt=("x", "src"), name="ScatterAddBackward0")
def scatter_add_dim_adjoint(g, out, x, dim, index, src):
    return g, np.reshape(setitem(np.zeros(np.shape(src) or (1,), g.dtype),
                                 leading(np.shape(index)),
                                 np.atleast_1d(g)[gather_index(index, dim)]), np.shape(src))


@tangent(scatter_add_dim)
def scatter_add_dim_jvp(out, x, dim, index, src, dx, dsrc):
    return scatter_add_dim(dx, dim, index, dsrc)


def index_put_add(x, index, values):
    """``x.index_put(index, values, accumulate=True)``: repeated positions add up."""
    return x + scatter_add(np.broadcast_to(values, np.shape(x[index])), np.shape(x),
                           np.result_type(x, values), index)


@rule(index_put_add, wrt=("x", "values"), name="IndexPutBackward0")
def index_put_add_adjoint(g, out, x, index, values):
    return g, unbroadcast_to(g[index], np.shape(values))


@tangent(index_put_add)
def index_put_add_jvp(out, x, index, values, dx, dvalues):
    return index_put_add(dx, index, dvalues)


nondifferentiable(kth_positions, kth_index, unfold_index, dim_index)
