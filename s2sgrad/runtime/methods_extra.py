"""More of PyTorch's Tensor methods: elementwise math, comparisons, in-place forms,
triangles and diagonals, scans, order statistics, indexed writes, windows.

Takes: the ``Tensor`` core, ``methods`` (return types, helpers) and the primitives
in ``s2sgrad.rules``. Gives: methods bound onto ``Tensor`` on import, each with
PyTorch's node name, dtype rules and error texts.
Invariant: every differentiable method goes through ``ops.apply`` (or
``apply_inplace``); nothing here computes a gradient.
"""
from __future__ import annotations

import numpy as np

from ..rules import torch_extra as te
from ..rules import torchlike as tl
from . import dtypes
from .methods import (_arr, _as_float, _fix_sign, _floating, _long, _return_type, _scatter,
                      _views_of)
from .ops import apply, apply_inplace, check_inplace
from .tensor import Tensor, _wrap_dim

T = Tensor
_CummaxRT, _CumminRT = _return_type("cummax"), _return_type("cummin")
_KthRT, _MedianRT = _return_type("kthvalue"), _return_type("median")
_NanmedianRT = _return_type("nanmedian")
__all__: list = []


def _dim(self, dim):
    return _wrap_dim(dim, self._data.ndim)


# -- elementwise math: integer inputs give the default float dtype --------------------------
for _n, _p, _node in [("asin", np.arcsin, "AsinBackward0"), ("acos", np.arccos, "AcosBackward0"),
                      ("atan", np.arctan, "AtanBackward0"), ("sinh", np.sinh, "SinhBackward0"),
                      ("cosh", np.cosh, "CoshBackward0"), ("asinh", np.arcsinh,
                                                           "AsinhBackward0"),
                      ("acosh", np.arccosh, "AcoshBackward0"),
                      ("atanh", np.arctanh, "AtanhBackward0"),
                      ("expm1", np.expm1, "Expm1Backward0"), ("exp2", np.exp2, "Exp2Backward0"),
                      ("erfc", te.erfc, "ErfcBackward0"), ("erfinv", te.erfinv,
                                                           "ErfinvBackward0"),
                      ("sinc", np.sinc, "SincBackward0"), ("deg2rad", np.deg2rad,
                                                           "Deg2RadBackward0"),
                      ("rad2deg", np.rad2deg, "Rad2DegBackward0"),
                      ("exp", np.exp, "ExpBackward0"), ("log", np.log, "LogBackward0"),
                      ("sqrt", np.sqrt, "SqrtBackward0"), ("sigmoid", tl.sigmoid,
                                                           "SigmoidBackward0"),
                      ("tanh", np.tanh, "TanhBackward0"), ("sin", np.sin, "SinBackward0"),
                      ("cos", np.cos, "CosBackward0"), ("log1p", np.log1p, "Log1PBackward0"),
                      ("reciprocal", np.reciprocal, "ReciprocalBackward0")]:
    _op, _op_ = _floating(_p, _node)
    setattr(T, _n + "_", _op_)
    if not hasattr(T, _n) or _n in ("exp2", "reciprocal"):
        setattr(T, _n, _op)
T.arcsin, T.arccos, T.arctan = T.asin, T.acos, T.atan
T.arcsinh, T.arccosh, T.arctanh = T.asinh, T.acosh, T.atanh
T.rsqrt_ = lambda self: apply_inplace(self, np.power, -0.5, name="RsqrtBackward0")


def _neg_(self):
    return apply_inplace(self, np.negative, name="NegBackward0")


def _abs_(self):
    return apply_inplace(self, np.abs, name="AbsBackward0")


def _pow_(self, exponent):
    if isinstance(exponent, Tensor):
        return apply_inplace(self, np.power, exponent, name="PowBackward1")
    return apply_inplace(self, np.power, exponent, name="PowBackward0")


