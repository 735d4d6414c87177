"""Tensor operators and methods, each one call into the rule table.

Takes: the ``Tensor`` core and the primitives in ``s2sgrad.rules``.
Gives: ``+ - * / ** @``, comparisons, indexing, and the PyTorch method surface
(``sum``, ``mean``, ``view``, ``max``, ``round``, ``erf``, ``lerp``, ``split``,
``gather``, ``scatter``, ``sort``, ``topk``, ``unique``, in-place ``add_``,
``floor_``, ``masked_fill_``, ...), bound onto ``Tensor`` when this module is
imported, with PyTorch's dtype rules and error texts.
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
        t = type(other)
        if t is not float and t is not int and (t is not Tensor or other._data.ndim == 0):
            other = _scalar_operand(self, other)
        try:
            if swap:
                return apply(primal, other, self, name=name)
            return apply(primal, self, other, name=name)
        except ValueError:
            a, b = (other, self) if swap else (self, other)
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
T.unbind = lambda self, dim=0: tuple(self.select(dim, i) for i in range(self._data.shape[dim]))
T.select = lambda self, dim, i: _getitem(self, (slice(None),) * (dim % self._data.ndim) + (i,))


# -- rounding, more elementwise math and lerp -----------------------------------------------
# PyTorch's C type names in dtype error messages ("expected dtype float ... got double").
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


def _c_name(dt) -> str:
    return _C_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def _not_for(self, kernel: str, kinds: str) -> None:
    """PyTorch's error for a kernel without an implementation for this dtype kind."""
    if self._data.dtype.kind in kinds:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_long(self._data.dtype)}'")


def _as_float(self):
    """An integer or bool tensor as the default float dtype (PyTorch's promotion for
    floating functions such as ``tan``); a float tensor unchanged."""
    if self._data.dtype.kind in "fc":
        return self
    return Tensor._wrap(self._data.astype(dtypes.get_default_dtype().np))


def _fix_sign(t):
    # PyTorch's sign is 0 at NaN (NumPy's is NaN); the adjoint reads no value, so the
    # result may be corrected after the node is recorded.
    d = t._data
    if d.dtype.kind in "fc" and np.isnan(d).any():
        d[np.isnan(d)] = 0
    return t


def _sign(self):
    if self._data.dtype.kind == "b":
        return Tensor._wrap(self._data.copy())
    return _fix_sign(apply(np.sign, self, name="SignBackward0"))


def _sign_(self):
    if self._data.dtype.kind == "b":
        check_inplace(self)
        return self
    return _fix_sign(apply_inplace(self, np.sign, name="SignBackward0"))


def _stepper(primal, name, kernel):
    """floor/ceil/trunc: integers come back unchanged (a copy), bool is refused."""
    def op(self):
        _not_for(self, kernel, "b")
        if self._data.dtype.kind in "iu":
            return Tensor._wrap(self._data.copy())
        return apply(primal, self, name=name)

    def op_(self):
        _not_for(self, kernel, "b")
        if self._data.dtype.kind in "iu":
            check_inplace(self)
            return self
        return apply_inplace(self, primal, name=name)
    return op, op_


T.floor, T.floor_ = _stepper(np.floor, "FloorBackward0", "floor_vml_cpu")
T.ceil, T.ceil_ = _stepper(np.ceil, "CeilBackward0", "ceil_vml_cpu")
T.trunc, T.trunc_ = _stepper(np.trunc, "TruncBackward0", "trunc_vml_cpu")
T.fix, T.fix_ = T.trunc, T.trunc_
T.sign, T.sign_ = _sign, _sign_


def _check_decimals(decimals):
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(
            decimals, (int, np.integer))):
        raise TypeError("round() received an invalid combination of arguments - got (Tensor, "
                        f"decimals={type(decimals).__name__}), but expected one of:\n"
                        " * (Tensor input, *, Tensor out = None)\n"
                        " * (Tensor input, *, int decimals, Tensor out = None)\n")


