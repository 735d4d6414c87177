"""Primitives that PyTorch has and NumPy lacks, with their rules.

``relu``, ``sigmoid``, ``softmax``, ``log_softmax``, ``rsub``, ``clamp``,
``max_dim``/``min_dim`` (values and indices), ``expand``, ``cast``,
``logsumexp`` and ``norm`` in PyTorch's conventions (SEMANTICS.md 3.12: relu has
gradient 0 at 0, clamp 1 at the boundary, norm 0 at 0); ``erf``, ``frac``,
``lerp``, ``gather`` and ``scatter`` with PyTorch's gradients (``scatter``'s
source reads back every position it wrote, as PyTorch's does); ``sort_order``,
the stable order ``sort``/``topk``/``argsort`` share (NaN the largest), whose
values are then read with ``np.take_along_axis``. Each is a plain NumPy
function, so compiled code can call it as well; each rule's forward rule sits
right below its adjoint.
"""
import math

import numpy as np

from .helpers import expand_reduced, unbroadcast_to
from .indexing import scatter_add
from .linalg_helpers import einsum_grads, einsum_tangent
from .registry import nondifferentiable, rule, tangent


def relu(x):
    return np.maximum(x, 0)


def _relu_into(x):
    return np.maximum(x, 0, out=x)


relu.inplace = _relu_into     # ``relu_`` writes into its input (runtime.ops.apply_inplace)


@rule(relu, name="ReluBackward0")
def relu_adjoint(g, out, x):
    return g * (out > 0)


@tangent(relu)
def relu_jvp(out, x, dx):
    return dx * (out > 0)


def sigmoid(x):
    # exp of a non-positive argument only, so no overflow warnings for large |x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x, np.float32))


@rule(sigmoid, name="SigmoidBackward0")
def sigmoid_adjoint(g, out, x):
    return g * out * (1 - out)


@tangent(sigmoid)
def sigmoid_jvp(out, x, dx):
    return dx * out * (1 - out)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@rule(softmax, name="SoftmaxBackward0")
def softmax_adjoint(g, out, x, axis=-1):
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