T.neg_ = T.negative_ = _neg_
T.negative = T.neg
T.abs_ = T.absolute_ = _abs_
T.absolute = T.abs
T.pow_ = _pow_
T.square_ = lambda self: apply_inplace(self, np.power, 2, name="PowBackward0")
T.positive = lambda self: self
T.multiply, T.subtract, T.divide, T.true_divide = T.mul, T.sub, T.div, T.div
T.multiply_, T.subtract_, T.divide_, T.true_divide_ = T.mul_, T.sub_, T.div_, T.div_


def _sgn(self):
    if self._data.dtype.kind == "b":
        return Tensor._wrap(self._data.copy())
    return _fix_sign(apply(np.sign, self, name="SgnBackward0"))


T.sgn = _sgn
T.signbit = lambda self: Tensor._wrap(np.asarray(np.signbit(self._data)))


def _pairwise(primal, name_t, name_s=None, float_result=False):
    """A binary op; a Python number as the second operand selects ``name_s``."""
    def op(self, other):
        x = _as_float(self) if float_result else self
        if name_s is not None and not isinstance(other, Tensor):
            return apply(primal, x, other, name=name_s)
        return apply(primal, x, other, name=name_t)
    return op


T.atan2 = T.arctan2 = _pairwise(np.arctan2, "Atan2Backward0", float_result=True)
T.hypot = _pairwise(np.hypot, "HypotBackward0")
T.logaddexp = _pairwise(np.logaddexp, "LogaddexpBackward0")
T.logaddexp2 = _pairwise(np.logaddexp2, "Logaddexp2Backward0")
T.fmax = _pairwise(np.fmax, "FmaxBackward0")
T.fmin = _pairwise(np.fmin, "FminBackward0")
T.fmod = _pairwise(np.fmod, "FmodBackward1", "FmodBackward0")
T.remainder = _pairwise(np.remainder, "RemainderBackward1", "RemainderBackward0")
T.xlogy = _pairwise(te.xlogy, "XlogyBackward0", "XlogyBackward2", float_result=True)
T.maximum = _pairwise(np.maximum, "MaximumBackward0")
T.minimum = _pairwise(np.minimum, "MinimumBackward0")
T.fmod_ = lambda self, o: apply_inplace(self, np.fmod, _arr(o) if not isinstance(o, Tensor)
                                        else o, name="FmodBackward1" if isinstance(o, Tensor)
                                        else "FmodBackward0")
T.remainder_ = lambda self, o: apply_inplace(self, np.remainder, o, name=(
    "RemainderBackward1" if isinstance(o, Tensor) else "RemainderBackward0"))


def _float_power(self, exponent):
    x = self if self._data.dtype == np.float64 else self.to(dtypes.float64)
    if isinstance(exponent, Tensor):
        e = exponent if exponent._data.dtype == np.float64 else exponent.to(dtypes.float64)
        return apply(np.power, x, e, name="PowBackward1")
    return apply(np.power, x, float(exponent), name="PowBackward0")


T.float_power = _float_power


def _logit(self, eps=None):
    return apply(te.logit, _as_float(self), eps, name="LogitBackward0")


def _logit_(self, eps=None):
    return apply_inplace(self, te.logit, eps, name="LogitBackward0")


T.logit, T.logit_ = _logit, _logit_


def _nan_to_num(self, nan=0.0, posinf=None, neginf=None):
    if self._data.dtype.kind not in "fc":
        return Tensor._wrap(self._data.copy())
    return apply(te.nan_to_num, self, nan, posinf, neginf, name="NanToNumBackward0")


def _nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
    if self._data.dtype.kind not in "fc":
        check_inplace(self)
        return self
    return apply_inplace(self, te.nan_to_num, nan, posinf, neginf, name="NanToNumBackward0")


T.nan_to_num, T.nan_to_num_ = _nan_to_num, _nan_to_num_