def _round(self, *, decimals=None):
    """Half to even; ``decimals`` (even 0) rounds to that many decimal places
    (``RoundBackward1``), as PyTorch's overload with ``decimals`` does."""
    _check_decimals(decimals)
    if decimals is None:
        _not_for(self, "round_vml_cpu", "b")
        if self._data.dtype.kind in "iu":
            return Tensor._wrap(self._data.copy())
        return apply(np.rint, self, name="RoundBackward0")
    _not_for(self, "round_cpu", "biu")
    return apply(np.round, self, int(decimals), name="RoundBackward1")


def _round_(self, *, decimals=None):
    _check_decimals(decimals)
    if decimals is None:
        _not_for(self, "round_vml_cpu", "b")
        if self._data.dtype.kind in "iu":
            check_inplace(self)
            return self
        return apply_inplace(self, np.rint, name="RoundBackward0")
    _not_for(self, "round_cpu", "biu")
    return apply_inplace(self, np.round, int(decimals), name="RoundBackward1")


T.round, T.round_ = _round, _round_


def _frac(self):
    _not_for(self, "frac_cpu", "biu")
    return apply(tl.frac, self, name="FracBackward0")


def _frac_(self):
    _not_for(self, "frac_cpu", "biu")
    return apply_inplace(self, tl.frac, name="FracBackward0")


T.frac, T.frac_ = _frac, _frac_


def _floating(primal, name):
    """A function with a float result: integer and bool inputs become the default float
    dtype; the in-place form refuses a tensor that cannot hold the result."""
    def op(self):
        return apply(primal, _as_float(self), name=name)

    def op_(self):
        if self._data.dtype.kind not in "fc":
            raise RuntimeError(f"result type {_long(dtypes.get_default_dtype().np)} can't be "
                               f"cast to the desired output type {_long(self._data.dtype)}")
        return apply_inplace(self, primal, name=name)
    return op, op_


T.tan, T.tan_ = _floating(np.tan, "TanBackward0")
T.log2, T.log2_ = _floating(np.log2, "Log2Backward0")
T.log10, T.log10_ = _floating(np.log10, "Log10Backward0")
T.erf, T.erf_ = _floating(tl.erf, "ErfBackward0")


def _lerp_args(self, end, weight):
    """(end, weight, node name) for ``lerp`` after PyTorch's checks."""
    if not isinstance(end, Tensor):
        raise TypeError("lerp() received an invalid combination of arguments - got (Tensor, "
                        f"{type(end).__name__}, {type(weight).__name__}), but expected one "
                        "of:\n * (Tensor input, Tensor end, Tensor weight, *, Tensor out = "
                        "None)\n * (Tensor input, Tensor end, Number weight, *, Tensor out = "
                        "None)\n")
    dt = self._data.dtype
    if isinstance(weight, Tensor):
        if weight._data.dtype != dt and weight._data.ndim:
            raise RuntimeError(f"expected dtype {_c_name(dt)} for `weight` but got dtype "
                               f"{_c_name(weight._data.dtype)}")
        if end._data.dtype != dt:
            raise RuntimeError(f"expected dtype {_c_name(dt)} for `end` but got dtype "
                               f"{_c_name(end._data.dtype)}")
        _not_for(self, "lerp_kernel_tensor", "biu")
        if not weight._requires_grad and weight._data.ndim == 0:
            weight = weight._data
        return end, weight, "LerpBackward1"
    if end._data.dtype != dt:
        raise RuntimeError(f"expected dtype {_c_name(dt)} for `end` but got dtype "
                           f"{_c_name(end._data.dtype)}")
    _not_for(self, "lerp_kernel_scalar", "biu")
    return end, float(weight), "LerpBackward0"


