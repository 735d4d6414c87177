"""Tensor operators and methods, each one call into the rule table.

Takes: the ``Tensor`` core and the primitives in ``s2sgrad.rules``.
Gives: ``+ - * / ** @``, comparisons, indexing, and the PyTorch method surface
(``sum``, ``mean``, ``view``, ``max``, in-place ``add_``, ...), bound onto
``Tensor`` when this module is imported.
Invariant: every differentiable method goes through ``ops.apply`` (or
``apply_inplace``) with PyTorch's node name; nothing here computes a gradient.
"""
from __future__ import annotations

import collections

import numpy as np

from ..rules import indexing as ix
from ..rules import torchlike as tl
from . import dtypes
from .ops import apply, apply_inplace, check_inplace
from .tensor import Tensor, _wrap_dim

__all__ = ["return_types"]


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _broadcast_error(a, b):
    sa, sb = np.shape(_arr(a)), np.shape(_arr(b))
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor "
                                f"b ({pb[i]}) at non-singleton dimension {i}")
    return None


def _scalar_operand(self, other):
    """A 0-d tensor operand of another dtype takes part like a Python number."""
    if isinstance(other, Tensor) and other._data.ndim == 0 and self._data.ndim > 0 \
            and other._data.dtype != self._data.dtype \
            and other._data.dtype.kind == self._data.dtype.kind == "f" \
            and not other._requires_grad:
        return other._data.item()
    if isinstance(other, (list, tuple)):
        return Tensor(other)
    return other


def _binary(primal, name, swap=False):
    def op(self, other):
        other = _scalar_operand(self, other)
        a, b = (other, self) if swap else (self, other)
        try:
            return apply(primal, a, b, name=name)
        except ValueError:
            err = _broadcast_error(a, b)
            if err is None:
                raise
            raise err from None
    return op


def _inplace_binary(primal, name):
    def op(self, other, alpha=None):
        other = _scalar_operand(self, other)
        if alpha is not None:
            other = other * alpha
        try:
            return apply_inplace(self, primal, other, name=name)
        except ValueError:
            err = _broadcast_error(self, other)
            if err is None:
                raise
            raise err from None
    return op


T = Tensor
T.__add__ = _binary(np.add, "AddBackward0")
T.__radd__ = _binary(np.add, "AddBackward0", swap=True)
T.__sub__ = _binary(np.subtract, "SubBackward0")
T.__mul__ = _binary(np.multiply, "MulBackward0")
T.__rmul__ = _binary(np.multiply, "MulBackward0", swap=True)
T.__truediv__ = _binary(np.divide, "DivBackward0")
T.__iadd__ = _inplace_binary(np.add, "AddBackward0")
T.__isub__ = _inplace_binary(np.subtract, "SubBackward0")
T.__imul__ = _inplace_binary(np.multiply, "MulBackward0")
T.__itruediv__ = _inplace_binary(np.divide, "DivBackward0")
T.add_ = _inplace_binary(np.add, "AddBackward0")
T.sub_ = _inplace_binary(np.subtract, "SubBackward0")
T.mul_ = _inplace_binary(np.multiply, "MulBackward0")
T.div_ = _inplace_binary(np.divide, "DivBackward0")


def _rsub(self, other):
    return apply(tl.rsub, self, _scalar_operand(self, other), name="RsubBackward1")


def _rtruediv(self, other):
    return apply(np.reciprocal, self, name="ReciprocalBackward0") * other


def _pow(self, exponent):
    if isinstance(exponent, Tensor):
        if exponent._data.ndim == 0 and not exponent._requires_grad:
            exponent = exponent._data.item()
        else:
            return apply(np.power, self, exponent, name="PowBackward1")
    return apply(np.power, self, exponent, name="PowBackward0")


def _rpow(self, base):
    return apply(np.power, base, self, name="PowBackward2")


def _matmul(self, other):
    a, b = self._data, _arr(other)
    if a.ndim == 0 or np.ndim(b) == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {np.ndim(b)}D")
    if a.shape[-1] != np.shape(b)[-2 if np.ndim(b) > 1 else 0]:
        if a.ndim == 1 and np.ndim(b) == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and "
                               f"src [{np.shape(b)[0]}] to have the same number of elements, "
                               f"but got {a.shape[0]} and {np.shape(b)[0]} elements "
                               "respectively")
        rows = int(np.prod(a.shape[:-1])) if a.ndim > 1 else 1
        sb = np.shape(b)
        r2, c2 = (sb[-2], sb[-1]) if len(sb) > 1 else (sb[0], 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} "
                           f"and {r2}x{c2})")
    nd = (a.ndim, np.ndim(b))
    # PyTorch's node for each rank pair (measured on 2.13).
    name = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0",
            (1, 2): "SqueezeBackward4"}.get(nd, "UnsafeViewBackward0")
    if nd[0] == 2 and nd[1] >= 3:
        name = "CloneBackward0"
    return apply(np.matmul, self, other, name=name)