def _clamp_bound(primal_scalar, primal_tensor, which):
    name0, name1 = f"Clamp{which}Backward0", f"Clamp{which}Backward1"

    def op(self, bound):
        if isinstance(bound, Tensor):
            return apply(primal_tensor, self, bound, name=name1)
        return apply(tl.clamp, self, *primal_scalar(bound), name=name0)

    def op_(self, bound):
        if isinstance(bound, Tensor):
            return apply_inplace(self, primal_tensor, bound, name=name1)
        return apply_inplace(self, tl.clamp, *primal_scalar(bound), name=name0)
    return op, op_


T.clamp_min, T.clamp_min_ = _clamp_bound(lambda b: (b, None), te.clamp_min, "Min")
T.clamp_max, T.clamp_max_ = _clamp_bound(lambda b: (None, b), te.clamp_max, "Max")


def _addc(primal, name):
    def op(self, tensor1, tensor2, *, value=1):
        return apply(primal, self, tensor1, tensor2, value, name=name)

    def op_(self, tensor1, tensor2, *, value=1):
        return apply_inplace(self, primal, tensor1, tensor2, value, name=name)
    return op, op_


T.addcmul, T.addcmul_ = _addc(te.addcmul, "AddcmulBackward0")
T.addcdiv, T.addcdiv_ = _addc(te.addcdiv, "AddcdivBackward0")


# -- comparisons and predicates -----------------------------------------------------------
def _pred(fn):
    return lambda self: Tensor._wrap(np.asarray(fn(self._data)))


T.isnan = _pred(np.isnan)
T.isinf = _pred(np.isinf)
T.isfinite = _pred(np.isfinite)
T.isposinf = _pred(np.isposinf)
T.isneginf = _pred(np.isneginf)
T.logical_not = _pred(np.logical_not)
T.logical_and = lambda self, o: Tensor._wrap(np.asarray(np.logical_and(self._data, _arr(o))))
T.logical_or = lambda self, o: Tensor._wrap(np.asarray(np.logical_or(self._data, _arr(o))))
T.logical_xor = lambda self, o: Tensor._wrap(np.asarray(np.logical_xor(self._data, _arr(o))))
T.isclose = lambda self, o, rtol=1e-5, atol=1e-8, equal_nan=False: Tensor._wrap(np.asarray(
    np.isclose(self._data, _arr(o), rtol=rtol, atol=atol, equal_nan=equal_nan)))
T.is_floating_point = lambda self: self._data.dtype.kind == "f"
T.count_nonzero = lambda self, dim=None: Tensor._wrap(np.asarray(
    np.count_nonzero(self._data, axis=dim), dtype=np.int64))


def _nonzero(self, *, as_tuple=False):
    idx = np.nonzero(np.atleast_1d(self._data))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
    if self._data.ndim == 0:
        return Tensor._wrap(np.zeros((int(bool(self._data)), 0), np.int64))
    return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64).reshape(-1, self._data.ndim))


T.nonzero = _nonzero
T.argwhere = lambda self: _nonzero(self)
T.where = lambda self, condition, other: _where3(condition, self, other)


def _where3(condition, x, y):
    return apply(tl.where3, _arr(condition), x, y, name="WhereBackward0")


# -- dtypes and factories ---------------------------------------------------------------------
T.byte = lambda self: self.to(dtypes.uint8)
T.type_as = lambda self, other: self.to(other.dtype)
T.nbytes = property(lambda self: int(self._data.nbytes))
T.itemsize = property(lambda self: int(self._data.itemsize))