def _lerp(self, end, weight):
    end, weight, name = _lerp_args(self, end, weight)
    try:
        return apply(tl.lerp, self, end, weight, name=name)
    except ValueError:
        err = _broadcast_error(self, end) or _broadcast_error(self, weight) or \
            _broadcast_error(end, weight)
        if err is None:
            raise
        raise err from None


def _lerp_(self, end, weight):
    end, weight, name = _lerp_args(self, end, weight)
    try:
        shape = np.broadcast_shapes(self._data.shape, end._data.shape, np.shape(_arr(weight)))
    except ValueError:
        raise (_broadcast_error(self, end) or _broadcast_error(self, weight)
               or _broadcast_error(end, weight)) from None
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, self._data.shape))}] "
                           "doesn't match the broadcast shape "
                           f"[{', '.join(map(str, shape))}]")
    return apply_inplace(self, tl.lerp, end, weight, name=name)


T.lerp, T.lerp_ = _lerp, _lerp_


# -- splitting, gathering, scattering ------------------------------------------------------
def _dim_of(self, dim):
    return _wrap_dim(dim, self._data.ndim)


def _views_of(self, outs):
    """Outputs that are views of ``self`` share its version counter (as slices do)."""
    for o in outs:
        o._vc = self._vc
        o._is_view = True
    return outs