def _rmatmul(self, other):
    return _matmul(Tensor._wrap(np.asarray(other)), self)


T.__rsub__ = _rsub
T.__rtruediv__ = _rtruediv
T.__pow__ = _pow
T.pow = _pow
T.__rpow__ = _rpow
T.__matmul__ = _matmul
T.__rmatmul__ = _rmatmul
T.matmul = _matmul
T.mm = _matmul
T.bmm = lambda self, other: apply(np.matmul, self, other, name="BmmBackward0")
T.dot = _matmul
T.mv = _matmul
T.__neg__ = lambda self: apply(np.negative, self, name="NegBackward0")
T.neg = T.__neg__
T.__pos__ = lambda self: self
T.add = lambda self, other, alpha=None: self + (other if alpha is None else other * alpha)
T.sub = lambda self, other, alpha=None: self - (other if alpha is None else other * alpha)
T.mul = lambda self, other: self * other
T.div = lambda self, other: self / other
T.square = lambda self: apply(np.power, self, 2, name="PowBackward0")


def _compare(ufunc):
    def op(self, other):
        return Tensor._wrap(np.asarray(ufunc(self._data, _arr(other))))
    return op


T.__eq__ = _compare(np.equal)
T.__ne__ = _compare(np.not_equal)
T.__lt__ = _compare(np.less)
T.__le__ = _compare(np.less_equal)
T.__gt__ = _compare(np.greater)
T.__ge__ = _compare(np.greater_equal)
T.eq, T.ne, T.lt, T.le, T.gt, T.ge = T.__eq__, T.__ne__, T.__lt__, T.__le__, T.__gt__, T.__ge__
T.__hash__ = lambda self: id(self)
T.__invert__ = lambda self: Tensor._wrap(np.asarray(~self._data))
T.__and__ = lambda self, o: Tensor._wrap(np.asarray(self._data & _arr(o)))
T.__or__ = lambda self, o: Tensor._wrap(np.asarray(self._data | _arr(o)))
T.__floordiv__ = lambda self, o: Tensor._wrap(np.asarray(self._data // _arr(o)))
T.__mod__ = lambda self, o: Tensor._wrap(np.asarray(self._data % _arr(o)))
T.equal = lambda self, o: bool(self._data.shape == o._data.shape and
                               np.array_equal(self._data, o._data))
T.allclose = lambda self, o, rtol=1e-5, atol=1e-8, equal_nan=False: bool(
    np.allclose(self._data, _arr(o), rtol=rtol, atol=atol, equal_nan=equal_nan))


# -- elementwise math ------------------------------------------------------------------
def _unary(primal, name):
    return lambda self: apply(primal, self, name=name)


for _n, _p, _node in [("exp", np.exp, "ExpBackward0"), ("log", np.log, "LogBackward0"),
                      ("sqrt", np.sqrt, "SqrtBackward0"), ("abs", np.abs, "AbsBackward0"),
                      ("sin", np.sin, "SinBackward0"), ("cos", np.cos, "CosBackward0"),
                      ("tanh", np.tanh, "TanhBackward0"), ("sigmoid", tl.sigmoid,
                                                            "SigmoidBackward0"),
                      ("relu", tl.relu, "ReluBackward0"),
                      ("reciprocal", np.reciprocal, "ReciprocalBackward0"),
                      ("clone", tl.clone, "CloneBackward0")]:
    setattr(T, _n, _unary(_p, _node))
T.__abs__ = T.abs


def _log1p(self):
    return apply(np.log1p, self, name="Log1PBackward0")


def _rsqrt(self):
    return apply(np.power, self, -0.5, name="RsqrtBackward0")


def _float_only(self, what):
    if self._data.dtype.kind not in "fc":
        raise RuntimeError(f"{what}: Expected a floating point or complex tensor as input. "
                           f"Got {_long(self._data.dtype)}")


def _long(dt):
    from .printing_names import scalar_type_name
    return scalar_type_name(dt)


T.log1p = _log1p
T.rsqrt = _rsqrt


def _clamp(self, min=None, max=None):
    return apply(tl.clamp, self, _arr(min), _arr(max), name="ClampBackward1")


def _clamp_(self, min=None, max=None):
    return apply_inplace(self, tl.clamp, _arr(min), _arr(max), name="ClampBackward1")


T.clamp = T.clip = _clamp
T.clamp_ = _clamp_
T.relu_ = lambda self: apply_inplace(self, tl.relu, name="ReluBackward0")


# -- reductions -------------------------------------------------------------------------
def _dims(dim):
    if isinstance(dim, list):
        return tuple(dim)
    return dim


def _sum(self, dim=None, keepdim=False, dtype=None, axis=None):
    dim = axis if dim is None else dim
    if self._data.dtype.kind in "biu" and dtype is None:
        return Tensor._wrap(np.asarray(self._data.sum(axis=_dims(dim), keepdims=keepdim),
                                       dtype=np.int64))
    x = self if dtype is None else self.to(dtype)
    if dim is None:
        return apply(tl.sum_, x, name="SumBackward0")
    return apply(tl.sum_, x, _dims(dim), keepdim, name="SumBackward1")


def _mean(self, dim=None, keepdim=False, dtype=None, axis=None):
    dim = axis if dim is None else dim
    if self._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: "
                           f"{_long(self._data.dtype)}")
    x = self if dtype is None else self.to(dtype)
    if dim is None:
        return apply(tl.mean_, x, name="MeanBackward0")
    return apply(tl.mean_, x, _dims(dim), keepdim, name="MeanBackward1")


T.sum = _sum
T.mean = _mean

return_types = collections.namedtuple  # re-bound below to named result types


class _ReturnType(tuple):
    """``torch.return_types.max(values=..., indices=...)``."""

    _kind = "max"

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return (f"torch.return_types.{self._kind}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")


def _return_type(kind):
    return type(kind, (_ReturnType,), {"_kind": kind, "__slots__": ()})


_MaxRT, _MinRT = _return_type("max"), _return_type("min")


def _maxmin(full, along, rt, pairwise):
    def op(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return apply(pairwise, self, dim, name="MaximumBackward0" if rt is _MaxRT
                         else "MinimumBackward0")
        if dim is None:
            return apply(full, self, name="MaxBackward1" if rt is _MaxRT else "MinBackward1")
        d = _wrap_dim(dim, self._data.ndim)
        vals, idx = apply(along, self, d, keepdim)
        return rt(vals, Tensor._wrap(idx._data.astype(np.int64)))
    return op


T.max = _maxmin(tl.amax, tl.max_dim, _MaxRT, np.maximum)
T.min = _maxmin(tl.amin, tl.min_dim, _MinRT, np.minimum)
T.amax = lambda self, dim=None, keepdim=False: apply(tl.amax, self, _dims(dim), keepdim,
                                                     name="AmaxBackward0")
T.amin = lambda self, dim=None, keepdim=False: apply(tl.amin, self, _dims(dim), keepdim,
                                                     name="AminBackward0")
T.argmax = lambda self, dim=None, keepdim=False: Tensor._wrap(np.asarray(
    np.argmax(self._data, axis=dim, keepdims=keepdim), dtype=np.int64))
T.argmin = lambda self, dim=None, keepdim=False: Tensor._wrap(np.asarray(
    np.argmin(self._data, axis=dim, keepdims=keepdim), dtype=np.int64))


def _norm(self, p="fro", dim=None, keepdim=False):
    _float_only(self, "linalg.vector_norm")
    ord_ = 2 if p in ("fro", 2, None) else (np.inf if p in ("inf", float("inf")) else p)
    return apply(tl.vector_norm, self, ord_, _dims(dim), keepdim,
                 name="LinalgVectorNormBackward0")


T.norm = _norm
T.var = lambda self, dim=None, unbiased=True, keepdim=False, correction=None: apply(
    tl.var, self, _dims(dim), int(unbiased) if correction is None else correction, keepdim,
    name="VarBackward0")
T.std = lambda self, dim=None, unbiased=True, keepdim=False, correction=None: apply(
    tl.std, self, _dims(dim), int(unbiased) if correction is None else correction, keepdim,
    name="StdBackward0")
T.cumsum = lambda self, dim: apply(tl.cumsum, self, dim, name="CumsumBackward0")
T.logsumexp = lambda self, dim, keepdim=False: apply(tl.logsumexp, self, _dims(dim), keepdim,
                                                     name="LogsumexpBackward0")
T.prod = lambda self, dim=None, keepdim=False: apply(np.prod, self, dim, None, None, keepdim,
                                                     name="ProdBackward0")
T.all = lambda self, dim=None, keepdim=False: Tensor._wrap(np.asarray(
    np.all(self._data, axis=dim, keepdims=keepdim)))
T.any = lambda self, dim=None, keepdim=False: Tensor._wrap(np.asarray(
    np.any(self._data, axis=dim, keepdims=keepdim)))
T.softmax = lambda self, dim: apply(tl.softmax, self, dim, name="SoftmaxBackward0")
T.log_softmax = lambda self, dim: apply(tl.log_softmax, self, dim, name="LogSoftmaxBackward0")


# -- shapes -----------------------------------------------------------------------------
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def _resolve_shape(self, shape):
    n = self._data.size
    if shape.count(-1) == 1:
        rest = 1
        for s in shape:
            if s != -1:
                rest *= s
        if rest and n % rest == 0:
            shape = tuple(n // rest if s == -1 else s for s in shape)
    if int(np.prod(shape)) != n or any(s < 0 for s in shape):
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of "
                           f"size {n}")
    return shape


def _reshape(self, *shape):
    shape = _resolve_shape(self, _shape_arg(shape))
    name = "ViewBackward0" if self._data.flags.c_contiguous else "UnsafeViewBackward0"
    return apply(tl.view, self, shape, name=name)


def _view(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        return Tensor._wrap(self._data.view(shape[0].np))
    shape = _resolve_shape(self, _shape_arg(shape))
    if not self._data.flags.c_contiguous and self._data.ndim > 1:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return apply(tl.view, self, shape, name="ViewBackward0")


def _flatten(self, start_dim=0, end_dim=-1):
    nd = self._data.ndim
    if nd == 0:
        return _reshape(self, 1)
    s, e = start_dim % nd, end_dim % nd
    shp = self._data.shape
    new = shp[:s] + (int(np.prod(shp[s:e + 1])),) + shp[e + 1:]
    if new == shp:
        return self
    return _reshape(self, *new)


T.reshape = _reshape
T.view = _view
T.flatten = _flatten
T.view_as = lambda self, other: _view(self, *other._data.shape)
T.reshape_as = lambda self, other: _reshape(self, *other._data.shape)
T.contiguous = lambda self: self if self._data.flags.c_contiguous else apply(
    tl.clone, self, name="CloneBackward0")


def _permute(self, *dims):
    dims = _shape_arg(dims)
    return apply(tl.permute, self, tuple(d % self._data.ndim for d in dims),
                 name="PermuteBackward0")


def _transpose(self, dim0, dim1):
    return apply(tl.transpose, self, dim0, dim1, name="TransposeBackward0")


def _t(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._data.ndim}D")
    if self._data.ndim < 2:
        return self
    return apply(tl.transpose, self, 0, 1, name="TBackward0")


def _T(self):
    if self._data.ndim != 2:
        import warnings
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return apply(tl.permute, self, tuple(range(self._data.ndim))[::-1], name="PermuteBackward0")


T.permute = _permute
T.transpose = _transpose
T.swapaxes = _transpose
T.t = _t
T.T = property(_T)
T.mT = property(lambda self: _transpose(self, -2, -1))
T.unsqueeze = lambda self, dim: apply(tl.unsqueeze, self, dim % (self._data.ndim + 1),
                                      name="UnsqueezeBackward0")
T.squeeze = lambda self, dim=None: apply(
    tl.squeeze, self, None if dim is None else dim % max(self._data.ndim, 1),
    name="SqueezeBackward0" if dim is None else "SqueezeBackward1")


def _expand(self, *shape):
    shape = _shape_arg(shape)
    lead = len(shape) - self._data.ndim
    shape = tuple(self._data.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return apply(tl.expand, self, shape, name="ExpandBackward0")


T.expand = _expand
T.expand_as = lambda self, other: _expand(self, *other._data.shape)
T.repeat = lambda self, *sizes: apply(np.tile, self, _shape_arg(sizes), name="RepeatBackward0")


def _to(self, *args, **kwargs):
    dt = kwargs.get("dtype")
    for a in args:
        if isinstance(a, dtypes.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dt = a.dtype
    if dt is None or dtypes.to_numpy(dt) == self._data.dtype:
        return self
    npdt = dtypes.to_numpy(dt)
    if npdt.kind not in "fc" or self._data.dtype.kind not in "fc":
        return Tensor._wrap(self._data.astype(npdt))
    return apply(tl.cast, self, npdt, name="ToCopyBackward0")


T.to = _to
T.type = lambda self, dtype=None: self.dtype if dtype is None else _to(self, dtype)
T.float = lambda self: _to(self, dtypes.float32)
T.double = lambda self: _to(self, dtypes.float64)
T.long = lambda self: _to(self, dtypes.int64)
T.int = lambda self: _to(self, dtypes.int32)
T.bool = lambda self: _to(self, dtypes.bool_)
T.half = lambda self: _to(self, dtypes.float16)
T.cpu = lambda self: self
T.cuda = lambda self, *a, **k: (_ for _ in ()).throw(
    AssertionError("Torch not compiled with CUDA enabled"))
T.masked_fill = lambda self, mask, value: apply(tl.masked_fill, self, _arr(mask), _arr(value),
                                                name="MaskedFillBackward0")


# -- indexing ---------------------------------------------------------------------------
def _index(idx):
    if isinstance(idx, Tensor):
        return idx._data
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, list):
        return np.asarray([_index(i) for i in idx])
    return idx


def _index_name(idx) -> str:
    parts = idx if isinstance(idx, tuple) else (idx,)
    name = "SliceBackward0"
    for p in parts:
        if isinstance(p, (np.ndarray, list)):
            return "IndexBackward0"
        if isinstance(p, (int, np.integer)):
            name = "SelectBackward0"
        elif p is None:
            name = "UnsqueezeBackward0"
        elif isinstance(p, slice) and p != slice(None):
            name = "SliceBackward0"
    return name


def _getitem(self, idx):
    idx = _index(idx)
    try:
        out = apply(ix.getitem, self, idx, name=_index_name(idx))
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    if ix.index_has_array(idx) or isinstance(idx, np.ndarray):
        return out
    out._vc = self._vc                 # a view shares its base's version counter
    out._is_view = True
    return out


def _setitem(self, idx, value):
    idx = _index(idx)
    from . import grad_mode
    if self._requires_grad and self.grad_fn is None and grad_mode._state.enabled:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    apply_inplace(self, tl.setitem, idx, value, name="CopySlices")


T.__getitem__ = _getitem
T.__setitem__ = _setitem


# -- in-place fills and copies -------------------------------------------------------------
def _fill_(self, value, _name="FillBackward0"):
    check_inplace(self)
    if self.grad_fn is not None:
        return apply_inplace(self, tl.fill, _arr(value), name=_name)
    self._data[...] = _arr(value)
    self._vc[0] += 1
    return self


def _zero_(self):
    return _fill_(self, 0, "ZeroBackward0")


def _copy_(self, src):
    check_inplace(self)
    if isinstance(src, Tensor) and src._requires_grad:
        return apply_inplace(self, tl.copy_from, src, name="CopyBackwards")
    self._data[...] = _arr(src)
    self._vc[0] += 1
    return self


T.fill_ = _fill_
T.zero_ = _zero_
T.copy_ = _copy_
T.new_ones = lambda self, *size, dtype=None: Tensor._wrap(
    np.ones(_shape_arg(size), dtypes.to_numpy(dtype) or self._data.dtype))
T.new_zeros = lambda self, *size, dtype=None: Tensor._wrap(
    np.zeros(_shape_arg(size), dtypes.to_numpy(dtype) or self._data.dtype))
T.new_tensor = lambda self, data, dtype=None: Tensor(data, dtype=dtype or self.dtype)
T.split = lambda self, split_size, dim=0: _split(self, split_size, dim)
T.chunk = lambda self, chunks, dim=0: _split(self, -(-self._data.shape[dim] // chunks), dim)
T.unbind = lambda self, dim=0: tuple(self.select(dim, i) for i in range(self._data.shape[dim]))
T.select = lambda self, dim, i: _getitem(self, (slice(None),) * (dim % self._data.ndim) + (i,))


def _split(self, size, dim):
    n = self._data.shape[dim]
    sizes = [size] * (n // size) + ([n % size] if n % size else []) if isinstance(size, int) \
        else list(size)
    out, start = [], 0
    for s in sizes:
        out.append(_getitem(self, (slice(None),) * (dim % self._data.ndim) +
                            (slice(start, start + s),)))
        start += s
    return tuple(out)