def _size_arg(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


T.new_empty = lambda self, *size, dtype=None, requires_grad=False: Tensor(
    np.zeros(_size_arg(size), dtypes.to_numpy(dtype) or self._data.dtype),
    requires_grad=requires_grad)
T.new_full = lambda self, size, fill_value, dtype=None, requires_grad=False: Tensor(
    np.full(tuple(size), fill_value, dtypes.to_numpy(dtype) or self._data.dtype),
    requires_grad=requires_grad)


def _apply_(self, fn):
    if self._requires_grad:
        raise RuntimeError("apply_ is only implemented on CPU tensors and not for tensors that "
                           "require gradient")
    check_inplace(self)
    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    self._data[...] = flat.reshape(self._data.shape)
    self._vc[0] += 1
    return self


T.apply_ = _apply_


def _exponential_(self, lambd=1.0, *, generator=None):
    from .random import default_generator
    gen = generator or default_generator
    u = gen.rand(self._data.shape, dtypes.float64)
    draw = -np.log1p(-np.asarray(u)) / lambd
    return apply_inplace(self, tl.fill, draw.astype(self._data.dtype),
                         name="ExponentialBackward0")


T.exponential_ = _exponential_


# -- matrices: products, triangles, diagonals -----------------------------------------------
def _need(self, nd, what):
    if self._data.ndim != nd:
        raise RuntimeError(what)


def _addmm(self, mat1, mat2, *, beta=1, alpha=1):
    a, b = _arr(mat1), _arr(mat2)
    if np.ndim(a) != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {np.ndim(a)}-D tensor")
    if np.ndim(b) != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {np.ndim(b)}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return apply(te.addmm, self, mat1, mat2, beta, alpha, name="AddmmBackward0")


def _addmv(self, mat, vec, *, beta=1, alpha=1):
    return apply(te.addmm, self, mat, vec, beta, alpha, name="AddmvBackward0")


def _baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return apply(te.addmm, self, batch1, batch2, beta, alpha, name="BaddbmmBackward0")


def _addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    return apply(te.addbmm, self, batch1, batch2, beta, alpha, name="AddbmmBackward0")


T.addmm, T.addmv, T.baddbmm, T.addbmm = _addmm, _addmv, _baddbmm, _addbmm
T.addmm_ = lambda self, m1, m2, *, beta=1, alpha=1: apply_inplace(
    self, te.addmm, m1, m2, beta, alpha, name="AddmmBackward0")
T.outer = T.ger = lambda self, vec2: apply(np.outer, self, vec2, name="MulBackward0")


def _tri(primal, name, what):
    def op(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError(f"{what}: input tensor must have at least 2 dimensions")
        return apply(primal, self, int(diagonal), name=name)

    def op_(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError(f"{what}: input tensor must have at least 2 dimensions")
        return apply_inplace(self, primal, int(diagonal), name=name)
    return op, op_


T.tril, T.tril_ = _tri(np.tril, "TrilBackward0", "tril")
T.triu, T.triu_ = _tri(np.triu, "TriuBackward0", "triu")


def _diag(self, diagonal=0):
    nd = self._data.ndim
    if nd == 1:
        return apply(np.diag, self, int(diagonal), name="DiagEmbedBackward0")
    if nd == 2:
        out = apply(np.diagonal, self, int(diagonal), 0, 1, name="DiagonalBackward0_copy")
        out._data = out._data.copy()
        return out
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def _diagonal(self, offset=0, dim1=0, dim2=1):
    d1, d2 = _dim(self, dim1), _dim(self, dim2)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = apply(np.diagonal, self, int(offset), d1, d2, name="DiagonalBackward0")
    out._data = out._data.copy()
    return out


def _diag_embed(self, offset=0, dim1=-2, dim2=-1):
    nd = self._data.ndim + 1
    return apply(te.diag_embed, self, int(offset), _wrap_dim(dim1, nd), _wrap_dim(dim2, nd),
                 name="DiagEmbedBackward0")


T.diag, T.diagonal, T.diag_embed = _diag, _diagonal, _diag_embed
T.diagflat = lambda self, offset=0: apply(np.diag, self.reshape(-1), int(offset),
                                          name="DiagEmbedBackward0")


def _trace(self):
    if self._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{self._data.ndim}")
    if self._data.dtype.kind in "biu":
        return Tensor._wrap(np.asarray(np.trace(self._data), np.int64))
    return apply(np.trace, self, name="TraceBackward0")


T.trace = _trace


def _fill_diagonal_(self, fill_value, wrap=False):
    x = self._data
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if x.ndim == 2:
        rows, cols = x.shape
        stop = x.size if wrap and rows > cols + 1 else min(rows, cols) * cols
        index = np.unravel_index(np.arange(0, stop, cols + 1), x.shape)
    else:
        index = (np.arange(x.shape[0]),) * x.ndim
    return self.__setitem__(tuple(Tensor._wrap(i.astype(np.int64)) for i in index),
                            fill_value) or self


T.fill_diagonal_ = _fill_diagonal_


# -- in-place shape changes (the tensor takes the new shape and node) ---------------------
def _reshaping_(primal, args_of, name):
    def op_(self, *args):
        check_inplace(self)
        res = apply(primal, self, *args_of(self, *args), name=name)
        self._data = res._data
        if res.grad_fn is not None:
            self.grad_fn, self._output_nr, self._requires_grad = res.grad_fn, 0, True
        self._vc[0] += 1
        return self
    return op_


def _t_args(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._data.ndim}D")
    return (0, 1) if self._data.ndim == 2 else (0, 0)


T.t_ = _reshaping_(tl.transpose, _t_args, "TBackward1")
T.transpose_ = _reshaping_(tl.transpose, lambda s, a, b: (_dim(s, a), _dim(s, b)),
                           "TransposeBackward1")
T.squeeze_ = _reshaping_(tl.squeeze, lambda s, dim=None: (
    None if dim is None else dim % max(s._data.ndim, 1),), "SqueezeBackward3")
T.unsqueeze_ = _reshaping_(tl.unsqueeze, lambda s, dim: (dim % (s._data.ndim + 1),),
                           "UnsqueezeBackward1")


# -- scans, order statistics, reductions ----------------------------------------------------
def _cumprod(self, dim, *, dtype=None):
    x = self if dtype is None else self.to(dtype)
    if x._data.dtype.kind in "biu":
        return Tensor._wrap(np.cumprod(x._data, axis=_dim(self, dim) if x._data.ndim else None)
                            .astype(np.int64).reshape(x._data.shape))
    if x._data.ndim == 0:
        return apply(tl.clone, x, name="CumprodBackward0")
    return apply(np.cumprod, x, _dim(self, dim), name="CumprodBackward0")


T.cumprod = _cumprod
T.cumprod_ = lambda self, dim: apply_inplace(self, np.cumprod, _dim(self, dim),
                                             name="CumprodBackward0")


def _cum_ext(largest, rt, name):
    def op(self, dim):
        d = _dim(self, dim)
        x = self if self._data.ndim else self.reshape(1)
        vals, idx = apply(te.cum_extreme, x, d, largest, name=name)
        if self._data.ndim == 0:
            vals, idx = vals.reshape(()), idx.reshape(())
        return rt(vals, Tensor._wrap(idx._data.astype(np.int64)))
    return op


T.cummax = _cum_ext(True, _CummaxRT, "CummaxBackward0")
T.cummin = _cum_ext(False, _CumminRT, "CumminBackward0")
T.logcumsumexp = lambda self, dim: apply(te.logcumsumexp, self, _dim(self, dim),
                                         name="LogcumsumexpBackward0")


def _order_stat(self, d, k, keepdim, nan, name, rt):
    x = self if self._data.ndim else self.reshape(1)
    vals, idx = apply(te.kth_dim, x, d, k, keepdim, nan, name=name)
    if self._data.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    return rt(vals, Tensor._wrap(idx._data.astype(np.int64)))


def _kthvalue(self, k, dim=-1, keepdim=False):
    d = _dim(self, dim)
    n = self._data.shape[d] if self._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _order_stat(self, d, k, keepdim, "kth", "KthvalueBackward0", _KthRT)


def _median_like(nan, name_all, name_dim, rt):
    def op(self, dim=None, keepdim=False):
        if dim is None:
            if self._data.size == 0:
                raise IndexError("median() input tensor cannot be empty")
            return apply(te.kth_all, self, nan, name=name_all)
        return _order_stat(self, _dim(self, dim), 1, keepdim, nan, name_dim, rt)
    return op


T.kthvalue = _kthvalue
T.median = _median_like("median", "MedianBackward0", "MedianBackward1", _MedianRT)
T.nanmedian = _median_like("ignore", "NanmedianBackward0", "NanmedianBackward1",
                           _NanmedianRT)
T.msort = lambda self: self.sort(0).values


def _nan_reduce(primal, name, what):
    def op(self, dim=None, keepdim=False, *, dtype=None):
        if self._data.dtype.kind not in "fc":
            if what == "nansum" and dtype is None:
                return self.sum(dim, keepdim)
            raise RuntimeError(f"{what}(): expected input to have floating point or complex "
                               f"dtype but got {_long(self._data.dtype)}")
        x = self if dtype is None else self.to(dtype)
        d = tuple(dim) if isinstance(dim, list) else dim
        return apply(primal, x, d, None, None, keepdim, name=name)
    return op


T.nansum = _nan_reduce(np.nansum, "NansumBackward0", "nansum")
T.nanmean = _nan_reduce(np.nanmean, "DivBackward0", "nanmean")


# -- shapes -----------------------------------------------------------------------------------
def _narrow(self, dim, start, length):
    d = _dim(self, dim)
    n = self._data.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}).")
    return self[(slice(None),) * d + (slice(start, start + int(length)),)]


T.narrow = _narrow


def _movedim(self, source, destination):
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    nd = self._data.ndim
    src, dst = [_wrap_dim(s, nd) for s in src], [_wrap_dim(s, nd) for s in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return apply(tl.permute, self, tuple(order), name="PermuteBackward0")


T.movedim = T.moveaxis = _movedim
T.ravel = lambda self: apply(tl.view, self, (-1,), name="ViewBackward0")


def _repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
    r = _arr(repeats)
    if dim is None:
        return apply(np.repeat, self.reshape(-1), r, 0, name="ViewBackward0")
    return apply(np.repeat, self, r, _dim(self, dim), name="ViewBackward0")


T.repeat_interleave = _repeat_interleave


def _rot90(self, k=1, dims=(0, 1)):
    if self._data.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {self._data.ndim}")
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = _dim(self, dims[0]), _dim(self, dims[1])
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    out = apply(np.rot90, self, int(k), (d0, d1), name="Rot90Backward0")
    out._data = out._data.copy()
    return out


T.rot90 = _rot90
T.fliplr = lambda self: self.flip(1)
T.flipud = lambda self: self.flip(0)
T.tile = lambda self, *dims: apply(np.tile, self, _size_arg(dims), name="RepeatBackward0")


def _unfold(self, dimension, size, step):
    d = _dim(self, dimension) if self._data.ndim else 0
    n = self._data.shape[d] if self._data.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    x = self if self._data.ndim else self.reshape(1)
    out = apply(te.unfold, x, d, int(size), int(step), name="UnfoldBackward0")
    return out.reshape(size) if self._data.ndim == 0 else out


T.unfold = _unfold


def _tensor_split(self, indices_or_sections, dim=0):
    d = _dim(self, dim)
    n = self._data.shape[d]
    ios = _arr(indices_or_sections)
    if isinstance(ios, np.ndarray) and ios.ndim == 0:
        ios = int(ios)
    if isinstance(ios, (int, np.integer)):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, int(ios))
        sizes = [q + 1] * r + [q] * (int(ios) - r)
        cuts = list(np.cumsum(sizes)[:-1])
    else:
        cuts = [int(i) for i in np.asarray(ios).reshape(-1)]
    bounds = [0] + cuts + [n]
    return tuple(self[(slice(None),) * d + (slice(min(max(a, 0), n), min(max(b, a, 0), n)),)]
                 for a, b in zip(bounds[:-1], bounds[1:]))


T.tensor_split = _tensor_split


def _hvsplit(dim_of, what):
    def op(self, sections):
        if self._data.ndim < (1 if what == "hsplit" else 2):
            raise RuntimeError(f"torch.{what} requires a tensor with at least "
                               f"{1 if what == 'hsplit' else 2} dimension, but got a tensor "
                               f"with {self._data.ndim} dimensions!")
        d = dim_of(self)
        if isinstance(sections, int) and self._data.shape[d] % sections:
            raise RuntimeError(f"torch.{what} attempted to split along dimension {d}, but the "
                               f"size of the dimension {self._data.shape[d]} is not divisible "
                               f"by the split_size {sections}!")
        return _tensor_split(self, sections, d)
    return op


T.hsplit = _hvsplit(lambda s: 1 if s._data.ndim > 1 else 0, "hsplit")
T.vsplit = _hvsplit(lambda s: 0, "vsplit")


def _unbind(self, dim=0):
    if self._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _dim(self, dim)
    outs = apply(np.unstack, self, axis=d, name="UnbindBackward0")
    return _views_of(self, tuple(outs))


T.unbind = _unbind


# -- indexed reads and writes -------------------------------------------------------------------
def _take(self, index):
    idx = np.asarray(_arr(index))
    n = self._data.size
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad].reshape(-1)[0])} "
                         f"on a tensor of {n} elements.")
    return apply(np.take, self, np.where(idx < 0, idx + n, idx), name="TakeBackward0")


