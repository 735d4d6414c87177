"""Rules for the helpers adjoints call, so that an adjoint can be differentiated again.

Takes: the helpers in ``helpers``, ``*_helpers``, ``indexing``, ``torchlike``,
``factories`` and ``nn`` that adjoint templates call.
Gives: three kinds of declaration, which a ``create_graph=True`` backward
(``runtime.higher``) and a template walk in the tests rely on:

* **rules** for the linear helpers (a helper's adjoint is the transpose of what
  it does: ``unbroadcast_to``'s is a broadcast, ``expand_reduced``'s a sum,
  ``scatter_add``'s a gather, ``cumsum_grad``'s a cumsum, ``_avg_pool_grad``'s
  the pooling itself);
* **composites** for helpers whose derivative is best left to the operations
  they are made of (``var_grad``, ``_bn_grads``, ``det_grad``, ``einsum_grad``...):
  ``composite(helper)(impl)`` says that ``impl``, which computes exactly what
  ``helper`` computes and is built from differentiable operations only, runs in
  its place when a gradient must flow through it. ``impl`` is often the helper
  itself, when it writes into no array;
* **structural** callables (``list``, ``zip``...) that only rearrange their
  arguments, so Tensors pass through them untouched, and gradient-free ones.

Invariant: every rule's adjoint here is template-safe and calls only
callables that are themselves covered, so gradients of any order exist, or a
clear error is raised where an order is not supported (``require_nonzero``).
"""
from __future__ import annotations

import builtins
from collections.abc import Callable

import numpy as np

from . import elementwise_helpers as eh
from . import factories as fa
from . import linalg_helpers as lh
from . import nn as nn_rules
from .nn import norm as nn_norm
from . import pymath  # noqa: F401  (registers max, min, float, ...: templates call them)
from . import reduce_helpers as rh
from . import shape_helpers as sh
from . import torchlike as tl
from .helpers import expand_reduced, norm_axis, shape_of, unbroadcast, unbroadcast_to, zeros_of
from .indexing import getitem, scatter_add
from .registry import nondifferentiable, rule

__all__ = ["composite", "composite_of", "structural", "is_structural", "CONTAINER_METHODS",
           "concat_like", "diff_with", "max_pool_select", "require_nonzero",
           "require_conditioned"]

# ---------------------------------------------------------------- the declarations

_COMPOSITES: dict[int, tuple] = {}
_STRUCTURAL: dict[int, object] = {}

# Methods of Python containers and strings a composite may call (never on arrays).
CONTAINER_METHODS = frozenset({
    "append", "extend", "pop", "insert", "index", "count", "items", "keys", "values", "get",
    "setdefault", "update", "union", "intersection", "replace", "partition", "split", "join",
    "startswith", "endswith", "strip", "format", "lower", "upper"})


def composite(helper: Callable) -> Callable[[Callable], Callable]:
    """Declare ``impl`` (the decorated function) as ``helper`` built from differentiable
    operations: a Tensor backward runs ``impl`` instead of ``helper``."""
    def register(impl: Callable) -> Callable:
        _COMPOSITES[id(helper)] = (helper, impl)
        return impl
    return register


def composite_of(fn) -> Callable | None:
    hit = _COMPOSITES.get(id(fn))
    return hit[1] if hit is not None and hit[0] is fn else None


def structural(*fns) -> None:
    """Declare callables that only rearrange their arguments (Tensors pass through)."""
    for f in fns:
        _STRUCTURAL[id(f)] = f


def is_structural(fn) -> bool:
    return _STRUCTURAL.get(id(fn)) is fn


def require_nonzero(a, what: str) -> float:
    """1.0 (a factor that keeps ``a`` in the graph); raises when an element of ``a`` is
    0, where ``what`` has no derivative of the form used here."""
    if np.asarray(a == 0).any():
        raise NotImplementedError(f"{what} is not supported at an input equal to 0")
    return 1.0


def require_conditioned(a, what: str) -> float:
    """1.0; raises when a matrix of ``a`` is singular to working precision (condition
    number above 1/sqrt(eps)), where ``what`` would lose every digit."""
    data = np.asarray(a)
    limit = 1.0 / np.sqrt(np.finfo(np.result_type(data, np.float32)).eps)
    if not np.all(np.linalg.cond(data) < limit):
        raise NotImplementedError(f"{what} is not supported at a singular (or nearly "
                                  "singular) matrix")
    return 1.0