@tangent(softmax)
def softmax_jvp(out, x, axis=-1, *, dx):
    return out * (dx - np.sum(dx * out, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


@rule(log_softmax, name="LogSoftmaxBackward0")
def log_softmax_adjoint(g, out, x, axis=-1):
    return g - np.exp(out) * np.sum(g, axis=axis, keepdims=True)


@tangent(log_softmax)
def log_softmax_jvp(out, x, axis=-1, *, dx):
    return dx - np.sum(np.exp(out) * dx, axis=axis, keepdims=True)


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


@rule(logsumexp, name="LogsumexpBackward0")
def logsumexp_adjoint(g, out, x, axis=None, keepdims=False):
    return expand_reduced(g, x.shape, axis, keepdims) * np.exp(
        x - expand_reduced(out, x.shape, axis, keepdims))


@tangent(logsumexp)
def logsumexp_jvp(out, x, axis=None, keepdims=False, *, dx):
    w = np.exp(x - expand_reduced(out, x.shape, axis, keepdims))
    return np.sum(w * dx, axis=axis, keepdims=keepdims)


def rsub(x, other):
    """``other - x`` with ``x`` the only differentiable argument."""
    return np.subtract(other, x)


@rule(rsub, wrt=("x",), broadcast=True, name="RsubBackward1")
def rsub_adjoint(g, out, x, other):
    return -g


@tangent(rsub)
def rsub_jvp(out, x, other, dx):
    return -dx


def clamp(x, min=None, max=None):
    return np.clip(x, min, max)


@rule(clamp, wrt=("x",), name="ClampBackward1")
def clamp_adjoint(g, out, x, min=None, max=None):
    # Gradient 1 on the boundary itself, as PyTorch measures.
    lo = True if min is None else x >= min
    hi = True if max is None else x <= max
    return g * (lo & hi)


@tangent(clamp)
def clamp_jvp(out, x, min=None, max=None, *, dx):
    lo = True if min is None else x >= min
    hi = True if max is None else x <= max
    return dx * (lo & hi)


def max_dim(x, axis, keepdims=False):
    """``(values, indices)`` along ``axis``; the first index wins ties."""
    idx = np.argmax(x, axis=axis)
    vals = np.take_along_axis(x, np.expand_dims(idx, axis), axis)
    return (vals if keepdims else np.squeeze(vals, axis)), (
        np.expand_dims(idx, axis) if keepdims else idx)


def min_dim(x, axis, keepdims=False):
    idx = np.argmin(x, axis=axis)
    vals = np.take_along_axis(x, np.expand_dims(idx, axis), axis)
    return (vals if keepdims else np.squeeze(vals, axis)), (
        np.expand_dims(idx, axis) if keepdims else idx)


def put_along(g, idx, x, axis, keepdims):
    """Zeros shaped like ``x`` with ``g`` placed at ``idx`` along ``axis``."""
    z = np.zeros(x.shape, np.result_type(g, x))
    gi = g if keepdims else np.expand_dims(g, axis)
    ii = idx if keepdims else np.expand_dims(idx, axis)
    np.put_along_axis(z, ii, gi, axis)
    return z


def take_at(dx, idx, axis, keepdims):
    """The tangent's values at the indices ``max_dim``/``min_dim`` picked."""
    ii = idx if keepdims else np.expand_dims(idx, axis)
    vals = np.take_along_axis(dx, ii, axis)
    return vals if keepdims else np.squeeze(vals, axis)


@rule(max_dim, wrt=("x",), name="MaxBackward0")
def max_dim_adjoint(g, out, x, axis, keepdims=False):
    return put_along(g[0], out[1], x, axis, keepdims)


@tangent(max_dim)
def max_dim_jvp(out, x, axis, keepdims=False, *, dx):
    return take_at(dx, out[1], axis, keepdims), np.zeros(np.shape(out[1]))


@rule(min_dim, wrt=("x",), name="MinBackward0")
def min_dim_adjoint(g, out, x, axis, keepdims=False):
    return put_along(g[0], out[1], x, axis, keepdims)


@tangent(min_dim)
def min_dim_jvp(out, x, axis, keepdims=False, *, dx):
    return take_at(dx, out[1], axis, keepdims), np.zeros(np.shape(out[1]))


def amax(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


@rule(amax, amin, name="MaxBackward1")
def amax_adjoint(g, out, x, axis=None, keepdims=False):
    # Ties share the gradient evenly (PyTorch's full-reduction convention).
    hit = x == expand_reduced(out, x.shape, axis, keepdims)
    return expand_reduced(g, x.shape, axis, keepdims) * hit / expand_reduced(
        np.sum(hit, axis=axis, keepdims=keepdims), x.shape, axis, keepdims)


@tangent(amax, amin)
def amax_jvp(out, x, axis=None, keepdims=False, *, dx):
    row = amax_adjoint(np.ones(np.shape(out)), out, x, axis, keepdims)
    return np.sum(row * dx, axis=axis, keepdims=keepdims)


def expand(x, shape):
    return np.broadcast_to(x, shape)


@rule(expand, wrt=("x",), name="ExpandBackward0", broadcast=True)
def expand_adjoint(g, out, x, shape):
    return g


@tangent(expand)
def expand_jvp(out, x, shape, dx):
    return np.broadcast_to(dx, shape)


def cast(x, dtype):
    """``x.to(dtype)``: a copy in another float dtype."""
    return x.astype(dtype)


@rule(cast, wrt=("x",), name="ToCopyBackward0")
def cast_adjoint(g, out, x, dtype):
    return g.astype(x.dtype)


@tangent(cast)
def cast_jvp(out, x, dtype, dx):
    return cast(dx, dtype)


def clone(x):
    return x.copy()


@rule(clone, name="CloneBackward0")
def clone_adjoint(g, out, x):
    return g


@tangent(clone)
def clone_jvp(out, x, dx):
    return clone(dx)


def vector_norm(x, ord=2, axis=None, keepdims=False):
    if ord == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    return np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


@rule(vector_norm, wrt=("x",), name="LinalgVectorNormBackward0")
def vector_norm_adjoint(g, out, x, ord=2, axis=None, keepdims=False):
    # d|x|_p = sign(x) |x|^(p-1) / |x|_p^(p-1); 0 where the norm is 0 (PyTorch).
    n = expand_reduced(out, x.shape, axis, keepdims)
    ge = expand_reduced(g, x.shape, axis, keepdims)
    safe = np.where(n == 0, 1, n)
    scale = (np.sign(x) if ord == 1 else
             np.sign(x) * (np.abs(x) == n) if ord == np.inf else
             np.sign(x) * np.abs(x) ** (ord - 1) / safe ** (ord - 1))
    return ge * np.where(n == 0, 0, scale)


@tangent(vector_norm)
def vector_norm_jvp(out, x, ord=2, axis=None, keepdims=False, *, dx):
    row = vector_norm_adjoint(np.ones(np.shape(out)), out, x, ord, axis, keepdims)
    return np.sum(row * dx, axis=axis, keepdims=keepdims)


def where3(cond, x, y):
    return np.where(cond, x, y)


@rule(where3, wrt=("x", "y"), broadcast=True, name="WhereBackward0")
def where3_adjoint(g, out, cond, x, y):
    return np.where(cond, g, 0), np.where(cond, 0, g)


@tangent(where3)
def where3_jvp(out, cond, x, y, dx, dy):
    return np.where(cond, dx, 0) + np.where(cond, 0, dy)


def masked_fill(x, mask, value):
    """``x`` with ``value`` where ``mask`` holds, in ``x``'s dtype (an integer ``x`` takes
    the value truncated, as in PyTorch)."""
    out = np.where(mask, value, x)
    return out.astype(x.dtype, copy=False) if isinstance(x, np.ndarray) else out


@rule(masked_fill, wrt=("x", "value"), broadcast=True, name="MaskedFillBackward0")
def masked_fill_adjoint(g, out, x, mask, value):
    # A value that is a (0-d) array gets the gradient of every position it filled.
    return np.where(mask, 0, g), np.where(mask, g, 0)


@tangent(masked_fill)
def masked_fill_jvp(out, x, mask, value, dx, dvalue):
    return np.where(mask, 0, dx) + np.where(mask, dvalue, 0)


def cumsum(x, axis):
    return np.cumsum(x, axis=axis)


@rule(cumsum, wrt=("x",), name="CumsumBackward0")
def cumsum_adjoint(g, out, x, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


@tangent(cumsum)
def cumsum_jvp(out, x, axis, dx):
    return cumsum(dx, axis)


def var(x, axis=None, correction=1, keepdims=False):
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


@rule(var, wrt=("x",), name="VarBackward0")
def var_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return expand_reduced(g, x.shape, axis, keepdims) * 2 * (x - mu) / (n - correction)


@tangent(var)
def var_jvp(out, x, axis=None, correction=1, keepdims=False, *, dx):
    row = var_adjoint(np.ones(np.shape(out)), out, x, axis, correction, keepdims)
    return np.sum(row * dx, axis=axis, keepdims=keepdims)


def std(x, axis=None, correction=1, keepdims=False):
    return np.std(x, axis=axis, ddof=correction, keepdims=keepdims)


@rule(std, wrt=("x",), name="StdBackward0")
def std_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (expand_reduced(g / (out * (n - correction)), x.shape, axis, keepdims) * (x - mu))


@tangent(std)
def std_jvp(out, x, axis=None, correction=1, keepdims=False, *, dx):
    row = std_adjoint(np.ones(np.shape(out)), out, x, axis, correction, keepdims)
    return np.sum(row * dx, axis=axis, keepdims=keepdims)


nondifferentiable(np.argmax, np.argmin, np.greater, np.less, np.equal, np.not_equal,
                  np.greater_equal, np.less_equal)


def view(x, shape):
    """``x.view(shape)`` / ``x.reshape(shape)`` / ``x.flatten()``."""
    return np.reshape(x, shape)


@rule(view, wrt=("x",), name="ViewBackward0")
def view_adjoint(g, out, x, shape):
    return np.reshape(g, x.shape)


@tangent(view)
def view_jvp(out, x, shape, dx):
    return view(dx, shape)


def permute(x, dims):
    return np.transpose(x, dims)


@rule(permute, wrt=("x",), name="PermuteBackward0")
def permute_adjoint(g, out, x, dims):
    return np.transpose(g, np.argsort(dims))


@tangent(permute)
def permute_jvp(out, x, dims, dx):
    return permute(dx, dims)


def transpose(x, dim0, dim1):
    return np.swapaxes(x, dim0, dim1)


@rule(transpose, wrt=("x",), name="TransposeBackward0")
def transpose_adjoint(g, out, x, dim0, dim1):
    return np.swapaxes(g, dim0, dim1)


@tangent(transpose)
def transpose_jvp(out, x, dim0, dim1, dx):
    return transpose(dx, dim0, dim1)


def unsqueeze(x, dim):
    return np.expand_dims(x, dim)


@rule(unsqueeze, wrt=("x",), name="UnsqueezeBackward0")
def unsqueeze_adjoint(g, out, x, dim):
    return np.reshape(g, x.shape)


@tangent(unsqueeze)
def unsqueeze_jvp(out, x, dim, dx):
    return unsqueeze(dx, dim)


def squeeze(x, dim=None):
    if dim is not None and np.shape(x)[dim] != 1:
        return x
    return np.squeeze(x, dim)


@rule(squeeze, wrt=("x",), name="SqueezeBackward0")
def squeeze_adjoint(g, out, x, dim=None):
    return np.reshape(g, x.shape)


@tangent(squeeze)
def squeeze_jvp(out, x, dim=None, *, dx):
    return squeeze(dx, dim)


def cat(xs, axis=0):
    return np.concatenate(xs, axis=axis)


def split_like(g, xs, axis):
    """``g`` cut along ``axis`` into pieces as long as each of ``xs``."""
    sizes = [np.shape(x)[axis] for x in xs]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


@rule(cat, wrt=("xs",), name="CatBackward0")
def cat_adjoint(g, out, xs, axis=0):
    return split_like(g, xs, axis)


@tangent(cat)
def cat_jvp(out, xs, axis=0, *, dxs):
    return cat(dxs, axis)


def stack(xs, axis=0):
    return np.stack(xs, axis=axis)


@rule(stack, wrt=("xs",), name="StackBackward0")
def stack_adjoint(g, out, xs, axis=0):
    return list(np.moveaxis(g, axis, 0))


@tangent(stack)
def stack_jvp(out, xs, axis=0, *, dxs):
    return stack(dxs, axis)


def setitem(x, index, value):
    """``x`` with ``x[index] = value`` applied, as a new array."""
    r = x.copy()
    r[index] = value
    return r


@rule(setitem, wrt=("x", "value"), name="CopySlices")
def setitem_adjoint(g, out, x, index, value):
    return setitem(g, index, 0), unbroadcast_to(g[index], np.shape(value))


@tangent(setitem)
def setitem_jvp(out, x, index, value, dx, dvalue):
    return setitem(dx, index, dvalue)


def fill(x, value):
    """``x.fill_(value)`` / ``x.zero_()`` as a function: the old values do not matter."""
    return np.full(np.shape(x), value, dtype=x.dtype)


@rule(fill, wrt=("x",), name="FillBackward0")
def fill_adjoint(g, out, x, value):
    return np.zeros_like(g)


@tangent(fill)
def fill_jvp(out, x, value, dx):
    return np.zeros_like(out, dtype=np.result_type(out, np.float32))


def sum_(x, axis=None, keepdims=False):
    """``x.sum(dim, keepdim)``: NumPy's sum without its rarely used options."""
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


@rule(sum_, wrt=("x",), name="SumBackward0")
def sum_adjoint(g, out, x, axis=None, keepdims=False):
    return expand_reduced(g, x.shape, axis, keepdims)


@tangent(sum_)
def sum_jvp(out, x, axis=None, keepdims=False, *, dx):
    return sum_(dx, axis, keepdims)


def mean_(x, axis=None, keepdims=False):
    """``x.mean(dim, keepdim)`` (the full mean skips NumPy's Python-level wrapper)."""
    if axis is None and not keepdims:
        return np.add.reduce(x, axis=None) / x.size
    return np.mean(x, axis=axis, keepdims=keepdims)


@rule(mean_, wrt=("x",), name="MeanBackward0")
def mean_adjoint(g, out, x, axis=None, keepdims=False):
    # Divide the small cotangent by the count, then expand (PyTorch's rounding, one pass).
    return expand_reduced(g / (x.size / max(out.size, 1) or 1.0), x.shape, axis, keepdims)


@tangent(mean_)
def mean_jvp(out, x, axis=None, keepdims=False, *, dx):
    return mean_(dx, axis, keepdims)


def copy_from(x, src):
    """``x.copy_(src)`` as a function: ``src`` broadcast to ``x``'s shape and dtype."""
    return np.broadcast_to(src, np.shape(x)).astype(x.dtype)


@rule(copy_from, name="CopyBackwards", broadcast=True)
def copy_from_adjoint(g, out, x, src):
    return np.zeros_like(g), g


@tangent(copy_from)
def copy_from_jvp(out, x, src, dx, dsrc):
    # The old values of x are overwritten: only src moves the result.
    return copy_from(x, dsrc)


def einsum(subscripts, operands):
    """``torch.einsum(subscripts, *operands)`` with the operands as one sequence."""
    return np.einsum(subscripts, *operands, optimize=True)


@rule(einsum, wrt=("operands",), name="EinsumBackward0")
def einsum_adjoint(g, out, subscripts, operands):
    return list(einsum_grads(g, subscripts, operands))


@tangent(einsum)
def einsum_jvp(out, subscripts, operands, doperands):
    return einsum_tangent(subscripts, operands, doperands, True)


# ---------------------------------------------------------------- more PyTorch primitives

_ERF = np.frompyfunc(math.erf, 1, 1)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf(x):
    """The error function, element by element from the C library's ``erf`` (exact in
    float64); a float input keeps its dtype, an integer one gives float64."""
    a = np.asarray(x)
    dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
    return np.asarray(_ERF(a), dtype=np.float64).astype(dt, copy=False)


@rule(erf, name="ErfBackward0")
def erf_adjoint(g, out, x):
    return g * (TWO_OVER_SQRT_PI * np.exp(-x * x))


@tangent(erf)
def erf_jvp(out, x, dx):
    return dx * (TWO_OVER_SQRT_PI * np.exp(-x * x))


def frac(x):
    """``x - trunc(x)``: the fractional part, with the sign of ``x``."""
    return x - np.trunc(x)


@rule(frac, name="FracBackward0")
def frac_adjoint(g, out, x):
    return g


@tangent(frac)
def frac_jvp(out, x, dx):
    return dx


def lerp(start, end, weight):
    """``start + weight * (end - start)``, evaluated from the nearer end as PyTorch does
    (``end - (end - start) * (1 - weight)`` when ``|weight| >= 0.5``), in the dtype of
    ``start`` and ``end``. Below float64 the multiply-add is rounded once (PyTorch's
    fused multiply-add), by computing it in float64."""
    dt = np.result_type(start, end)
    d = np.subtract(end, start, dtype=dt)
    w = np.asarray(weight).astype(dt)
    wide = np.float64 if dt.kind == "f" and dt.itemsize < 8 else dt
    near_start = np.asarray(start, wide) + w.astype(wide) * d.astype(wide)
    near_end = np.asarray(end, wide) - d.astype(wide) * (1 - w).astype(wide)
    return np.where(np.abs(w) < 0.5, near_start, near_end).astype(dt, copy=False)


@rule(lerp, broadcast=True, name="LerpBackward1")
def lerp_adjoint(g, out, start, end, weight):
    return g * (1.0 - weight), g * weight, g * np.subtract(end, start)


@tangent(lerp)
def lerp_jvp(out, start, end, weight, dstart, dend, dweight):
    return dstart * (1.0 - weight) + dend * weight + dweight * np.subtract(end, start)


def gather_index(index, dim):
    """The NumPy index that reads ``x.gather(dim, index)`` (``x`` at least 1-d): ``index``
    along ``dim`` and each element's own position along every other axis; a 0-d index
    reads one element of a 1-d ``x``."""
    index = np.asarray(index)
    nd = index.ndim
    if nd == 0:
        return (index,)
    dim = dim % nd
    return tuple(index if d == dim else
                 np.arange(n).reshape([-1 if e == d else 1 for e in range(nd)])
                 for d, n in enumerate(index.shape))


def leading(shape):
    """The slices selecting the leading block of ``shape`` (``src[:a, :b, ...]``)."""
    return tuple(slice(0, n) for n in shape)


def gather(x, dim, index):
    """``torch.gather``: ``out[i][j] = x[i][index[i][j]]`` for ``dim == 1``; shaped like
    ``index`` (a 0-d ``x`` reads as one element)."""
    return np.asarray(np.atleast_1d(x)[gather_index(index, dim)])


@rule(gather, wrt=("x",), name="GatherBackward0")
def gather_adjoint(g, out, x, dim, index):
    return np.reshape(scatter_add(g, x.shape or (1,), x.dtype, gather_index(index, dim)),
                      x.shape)


@tangent(gather)
def gather_jvp(out, x, dim, index, dx):
    return gather(dx, dim, index)


def scatter(x, dim, index, src):
    """``torch.scatter`` out of place: ``x`` with ``src[i][j]`` (or the number ``src``)
    written at ``[i][index[i][j]]`` for ``dim == 1`` (``index`` at least 1-d)."""
    r = np.array(x, copy=True, ndmin=1)
    r[gather_index(index, dim)] = src[leading(np.shape(index))] if np.ndim(src) else src
    return np.reshape(r, np.shape(x))


@rule(scatter, wrt=("x", "src"), name="ScatterBackward0")
def scatter_adjoint(g, out, x, dim, index, src):
    # PyTorch's: the written positions lose their gradient; src reads it back (gather),
    # and a number written everywhere gets their sum.
    at = gather_index(index, dim)
    g1 = np.atleast_1d(g)
    return (np.reshape(setitem(g1, at, 0.0), x.shape),
            setitem(np.zeros(np.shape(src), g.dtype), leading(np.shape(index)), g1[at])
            if np.ndim(src) else np.sum(g1[at]))


@tangent(scatter)
def scatter_jvp(out, x, dim, index, src, dx, dsrc):
    return scatter(dx, dim, index, dsrc)


def sort_order(a, axis, descending):
    """Stable sorting indices along ``axis`` (int64); NaN counts as the largest value,
    as in PyTorch (last ascending, first descending)."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
    nan = np.isnan(a) if a.dtype.kind in "fc" else np.zeros(a.shape, bool)
    key = (~a if a.dtype.kind == "b" else -a.astype(np.int64) if a.dtype.kind in "iu"
           else -np.where(nan, 0, a))
    return np.lexsort((key, ~nan), axis=axis).astype(np.int64, copy=False)


nondifferentiable(gather_index, leading, sort_order)