T.take = _take


def _take_along_dim(self, indices, dim=None):
    idx = np.asarray(_arr(indices))
    if dim is None:
        return apply(np.take_along_axis, self.reshape(-1), idx.reshape(-1), 0,
                     name="GatherBackward0")
    d = _dim(self, dim)
    shape = list(np.broadcast_shapes(self._data.shape[:d] + (1,) + self._data.shape[d + 1:],
                                     idx.shape[:d] + (1,) + idx.shape[d + 1:]))
    x = self.expand(*(shape[:d] + [self._data.shape[d]] + shape[d + 1:]))
    idx = np.broadcast_to(idx, tuple(shape[:d] + [idx.shape[d]] + shape[d + 1:]))
    return apply(np.take_along_axis, x, idx, d, name="GatherBackward0")


T.take_along_dim = _take_along_dim


def _masked_select(self, mask):
    m = np.asarray(_arr(mask))
    if m.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(self._data.shape, m.shape)
    x = self if self._data.shape == shape else self.expand(*shape)
    from ..rules import indexing as ix
    return apply(ix.getitem, x, np.broadcast_to(m, shape), name="MaskedSelectBackward0")


T.masked_select = _masked_select


def _index_arg(self, dim, index, what):
    idx = np.asarray(_arr(index))
    if idx.dtype.kind not in "iu":
        raise IndexError(f"{what}(): Expected dtype int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{what}(): Index is supposed to be a vector")
    d = _dim(self, dim) if self._data.ndim else 0
    n = self._data.shape[d] if self._data.ndim else 1
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError("index out of range in self")
    return d, np.where(idx < 0, idx + n, idx).reshape(-1)