def _split_sizes(self, split_size, dim):
    if self._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _dim_of(self, dim)
    n = self._data.shape[d]
    if isinstance(split_size, (list, tuple)):
        sizes = [int(s) for s in split_size]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"[{', '.join(map(str, sizes))}]")
        return sizes, d, "SplitWithSizesBackward0"
    size = int(split_size)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {n}")
    count = max(-(-n // size), 1) if size else 1
    return [min(size, n - k * size) for k in range(count)], d, "SplitBackward0"


def _split_by(self, sizes, d, name):
    cuts = list(np.cumsum(sizes)[:-1])
    outs = apply(np.split, self, cuts, d, name=name)
    return _views_of(self, tuple(outs))


def _split(self, split_size, dim=0):
    """``split``: pieces of ``split_size`` along ``dim`` (the last may be shorter), or
    pieces of the listed sizes (``SplitWithSizesBackward0``)."""
    return _split_by(self, *_split_sizes(self, split_size, dim))


def _chunk(self, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if self._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _dim_of(self, dim)
    n = self._data.shape[d]
    size = -(-n // chunks)
    if size == 0:                     # an empty dimension: ``chunks`` empty pieces
        return _split_by(self, [0] * chunks, d, "SplitWithSizesBackward0")
    return _split_by(self, *_split_sizes(self, size, d)[:2], "SplitBackward0")


T.split, T.chunk = _split, _chunk


def _index_array(index, what: str):
    idx = _arr(index)
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(what)
    return idx


def _index_shapes(idx, x, dim_err: str):
    """Index and self shapes, a 0-d one read as one element (as PyTorch reads them)."""
    if idx.ndim != x.ndim and max(idx.ndim, x.ndim) > 1:
        raise RuntimeError(dim_err)
    return (idx.shape or (1,)), (x.shape or (1,))


def _check_bounds(idx, n, d):
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise RuntimeError(f"index {int(idx.reshape(-1)[np.argmax(bad.reshape(-1))])} is out of "
                           f"bounds for dimension {d} with size {n}")


def _sizes(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _gather(self, dim, index, *, sparse_grad=False):
    """``gather``: one value of ``self`` per element of ``index``, read along ``dim``."""
    idx = _index_array(index, "gather(): Expected dtype int32/int64 for index")
    x = self._data
    ids, xs = _index_shapes(idx, x, "Index tensor must have the same number of dimensions as "
                                    "input tensor")
    d = _dim_of(self, dim)
    for k, (a, b) in enumerate(zip(ids, xs)):
        if k != d and a > b:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{_sizes(idx.shape)} to be no larger than self "
                               f"{_sizes(x.shape)} apart from dimension {d}")
    _check_bounds(idx, xs[d], d)
    return apply(tl.gather, self, d, idx, name="GatherBackward0")


def _scatter(self, dim, index, src=None, value=None, *, reduce=None):
    """``scatter`` out of place, with a tensor ``src`` (``ScatterBackward0``) or a number
    ``value`` (``ScatterBackward1``)."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    idx = _index_array(index, "scatter(): Expected dtype int32/int64 for index")
    x = self._data
    ids, xs = _index_shapes(idx, x, "Index tensor must have the same number of dimensions as "
                                    "self tensor")
    d = _dim_of(self, dim)
    if src is not None:
        if src._data.dtype != x.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        ss = src._data.shape or (1,)
        if any((k != d and a > b) or a > c for k, (a, b, c) in enumerate(zip(ids, xs, ss))):
            raise RuntimeError(f"Expected index {_sizes(idx.shape)} to be no larger than self "
                               f"{_sizes(x.shape)} apart from dimension {d} and to be no "
                               f"larger size than src {_sizes(src._data.shape)}")
    elif any(k != d and a > b for k, (a, b) in enumerate(zip(ids, xs))):
        raise RuntimeError(f"Expected index {_sizes(idx.shape)} to be no larger than self "
                           f"{_sizes(x.shape)} apart from dimension {d}")
    _check_bounds(idx, xs[d], d)
    idx = idx.reshape(ids)
    if src is not None:
        if src._data.ndim == 0:
            src = src.reshape(1)
        return apply(tl.scatter, self, d, idx, src, name="ScatterBackward0")
    return apply(tl.scatter, self, d, idx, _arr(value), name="ScatterBackward1")


T.gather, T.scatter = _gather, _scatter


def _index_select(self, dim, index):
    idx = _arr(index)
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if self._data.ndim == 0:
        _wrap_dim(dim, 0)
        if idx.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        if int(idx.reshape(-1)[0]) != 0:
            raise IndexError("index out of range in self")
        return apply(np.take, self, idx.reshape(()), name="IndexSelectBackward0")
    d = _dim_of(self, dim)
    n = self._data.shape[d]
    idx = idx.reshape(-1)
    if (idx < 0).any():
        raise IndexError("index out of range in self")
    if (idx >= n).any():
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[idx >= n][0])} "
                           f"axis_dim={n}")
    return apply(np.take, self, idx, d, name="IndexSelectBackward0")


T.index_select = _index_select


# -- sorting ---------------------------------------------------------------------------------
_SortRT, _TopkRT = _return_type("sort"), _return_type("topk")


_UNSET = object()


def _ordered(self, idx, d, name):
    """The values at ``idx`` along ``d``: one node reading them (``take_along_axis``'s rule,
    under PyTorch's name); a 0-d tensor is its own single value."""
    if self._data.ndim == 0:
        return apply(np.copy, self, name=name)
    return apply(np.take_along_axis, self, idx, d, name=name)


def _sort(self, dim=-1, descending=False, stable=_UNSET):
    """``(values, indices)`` along ``dim``, ties in their original order (PyTorch's
    ``stable=True``, which ``stable=False`` may also give); NaN sorts as the largest.
    Passing ``stable`` at all selects PyTorch's other overload (``SortBackward1``)."""
    d = _dim_of(self, dim)
    name = "SortBackward0" if stable is _UNSET else "SortBackward1"
    idx = tl.sort_order(self._data, d, bool(descending)) if self._data.ndim else \
        np.zeros((), np.int64)
    return _SortRT(_ordered(self, idx, d, name), Tensor._wrap(idx))


def _argsort(self, dim=-1, descending=False, stable=False):
    d = _dim_of(self, dim)
    if self._data.ndim == 0:
        return Tensor._wrap(np.zeros((), np.int64))
    return Tensor._wrap(tl.sort_order(self._data, d, bool(descending)))


def _topk(self, k, dim=-1, largest=True, sorted=True):
    d = _dim_of(self, dim)
    n = self._data.shape[d] if self._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if self._data.ndim == 0:
        idx = np.zeros((), np.int64)
    else:
        idx = np.take(tl.sort_order(self._data, d, bool(largest)), np.arange(k), axis=d)
    return _TopkRT(_ordered(self, idx, d, "TopkBackward0"), Tensor._wrap(idx))


T.sort, T.argsort, T.topk = _sort, _argsort, _topk


def _dims_arg(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def _flip(self, *dims):
    dims = tuple(_dim_of(self, d) for d in _dims_arg(dims))
    for k, d in enumerate(dims):
        if d in dims[:k]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    out = apply(np.flip, self, dims, name="FlipBackward0")
    # np.flip returns a view; PyTorch's flip a new tensor (FlipBackward0 reads no value).
    out._data = out._data.copy()
    return out


def _roll(self, shifts, dims=None):
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (int(shifts),)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return apply(np.roll, self, shifts[0], None, name="RollBackward0")
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if self._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    dims = tuple(_dim_of(self, d) for d in dims)
    return apply(np.roll, self, shifts, dims, name="RollBackward0")


T.flip, T.roll = _flip, _roll


# -- masked fill, batched matmul, unique -------------------------------------------------------
def _masked_args(self, mask, value):
    m = _arr(mask)
    if not isinstance(m, np.ndarray) or m.dtype.kind != "b":
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_c_name(np.asarray(m).dtype)}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        if not value._requires_grad:
            value = value._data.astype(self._data.dtype)
        return m, value, "MaskedFillBackward1"
    return m, value, "MaskedFillBackward0"


def _masked_fill(self, mask, value):
    m, value, name = _masked_args(self, mask, value)
    err = _broadcast_error(m, self)
    if err is not None:
        raise err
    return apply(tl.masked_fill, self, m, value, name=name)


def _masked_fill_(self, mask, value):
    m, value, name = _masked_args(self, mask, value)
    err = _broadcast_error(m, self)
    if err is not None:
        raise err
    shape = np.broadcast_shapes(self._data.shape, m.shape)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape [{', '.join(map(str, self._data.shape))}] "
                           "doesn't match the broadcast shape "
                           f"[{', '.join(map(str, shape))}]")
    return apply_inplace(self, tl.masked_fill, m, value, name=name)


T.masked_fill, T.masked_fill_ = _masked_fill, _masked_fill_


def _bmm(self, mat2):
    a, b = self._data, _arr(mat2)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if np.ndim(b) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, "
                           f"{b.shape[1]}].")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_long(a.dtype)} but found {_long(b.dtype)}")
    return apply(np.matmul, self, mat2, name="BmmBackward0")


T.bmm = _bmm


def _unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted distinct values (each NaN distinct), with the inverse indices (shaped like
    the input) and counts when asked. The values carry no gradient: as in PyTorch they
    come from a node whose backward raises."""
    x = self._data
    if dim is None:
        vals, inv, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True,
                                      equal_nan=False)
        inv = inv.reshape(x.shape)
        name, op = "Unique2Backward0", "_unique2"
    else:
        d = _dim_of(self, dim)
        vals, inv, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
        name, op = "UniqueDimBackward0", "unique_dim"
    from .ops import apply_custom

    def refuse(gs):
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")

    out = apply_custom(name, refuse, [self], vals) if x.dtype.kind in "fc" else \
        Tensor._wrap(vals)
    if not (return_inverse or return_counts):
        return out
    res = (out,)
    if return_inverse:
        res += (Tensor._wrap(inv.astype(np.int64)),)
    if return_counts:
        res += (Tensor._wrap(counts.astype(np.int64)),)
    return res


T.unique = _unique
from . import methods_extra  # noqa: F401,E402  (binds more Tensor methods)