structural(builtins.list, builtins.tuple, builtins.dict, builtins.set, builtins.slice,
           builtins.zip, builtins.enumerate, builtins.reversed, builtins.frozenset)

nondifferentiable(require_nonzero, require_conditioned, norm_axis, shape_of, zeros_of,
                  rh.reduced_count, rh._count, rh._along, sh.check_order, sh.inverse_axes,
                  lh.einsum_labels, lh.dot_subscripts, lh.inner_subscripts,
                  lh.tensordot_subscripts, fa._fractions, nn_rules._bn_axes,
                  nn_rules._bn_shape, nn_rules._pair, nn_rules._pool_geometry,
                  nn_rules._conv_geometry, nn_norm._check_bn, nn_rules._ln_axes)


# ---------------------------------------------------------------- broadcasting and reductions
# (The primal's own ``g`` parameter is called ``h`` here: ``g`` is the cotangent.)

@rule(unbroadcast_to, wrt=("h",), name="SumBackward1")
def unbroadcast_to_adjoint(g, out, h, shape):
    return np.broadcast_to(g, np.shape(h))


@rule(unbroadcast, wrt=("h",), name="SumBackward1")
def unbroadcast_adjoint(g, out, h, x):
    return np.broadcast_to(g, np.shape(h))


@rule(expand_reduced, wrt=("h",), name="ExpandBackward0")
def expand_reduced_adjoint(g, out, h, shape, axis, keepdims):
    return np.reshape(np.sum(g, axis=norm_axis(axis, len(shape)), keepdims=True), np.shape(h))


@rule(rh.masked_mean_grad, wrt=("h",), name="MeanBackward1")
def masked_mean_grad_adjoint(g, out, h, shape, axis, keepdims, where):
    w = rh.masked_mean_grad(np.ones_like(h), shape, axis, keepdims, where)
    return np.reshape(np.sum(g * w, axis=norm_axis(axis, len(shape)), keepdims=True),
                      np.shape(h))


@rule(rh.extreme_grad, wrt=("h",), name="MaxBackward1")
def extreme_grad_adjoint(g, out, h, a, o, axis, keepdims, where=True):
    # Linear in h; which elements share it is locally constant in a (no gradient there).
    w = rh.extreme_grad(np.ones_like(h), a, o, axis, keepdims, where)
    return np.reshape(np.sum(g * w, axis=norm_axis(axis, np.ndim(a)), keepdims=True),
                      np.shape(h))


@rule(rh.cumsum_grad, wrt=("h",), name="CumsumBackward0")
def cumsum_grad_adjoint(g, out, h, shape, axis):
    return np.reshape(np.cumsum(g, axis=axis), np.shape(h))


@rule(eh.clip_grads, wrt=("h",), name="ClampBackward1")
def clip_grads_adjoint(g, out, h, a, lo, hi):
    # Linear in h; the masks are locally constant in a, lo and hi.
    w = eh.clip_grads(np.ones_like(h), a, lo, hi)
    return (g[0] * w[0] + (0.0 if w[1] is None else g[1] * w[1])
            + (0.0 if w[2] is None else g[2] * w[2]))


# ---------------------------------------------------------------- indexing, scatter and gather

@rule(scatter_add, wrt=("h",), name="IndexBackwardBackward0")
def scatter_add_adjoint(g, out, h, shape, dtype, index):
    return unbroadcast_to(getitem(g, index), np.shape(h))


@rule(tl.put_along, wrt=("h",), name="GatherBackward0")
def put_along_adjoint(g, out, h, idx, x, axis, keepdims):
    picked = np.take_along_axis(g, idx if keepdims else np.expand_dims(idx, axis), axis)
    return np.reshape(picked, np.shape(h))


@rule(sh.take_grad, wrt=("h",), name="TakeBackward0")
def take_grad_adjoint(g, out, h, shape, indices, axis, mode):
    return np.take(g, indices, axis=axis, mode=mode)


@rule(sh.take_along_grad, wrt=("h",), name="GatherBackward0")
def take_along_grad_adjoint(g, out, h, shape, indices, axis):
    return np.reshape(np.take_along_axis(g, indices, axis), np.shape(h))