def _index_add(self, dim, index, source, *, alpha=1):
    d, idx = _index_arg(self, dim, index, "index_add")
    return apply(te.index_add, self, d, idx, source, alpha, name="IndexAddBackward0")


def _index_add_(self, dim, index, source, *, alpha=1):
    d, idx = _index_arg(self, dim, index, "index_add_")
    return apply_inplace(self, te.index_add, d, idx, source, alpha, name="IndexAddBackward0")


def _index_copy(self, dim, index, source):
    d, idx = _index_arg(self, dim, index, "index_copy")
    return apply(te.index_copy, self, d, idx, source, name="IndexCopyBackward0")


def _index_copy_(self, dim, index, source):
    d, idx = _index_arg(self, dim, index, "index_copy_")
    return apply_inplace(self, te.index_copy, d, idx, source, name="IndexCopyBackward0")


def _index_fill(self, dim, index, value):
    d, idx = _index_arg(self, dim, index, "index_fill")
    return apply(te.index_fill, self, d, idx, _arr(value), name="IndexFillBackward0")


def _index_fill_(self, dim, index, value):
    d, idx = _index_arg(self, dim, index, "index_fill_")
    return apply_inplace(self, te.index_fill, d, idx, _arr(value), name="IndexFillBackward0")


T.index_add, T.index_add_ = _index_add, _index_add_
T.index_copy, T.index_copy_ = _index_copy, _index_copy_
T.index_fill, T.index_fill_ = _index_fill, _index_fill_


