"""Primitives that PyTorch has and NumPy lacks, with their rules.

``relu``, ``sigmoid``, ``softmax``, ``log_softmax``, ``rsub``, ``clamp``,
``max_dim``/``min_dim`` (values and indices), ``expand``, ``cast``,
``logsumexp`` and ``norm`` in PyTorch's conventions (SEMANTICS.md 3.12: relu has
gradient 0 at 0, clamp 1 at the boundary, norm 0 at 0). Each is a plain NumPy
function, so compiled code can call it as well.
"""
import numpy as np

from .helpers import expand_reduced, unbroadcast_to
from .linalg_helpers import einsum_grads
from .registry import nondifferentiable, rule


def relu(x):
    return np.maximum(x, 0)


@rule(relu, name="ReluBackward0")
def relu_adjoint(g, out, x):
    return g * (out > 0)


def sigmoid(x):
    # exp of a non-positive argument only, so no overflow warnings for large |x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x, np.float32))


@rule(sigmoid, name="SigmoidBackward0")
def sigmoid_adjoint(g, out, x):
    return g * out * (1 - out)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@rule(softmax, name="SoftmaxBackward0")
def softmax_adjoint(g, out, x, axis=-1):
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


@rule(log_softmax, name="LogSoftmaxBackward0")
def log_softmax_adjoint(g, out, x, axis=-1):
    return g - np.exp(out) * np.sum(g, axis=axis, keepdims=True)


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


@rule(logsumexp, name="LogsumexpBackward0")
def logsumexp_adjoint(g, out, x, axis=None, keepdims=False):
    return expand_reduced(g, x.shape, axis, keepdims) * np.exp(
        x - expand_reduced(out, x.shape, axis, keepdims))


def rsub(x, other):
    """``other - x`` with ``x`` the only differentiable argument."""
    return np.subtract(other, x)


@rule(rsub, wrt=("x",), broadcast=True, name="RsubBackward1")
def rsub_adjoint(g, out, x, other):
    return -g


def clamp(x, min=None, max=None):
    return np.clip(x, min, max)


@rule(clamp, wrt=("x",), name="ClampBackward1")
def clamp_adjoint(g, out, x, min=None, max=None):
    # Gradient 1 on the boundary itself, as PyTorch measures.
    lo = True if min is None else x >= min
    hi = True if max is None else x <= max
    return g * (lo & hi)


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


@rule(max_dim, wrt=("x",), name="MaxBackward0")
def max_dim_adjoint(g, out, x, axis, keepdims=False):
    return put_along(g[0], out[1], x, axis, keepdims)


@rule(min_dim, wrt=("x",), name="MinBackward0")
def min_dim_adjoint(g, out, x, axis, keepdims=False):
    return put_along(g[0], out[1], x, axis, keepdims)


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


def expand(x, shape):
    return np.broadcast_to(x, shape)


@rule(expand, wrt=("x",), name="ExpandBackward0", broadcast=True)
def expand_adjoint(g, out, x, shape):
    return g


def cast(x, dtype):
    """``x.to(dtype)``: a copy in another float dtype."""
    return x.astype(dtype)


@rule(cast, wrt=("x",), name="ToCopyBackward0")
def cast_adjoint(g, out, x, dtype):
    return g.astype(x.dtype)


def clone(x):
    return x.copy()


@rule(clone, name="CloneBackward0")
def clone_adjoint(g, out, x):
    return g


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


def where3(cond, x, y):
    return np.where(cond, x, y)


@rule(where3, wrt=("x", "y"), broadcast=True, name="WhereBackward0")
def where3_adjoint(g, out, cond, x, y):
    return np.where(cond, g, 0), np.where(cond, 0, g)


def masked_fill(x, mask, value):
    return np.where(mask, value, x)


@rule(masked_fill, wrt=("x",), name="MaskedFillBackward0")
def masked_fill_adjoint(g, out, x, mask, value):
    return np.where(mask, 0, g)


def cumsum(x, axis):
    return np.cumsum(x, axis=axis)


@rule(cumsum, wrt=("x",), name="CumsumBackward0")
def cumsum_adjoint(g, out, x, axis):
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def var(x, axis=None, correction=1, keepdims=False):
    return np.var(x, axis=axis, ddof=correction, keepdims=keepdims)


@rule(var, wrt=("x",), name="VarBackward0")
def var_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return expand_reduced(g, x.shape, axis, keepdims) * 2 * (x - mu) / (n - correction)


def std(x, axis=None, correction=1, keepdims=False):
    return np.std(x, axis=axis, ddof=correction, keepdims=keepdims)