@rule(sh.sort_grad, wrt=("h",), name="SortBackward0")
def sort_grad_adjoint(g, out, h, a, axis):
    # A permutation (locally constant in a): its transpose gathers in sorted order.
    perm = np.argsort(a, axis=axis, kind="stable")
    picked = np.take_along_axis(np.ravel(g) if axis is None else g, perm,
                                -1 if axis is None else axis)
    return np.reshape(picked, np.shape(h))


@rule(sh.diag_grad, wrt=("h",), name="DiagBackward0")
def diag_grad_adjoint(g, out, h, shape, k):
    return np.diag(g, k)


@rule(sh.diagonal_grad, wrt=("h",), name="DiagonalBackward0")
def diagonal_grad_adjoint(g, out, h, shape, offset, axis1, axis2):
    return np.diagonal(g, offset, axis1, axis2)


@rule(sh.trace_grad, wrt=("h",), name="TraceBackward0")
def trace_grad_adjoint(g, out, h, shape, offset, axis1, axis2):
    return np.trace(g, offset, axis1, axis2)


# ---------------------------------------------------------------- joining and splitting

def concat_like(parts, shape: tuple, axis):
    """``parts`` joined along ``axis`` (flattened first when ``axis`` is None) into
    ``shape``: what ``concat_grads`` undoes."""
    if axis is None:
        return np.concatenate([np.ravel(p) for p in parts]).reshape(shape)
    return np.concatenate(parts, axis=axis)


@rule(concat_like, wrt=("parts",), name="CatBackward0")
def concat_like_adjoint(g, out, parts, shape, axis):
    return sh.concat_grads(g, parts, axis)


@rule(sh.concat_grads, wrt=("h",), name="SplitBackward0")
def concat_grads_adjoint(g, out, h, arrays, axis):
    return concat_like(g, np.shape(h), axis)


@rule(sh.stacked_grads, wrt=("h",), name="SplitBackward0")
def stacked_grads_adjoint(g, out, h, arrays, how):
    # Splitting undoes the stacking, so the stacking is the splitting's transpose.
    return (np.hstack(g) if how == "h" else np.vstack(g) if how == "v" else
            np.dstack(g) if how == "d" else np.column_stack(g))


@rule(tl.split_like, wrt=("h",), name="SplitBackward0")
def split_like_adjoint(g, out, h, xs, axis):
    return np.concatenate(g, axis=axis)


@rule(sh.unstack, wrt=("h",), name="UnbindBackward0")
def unstack_adjoint(g, out, h, axis):
    return np.stack(g, axis=axis)


@rule(sh.unsplit, wrt=("gs",), name="CatBackward0")
def unsplit_adjoint(g, out, gs, outs, axis):
    return tl.split_like(g, outs, axis)


@rule(sh.restack, wrt=("gs",), name="StackBackward0")
def restack_adjoint(g, out, gs, outs, axis):
    return sh.unstack(g, axis)


@rule(sh.as_input, wrt=("h",), name="ViewBackward0")
def as_input_adjoint(g, out, h, a):
    return sh.as_input(g, h)


@rule(sh.tile_grad, wrt=("h",), name="RepeatBackward0")
def tile_grad_adjoint(g, out, h, shape, reps):
    return np.reshape(np.tile(g, reps), np.shape(h))


@rule(sh.repeat_grad, wrt=("h",), name="IndexSelectBackward0")
def repeat_grad_adjoint(g, out, h, shape, repeats, axis):
    return np.reshape(np.repeat(g, repeats, axis), np.shape(h))


@rule(sh.pad_grad, wrt=("h",), name="ConstantPadNdBackward0")
def pad_grad_adjoint(g, out, h, shape, pad_width, mode, reflect_type="even"):
    # Edge/reflect/wrap padding is a gather of the input; its gradient the matching
    # scatter (pad_grad), whose transpose is the padding again.
    return (np.pad(g, pad_width) if mode in ("constant", "empty") else
            np.pad(g, pad_width, mode=mode, reflect_type=reflect_type)
            if mode in ("reflect", "symmetric") else np.pad(g, pad_width, mode=mode))


def diff_with(a, n: int, axis: int, prepend, append):
    """``np.diff`` where None means "no prepend" / "no append"."""
    extra = {}
    if prepend is not None:
        extra["prepend"] = prepend
    if append is not None:
        extra["append"] = append
    return np.diff(a, n, axis, **extra)


@rule(diff_with, wrt=("a", "prepend", "append"), name="DiffBackward0")
def diff_with_adjoint(g, out, a, n, axis, prepend, append):
    grads = sh.diff_grad(g, a, n, axis, prepend, append)
    return grads[0], grads[1], grads[2]