def _put_index(indices):
    return tuple(np.asarray(_arr(i)) for i in indices)


def _index_put(self, indices, values, accumulate=False):
    idx = _put_index(indices)
    if accumulate:
        return apply(te.index_put_add, self, idx, values, name="IndexPutBackward0")
    return apply(tl.setitem, self, idx, values, name="IndexPutBackward0")


def _index_put_(self, indices, values, accumulate=False):
    idx = _put_index(indices)
    if accumulate:
        return apply_inplace(self, te.index_put_add, idx, values, name="IndexPutBackward0")
    return apply_inplace(self, tl.setitem, idx, values, name="IndexPutBackward0")


T.index_put, T.index_put_ = _index_put, _index_put_


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    check_inplace(self)
    res = _scatter(self, dim, index, src, value, reduce=reduce)     # checks and node name
    name = type(res.grad_fn).__name__ if res.grad_fn is not None else None
    s = src if isinstance(src, Tensor) else None
    d = _dim(self, dim)
    idx = np.asarray(_arr(index))
    if s is not None:
        return apply_inplace(self, tl.scatter, d, idx.reshape(idx.shape or (1,)),
                             s if s._data.ndim else s.reshape(1), name=name)
    v = src if src is not None else value
    return apply_inplace(self, tl.scatter, d, idx.reshape(idx.shape or (1,)), _arr(v),
                         name=name)