@rule(std, wrt=("x",), name="StdBackward0")
def std_adjoint(g, out, x, axis=None, correction=1, keepdims=False):
    n = x.size // max(np.size(out), 1)
    mu = np.mean(x, axis=axis, keepdims=True)
    return (expand_reduced(g / (out * (n - correction)), x.shape, axis, keepdims) * (x - mu))


nondifferentiable(np.argmax, np.argmin, np.greater, np.less, np.equal, np.not_equal,
                  np.greater_equal, np.less_equal)


def view(x, shape):
    """``x.view(shape)`` / ``x.reshape(shape)`` / ``x.flatten()``."""
    return np.reshape(x, shape)


@rule(view, wrt=("x",), name="ViewBackward0")
def view_adjoint(g, out, x, shape):
    return np.reshape(g, x.shape)


def permute(x, dims):
    return np.transpose(x, dims)


@rule(permute, wrt=("x",), name="PermuteBackward0")
def permute_adjoint(g, out, x, dims):
    return np.transpose(g, np.argsort(dims))


def transpose(x, dim0, dim1):
    return np.swapaxes(x, dim0, dim1)


@rule(transpose, wrt=("x",), name="TransposeBackward0")
def transpose_adjoint(g, out, x, dim0, dim1):
    return np.swapaxes(g, dim0, dim1)


def unsqueeze(x, dim):
    return np.expand_dims(x, dim)


@rule(unsqueeze, wrt=("x",), name="UnsqueezeBackward0")
def unsqueeze_adjoint(g, out, x, dim):
    return np.reshape(g, x.shape)


def squeeze(x, dim=None):
    if dim is not None and np.shape(x)[dim] != 1:
        return x
    return np.squeeze(x, dim)


@rule(squeeze, wrt=("x",), name="SqueezeBackward0")
def squeeze_adjoint(g, out, x, dim=None):
    return np.reshape(g, x.shape)


def cat(xs, axis=0):
    return np.concatenate(xs, axis=axis)


def split_like(g, xs, axis):
    """``g`` cut along ``axis`` into pieces as long as each of ``xs``."""
    sizes = [np.shape(x)[axis] for x in xs]
    return np.split(g, np.cumsum(sizes)[:-1], axis=axis)


@rule(cat, wrt=("xs",), name="CatBackward0")
def cat_adjoint(g, out, xs, axis=0):
    return split_like(g, xs, axis)


def stack(xs, axis=0):
    return np.stack(xs, axis=axis)


@rule(stack, wrt=("xs",), name="StackBackward0")
def stack_adjoint(g, out, xs, axis=0):
    return list(np.moveaxis(g, axis, 0))


def setitem(x, index, value):
    """``x`` with ``x[index] = value`` applied, as a new array."""
    r = x.copy()
    r[index] = value
    return r


@rule(setitem, wrt=("x", "value"), name="CopySlices")
def setitem_adjoint(g, out, x, index, value):
    return setitem(g, index, 0), unbroadcast_to(g[index], np.shape(value))


def fill(x, value):
    """``x.fill_(value)`` / ``x.zero_()`` as a function: the old values do not matter."""
    return np.full(np.shape(x), value, dtype=x.dtype)


@rule(fill, wrt=("x",), name="FillBackward0")
def fill_adjoint(g, out, x, value):
    return np.zeros_like(g)


def sum_(x, axis=None, keepdims=False):
    """``x.sum(dim, keepdim)``: NumPy's sum without its rarely used options."""
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


@rule(sum_, wrt=("x",), name="SumBackward0")
def sum_adjoint(g, out, x, axis=None, keepdims=False):
    return expand_reduced(g, x.shape, axis, keepdims)


def mean_(x, axis=None, keepdims=False):
    """``x.mean(dim, keepdim)`` (the full mean skips NumPy's Python-level wrapper)."""
    if axis is None and not keepdims:
        return np.add.reduce(x, axis=None) / x.size
    return np.mean(x, axis=axis, keepdims=keepdims)


@rule(mean_, wrt=("x",), name="MeanBackward0")
def mean_adjoint(g, out, x, axis=None, keepdims=False):
    return expand_reduced(g, x.shape, axis, keepdims) * (out.size / x.size)


def copy_from(x, src):
    """``x.copy_(src)`` as a function: ``src`` broadcast to ``x``'s shape and dtype."""
    return np.broadcast_to(src, np.shape(x)).astype(x.dtype)


@rule(copy_from, name="CopyBackwards", broadcast=True)
def copy_from_adjoint(g, out, x, src):
    return np.zeros_like(g), g


def einsum(subscripts, operands):
    """``torch.einsum(subscripts, *operands)`` with the operands as one sequence."""
    return np.einsum(subscripts, *operands, optimize=True)


@rule(einsum, wrt=("operands",), name="EinsumBackward0")
def einsum_adjoint(g, out, subscripts, operands):
    return list(einsum_grads(g, subscripts, operands))