@rule(sh.diff_grad, wrt=("h",), name="DiffBackward0")
def diff_grad_adjoint(g, out, h, a, n, axis, prepend, append):
    return diff_with(g[0], n, axis, g[1], g[2])


@rule(fa.linspace_grads, wrt=("h",), name="LinspaceBackward0")
def linspace_grads_adjoint(g, out, h, start, stop, num, endpoint, retstep, axis):
    # linspace is linear in (start, stop): its gradient's transpose is linspace itself.
    return np.linspace(g[0], g[1], num, endpoint=endpoint, retstep=retstep, axis=axis)


# ---------------------------------------------------------------- nn layers

@rule(nn_rules._as4d, name="UnsqueezeBackward0")
def as4d_adjoint(g, out, x):
    return np.reshape(g, np.shape(x))


def max_pool_select(u, out, x, kernel_size, stride, padding, dilation, ceil_mode):
    """``u`` (shaped like the pooled input) read at each window's first maximum:
    the transpose of ``_max_pool_grad``'s scatter."""
    k, s, _p, d, pads, ho, wo = nn_rules._pool_geometry(x, kernel_size, stride, padding,
                                                        dilation, ceil_mode)
    xp = nn_rules._pad(nn_rules._as4d(x), pads, -np.inf)
    up = nn_rules._pad(nn_rules._as4d(u), pads, 0.0)
    out4 = nn_rules._as4d(out)
    kk = k[0] * k[1]
    idx = np.full(out4.shape, kk - 1, dtype=np.int16)
    for q in range(kk - 2, -1, -1):
        v = nn_rules._window(xp, q // k[1], q % k[1], s, d, ho, wo)
        idx = np.where(v == out4, np.int16(q), idx)
    res = np.zeros(out4.shape, np.result_type(u, np.float32))
    for q in range(kk):
        res += nn_rules._window(up, q // k[1], q % k[1], s, d, ho, wo) * (idx == q)
    return res.reshape(np.shape(out))


@rule(max_pool_select, wrt=("u",), name="MaxPool2DWithIndicesBackwardBackward0")
def max_pool_select_adjoint(g, out, u, o, x, kernel_size, stride, padding, dilation,
                            ceil_mode):
    return nn_rules._max_pool_grad(g, o, x, kernel_size, stride, padding, dilation, ceil_mode)


@rule(nn_rules._max_pool_grad, wrt=("h",), name="MaxPool2DWithIndicesBackwardBackward0")
def max_pool_grad_adjoint(g, out, h, o, x, kernel_size, stride, padding, dilation, ceil_mode):
    # Linear in h; the maxima's positions are locally constant in x.
    return max_pool_select(g, o, x, kernel_size, stride, padding, dilation, ceil_mode)


@rule(nn_rules._avg_pool_grad, wrt=("h",), name="AvgPool2DBackwardBackward0")
def avg_pool_grad_adjoint(g, out, h, x, kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override):
    return nn_rules.avg_pool2d(g, kernel_size, stride, padding, ceil_mode, count_include_pad,
                               divisor_override)


@rule(nn_rules._adaptive_grad, wrt=("h",), name="AdaptiveAvgPool2DBackwardBackward0")
def adaptive_grad_adjoint(g, out, h, x):
    return nn_rules.adaptive_avg_pool2d(g, np.shape(h)[-2:])


@rule(nn_rules._nll_grad, wrt=("h",), name="NllLossBackwardBackward0")
def nll_grad_adjoint(g, out, h, x, target, weight, ignore_index, reduction):
    # nll_loss is linear in its input and its gradient is linear in h: each is the
    # other's transpose.
    return nn_rules.nll_loss(g, target, weight, ignore_index, reduction)


# ---------------------------------------------------------------- composites
# Helpers that write into no array are their own composite form.
for _helper in (rh.var_grad, rh.std_grad, rh.prod_grad, rh.average_grad, rh.norm_grad,
                rh._norm_over, rh._vector_norm_grad, lh.einsum_grad, lh.einsum_grads,
                lh.dot_grad, lh.kron_grads, lh.slogdet_grad, lh.solve_grads,
                lh.cholesky_grad, lh._mT, nn_rules._bn_grads, nn_rules._batch_stats,
                nn_rules._channel_dot, nn_rules._bce_grads, nn_rules._sigmoid,
                nn_rules._softplus_neg, fa.logspace_grads, fa.geomspace_grads,
                fa.arange_grads, nn_rules.gelu_slope, nn_rules._bce_prob_grads,
                nn_rules._log_or_ninf, nn_rules._log1m_or_ninf, nn_rules._robust_slope,
                nn_rules._ln_grads):
    composite(_helper)(_helper)


@composite(rh.exclusive_products)
def exclusive_products_composite(a, axis):
    """Products of the other elements of each slice, as exclusive running products
    (exact with zeros, and differentiable through ``cumprod``)."""
    a = np.asarray(a)
    nd = np.ndim(a)
    axes = norm_axis(axis, nd)
    if not axes:
        return np.ones_like(a)
    k = nd - len(axes)
    dest = tuple(range(k, nd))
    moved = np.moveaxis(a, axes, dest)
    flat = np.reshape(moved, np.shape(moved)[:k] + (-1,))
    one = np.ones(np.shape(flat)[:-1] + (1,), np.result_type(flat))
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], axis=-1), axis=-1)
    rev = np.concatenate([one, np.flip(flat, -1)[..., :-1]], axis=-1)
    right = np.flip(np.cumprod(rev, axis=-1), -1)
    return np.moveaxis(np.reshape(left * right, np.shape(moved)), dest, axes)