def _scatter_add(self, dim, index, src):
    d = _dim(self, dim) if self._data.ndim else 0
    idx = np.asarray(_arr(index))
    if idx.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int64 for index")
    if isinstance(src, Tensor) and src._data.dtype != self._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return d, idx.reshape(idx.shape or (1,))


T.scatter_ = _scatter_
T.scatter_add = lambda self, dim, index, src: apply(
    te.scatter_add_dim, self, *_scatter_add(self, dim, index, src), src,
    name="ScatterAddBackward0")
T.scatter_add_ = lambda self, dim, index, src: apply_inplace(
    self, te.scatter_add_dim, *_scatter_add(self, dim, index, src), src,
    name="ScatterAddBackward0")


# -- multinomial -----------------------------------------------------------------------------
def _multinomial(self, num_samples, replacement=False, *, generator=None):
    from .random import default_generator
    gen = generator or default_generator
    p = np.atleast_2d(self._data.astype(np.float64))
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (p.sum(1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > p.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    out = np.zeros((p.shape[0], num_samples), np.int64)
    for r in range(p.shape[0]):
        w = p[r].copy()
        for s in range(num_samples):
            u = float(np.asarray(gen.rand((1,), dtypes.float64))[0]) * w.sum()
            j = int(min(np.searchsorted(np.cumsum(w), u, side="right"), w.size - 1))
            while w[j] == 0:
                j -= 1
            out[r, s] = j
            if not replacement:
                w[j] = 0
    return Tensor._wrap(out if self._data.ndim == 2 else out[0])


T.multinomial = _multinomial