@composite(rh.cumprod_grad)
def cumprod_grad_composite(g, a, out, axis):
    """revcumsum(g out) / a: the zero-free form. At a zero, the masks that make the
    first derivative exact have no derivative of this form: the value then comes from
    ``cumprod_grad`` itself, in a node that refuses to be differentiated."""
    a = np.asarray(a) * require_nonzero(a, "the second derivative of cumprod")
    return rh.cumsum_grad(g * out, np.shape(a), axis) / a


@composite(lh.det_grad)
def det_grad_composite(g, a, out):
    """g det(A) A^-T; the singular case (cofactors from an SVD) is refused."""
    a = a * require_conditioned(a, "the second derivative of det")
    return np.asarray(g * out)[..., None, None] * lh._mT(np.linalg.inv(a))


@composite(eh.sinc_slope)
def sinc_slope_composite(x, out):
    """(cos(pi x) - sinc(x)) / x; at 0 the slope is 0 and its own slope -pi^2 / 3."""
    zero = x == 0
    safe = np.where(zero, 1.0, x)
    return np.where(zero, x * (-np.pi ** 2 / 3.0), (np.cos(np.pi * x) - out) / safe)


@composite(rh._matrix_norm_grad)
def matrix_norm_grad_composite(g, x, out, ord, axes, keepdims):
    """The matrix-norm gradient for the orders whose gradient is not an SVD's."""
    if ord in (None, "fro"):
        return rh._norm_over(g, x, out, None, axes, keepdims)
    if ord not in (1, -1, np.inf, -np.inf):
        raise NotImplementedError(f"the second derivative of the matrix norm ord={ord!r} "
                                  "(through an SVD) is not supported")
    r, c = axes
    xm = np.moveaxis(x, (r, c), (-2, -1))
    gm = np.asarray(g if not keepdims else np.squeeze(g, axis=axes))
    sum_axis = -2 if ord in (1, -1) else -1
    sums = np.sum(np.abs(xm), axis=sum_axis, keepdims=True)
    other = -1 - (sum_axis == -1)
    pick = (np.max(sums, axis=other, keepdims=True) if ord in (1, np.inf)
            else np.min(sums, axis=other, keepdims=True))
    hit = sums == pick
    res = gm[..., None, None] * np.sign(xm) * (hit / rh._count(hit, (-2, -1), xm))
    return np.moveaxis(res, (-2, -1), (r, c))


def diagonal_index(uniq: str, labels: str, shape: tuple) -> tuple:
    """Index of the diagonal that the repeated letters of ``labels`` span."""
    pos = {c: q for q, c in enumerate(uniq)}
    return tuple(np.arange(shape[i]).reshape([-1 if q == pos[c] else 1
                                              for q in range(len(uniq))])
                 for i, c in enumerate(labels))


nondifferentiable(diagonal_index)


@composite(lh._embed_diagonal)
def embed_diagonal_composite(gk, uniq, labels, shape):
    return scatter_add(gk, shape, np.result_type(gk, np.float32),
                       diagonal_index(uniq, labels, shape))
