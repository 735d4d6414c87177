"""More of PyTorch's top-level functions (``torch.asin``, ``torch.hstack``,
``torch.meshgrid``, ``torch.kthvalue``, ``torch.bucketize``, ...).

Takes Tensors (and, for the functions that are aliases of a NumPy primitive, plain
arrays, so compiled code may call them). Gives functions that dispatch to the
Tensor methods or compose them; the non-differentiable ones compute on arrays.
Invariant: no gradient is computed here; every node comes from ``ops.apply``.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..rules import alias
from ..rules import torch_extra as te
from ..rules import torchlike as tl
from . import dtypes
from .ops import apply
from .tensor import Size, Tensor, _wrap_dim

def _method(name, primal=None):
    def fn(input, *args, **kwargs):
        if isinstance(input, Tensor):
            return getattr(input, name)(*args, **kwargs)
        if primal is None:
            return getattr(Tensor(input), name)(*args, **kwargs)
        return primal(input, *args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    if primal is not None:
        alias(fn, primal)
    return fn


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


_NP = {"asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "asinh": np.arcsinh,
       "acosh": np.arccosh, "atanh": np.arctanh, "sinh": np.sinh, "cosh": np.cosh,
       "expm1": np.expm1, "sinc": np.sinc, "deg2rad": np.deg2rad, "rad2deg": np.rad2deg,
       "erfc": te.erfc, "erfinv": te.erfinv, "reciprocal": np.reciprocal,
       "negative": np.negative, "hypot": np.hypot, "logaddexp": np.logaddexp,
       "logaddexp2": np.logaddexp2, "fmax": np.fmax, "fmin": np.fmin, "fmod": np.fmod,
       "remainder": np.remainder, "xlogy": te.xlogy, "absolute": np.abs,
       "multiply": np.multiply, "subtract": np.subtract, "divide": np.divide,
       "true_divide": np.divide, "atan2": np.arctan2, "cumprod": None, "logit": te.logit,
       "nan_to_num": te.nan_to_num, "tril": np.tril, "triu": np.triu, "trace": np.trace,
       "rsqrt": None, "sgn": None, "signbit": np.signbit, "isnan": np.isnan,
       "isinf": np.isinf, "isfinite": np.isfinite, "isposinf": np.isposinf,
       "isneginf": np.isneginf, "logical_not": np.logical_not, "logical_and": np.logical_and,
       "logical_or": np.logical_or, "logical_xor": np.logical_xor, "eq": np.equal,
       "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
       "ge": np.greater_equal, "float_power": None, "clamp_min": None, "clamp_max": None,
       "cummax": None, "cummin": None, "logcumsumexp": None, "kthvalue": None,
       "median": None, "nanmedian": None, "nansum": None, "nanmean": None, "narrow": None,
       "select": None, "movedim": None, "moveaxis": None, "msort": None, "ravel": np.ravel,
       "repeat_interleave": None, "rot90": None, "fliplr": np.fliplr, "flipud": np.flipud,
       "tile": None, "take": None, "take_along_dim": None, "tensor_split": None,
       "hsplit": None, "vsplit": None, "unbind": None, "masked_select": None,
       "diag": None, "diagonal": None, "diag_embed": None, "diagflat": None,
       "count_nonzero": None, "nonzero": None, "argwhere": None, "addmm": None,
       "addmv": None, "addbmm": None, "baddbmm": None, "addcmul": None, "addcdiv": None,
       "index_add": None, "index_copy": None, "index_fill": None, "index_put": None,
       "scatter_add": None,
       "multinomial": None, "unfold": None}
for _name, _primal in _NP.items():
    globals()[_name] = _method(_name, _primal)
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2          # noqa: F821
arcsinh, arccosh, arctanh = asinh, acosh, atanh                    # noqa: F821


def inner(input, other):
    a, b = _t(input), _t(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim == 1 and b.ndim == 1:
        return apply(np.inner, a, b, name="DotBackward0")
    return apply(np.inner, a, b, name="ViewBackward0")


def vdot(input, other):
    return apply(np.vdot, input, other, name="VdotBackward0")


def kron(input, other):
    return apply(np.kron, input, other, name="UnsafeViewBackward0")


def tensordot(a, b, dims=2):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    axes = dims if isinstance(dims, int) else (tuple(dims[0]), tuple(dims[1]))
    return apply(np.tensordot, a, b, axes, name="ViewBackward0")


def cross(input, other, dim=None):
    a, b = _t(input), _t(other)
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = np.broadcast_shapes(a._data.shape, b._data.shape)
    d = next(i for i, n in enumerate(shape) if n == 3) if dim is None else \
        _wrap_dim(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{a._data.shape[d] if a.ndim > d else 1} and "
                           f"{b._data.shape[d] if b.ndim > d else 1}")
    a = a if a._data.shape == shape else a.expand(*shape)
    b = b if b._data.shape == shape else b.expand(*shape)
    return apply(te.cross, a, b, d, name="LinalgCrossBackward0")


Tensor.cross = cross
alias(cross, te.cross)


def det(input):
    return apply(np.linalg.det, input, name="LinalgDetBackward0")


def inverse(input):
    return apply(np.linalg.inv, input, name="LinalgInvExBackward0")


def slogdet(input):
    from .methods import _return_type
    sign, logabs = apply(np.linalg.slogdet, input, name="LinalgSlogdetBackward0")
    return _return_type("slogdet")(sign, logabs)


def logdet(input):
    sign, logabs = apply(np.linalg.slogdet, input, name="LinalgSlogdetBackward0")
    return apply(tl.where3, sign._data < 0, np.float32("nan") if logabs._data.dtype ==
                 np.float32 else np.nan, logabs, name="WhereBackward0")


Tensor.det, Tensor.inverse, Tensor.logdet = det, inverse, logdet
Tensor.slogdet = slogdet
Tensor.inner, Tensor.kron, Tensor.vdot = inner, kron, vdot


def matrix_power(input, n):
    x = _t(input)
    if n == 0:
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x._data.dtype), x._data.shape).copy()
        return Tensor._wrap(eye)
    if n < 0:
        x, n = inverse(x), -n
    if n == 1:
        return x.clone()
    result, base = None, x
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


Tensor.matrix_power = matrix_power


def mv(input, vec):
    return input.mv(vec)


def dist(input, other, p=2):
    return apply(tl.vector_norm, _t(input) - other, float(p) if p not in (1, 2) else p, None,
                 False, name="DistBackward0")


Tensor.dist = dist


def cdist(x1, x2, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return apply(tl.vector_norm, diff, p if p in (1, 2) else float(p), -1, False,
                 name="CdistBackward0")


def block_diag(*tensors):
    ts = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
          for t in map(_t, tensors)]
    if not ts:
        return Tensor._wrap(np.zeros((1, 0), np.float32))
    cols = builtins.sum(t.shape[1] for t in ts)
    rows, at = [], 0
    for t in ts:
        r = t.new_zeros(t.shape[0], cols)
        r = apply(tl.setitem, r, (slice(None), slice(at, at + t.shape[1])), t,
                  name="CopySlices")
        rows.append(r)
        at += t.shape[1]
    return apply(tl.cat, rows, 0, name="BlockDiagBackward0")


# -- joins and grids ----------------------------------------------------------------------------
def atleast_1d(*tensors):
    res = tuple(t.reshape(1) if t.ndim == 0 else t for t in map(_t, _seq(tensors)))
    return res[0] if len(res) == 1 and not _is_seq_call(tensors) else res


def atleast_2d(*tensors):
    res = tuple(t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t
                for t in map(_t, _seq(tensors)))
    return res[0] if len(res) == 1 and not _is_seq_call(tensors) else res


def atleast_3d(*tensors):
    def up(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t
    res = tuple(up(t) for t in map(_t, _seq(tensors)))
    return res[0] if len(res) == 1 and not _is_seq_call(tensors) else res


def _is_seq_call(tensors):
    return len(tensors) == 1 and isinstance(tensors[0], (list, tuple))


def _seq(tensors):
    return tuple(tensors[0]) if _is_seq_call(tensors) else tensors


def _cat(ts, dim):
    return apply(tl.cat, list(ts), dim, name="CatBackward0")


def hstack(tensors):
    ts = atleast_1d(tuple(tensors))
    return _cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return _cat(atleast_2d(tuple(tensors)), 0)


row_stack = vstack


def dstack(tensors):
    return _cat(atleast_3d(tuple(tensors)), 2)


def column_stack(tensors):
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in map(_t, tensors)]
    return _cat(ts, 1)


def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s)
                                          for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{', '.join(str(list(s)) for s in shapes)}") from None


def broadcast_to(input, size):
    return _t(input).expand(*size)


Tensor.broadcast_to = broadcast_to


def broadcast_tensors(*tensors):
    ts = list(map(_t, _seq(tensors)))
    try:
        shape = np.broadcast_shapes(*(t._data.shape for t in ts))
    except ValueError:
        from .methods import _broadcast_error
        raise _broadcast_error(ts[0], ts[1]) from None
    return tuple(t if t._data.shape == shape else t.expand(*shape) for t in ts)


def meshgrid(*tensors, indexing=None):
    ts = list(map(_t, _seq(tensors)))
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    flat = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    shape = tuple(t.shape[0] for t in flat)
    n = len(flat)
    out = [f.reshape(*[-1 if k == i else 1 for k in range(n)]).expand(*shape)
           for i, f in enumerate(flat)]
    if swap:
        out = [o.transpose(0, 1) for o in out]
    return tuple(out)


def cartesian_prod(*tensors):
    ts = list(map(_t, tensors))
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return apply(tl.stack, [g.reshape(-1) for g in grids], 1, name="StackBackward0")


# -- reductions, statistics ----------------------------------------------------------------------
def _dim_arg(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def _var_like(primal, name):
    def fn(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            unbiased, dim = dim, None
        c = correction if correction is not None else (1 if unbiased in (None, True) else 0)
        a, b = apply(primal, input, _dim_arg(dim), c, keepdim, name=name)
        return a, b
    return fn


var_mean = _var_like(te.var_mean, "VarMeanBackward0")
std_mean = _var_like(te.std_mean, "StdMeanBackward0")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """Linear (or lower/higher/nearest/midpoint) interpolation between order statistics."""
    x = _t(input)
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim == 0 and not 0 <= qs <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {float(qs)}")
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        d = _wrap_dim(dim, x.ndim)
    srt = x.sort(d).values
    n = x.shape[d]
    outs = []
    for qv in qs.reshape(-1):
        pos = qv * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = int(np.round(pos))
        w = 0.5 if interpolation == "midpoint" else pos - lo
        a, b = srt.select(d, lo), srt.select(d, hi)
        v = a if lo == hi else a.lerp(b, float(w))
        outs.append(v.unsqueeze(d) if keepdim else v)
    if dim is None and keepdim:
        outs = [o.reshape(*([1] * _t(input).ndim)) for o in outs]
    if qs.ndim == 0:
        return outs[0]
    return apply(tl.stack, outs, 0, name="StackBackward0")


nanquantile = quantile
Tensor.quantile = quantile


def trapezoid(y, x=None, *, dx=None, dim=-1):
    y = _t(y)
    d = _wrap_dim(dim, y.ndim)
    n = y.shape[d]
    if n == 0:
        return y.sum(d) * 0
    a = y.narrow(d, 1, n - 1)
    b = y.narrow(d, 0, n - 1)
    if x is not None:
        xs = _t(x)
        dxs = xs.diff(dim=-1 if xs.ndim == 1 else d)
        if xs.ndim == 1:
            dxs = dxs.reshape(*[-1 if k == d else 1 for k in range(y.ndim)])
        return ((a + b) * dxs).sum(d) / 2
    return apply(np.multiply, (a + b).sum(d), (1.0 if dx is None else dx) / 2,
                 name="MulBackward1")


trapz = trapezoid


def diff(input, n=1, dim=-1, prepend=None, append=None):
    x = _t(input)
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, x.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        parts = [_t(p) if _t(p).ndim else _t(p).expand(*x.shape[:d], 1, *x.shape[d + 1:])
                 for p in parts]
        x = _cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        x = x.narrow(d, 1, m - 1) - x.narrow(d, 0, m - 1) if m else x
    return x


Tensor.diff = diff


# -- counting, searching, sets (no gradients) ---------------------------------------------------
def _i64(a):
    return Tensor._wrap(np.asarray(a, dtype=np.int64))


def bincount(input, weights=None, minlength=0):
    a = np.asarray(_arr(input))
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if (a < 0).any():
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _i64(np.bincount(a, minlength=minlength))
    w = np.asarray(_arr(weights))
    out = np.bincount(a, weights=w, minlength=minlength)
    return Tensor._wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def bucketize(input, boundaries, *, out_int32=False, right=False):
    r = np.searchsorted(np.asarray(_arr(boundaries)), np.asarray(_arr(input)),
                        side="right" if right else "left")
    return Tensor._wrap(np.asarray(r, np.int32 if out_int32 else np.int64))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    seq = np.asarray(_arr(sorted_sequence))
    vals = np.asarray(_arr(values)) if isinstance(values, Tensor) else np.asarray(values)
    side = side or ("right" if right else "left")
    if seq.ndim == 1:
        r = np.searchsorted(seq, vals, side=side)
    else:
        r = np.stack([np.searchsorted(s, v, side=side) for s, v in
                      zip(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]))]
                     ).reshape(vals.shape)
    return Tensor._wrap(np.asarray(r, np.int32 if out_int32 else np.int64))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    return Tensor._wrap(np.asarray(np.isin(_arr(elements), _arr(test_elements),
                                           invert=invert)))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    a = _arr(input)
    if dim is None:
        flat = a.reshape(-1)
        keep = np.ones(flat.shape, bool)
        keep[1:] = flat[1:] != flat[:-1]
        vals = flat[keep]
        inv = (np.cumsum(keep) - 1).reshape(a.shape)
    else:
        d = _wrap_dim(dim, a.ndim)
        m = np.moveaxis(a, d, 0)
        keep = np.ones(m.shape[0], bool)
        keep[1:] = (m[1:] != m[:-1]).reshape(m.shape[0] - 1, -1).any(1)
        vals = np.moveaxis(m[keep], 0, d)
        inv = np.cumsum(keep) - 1
    counts = np.diff(np.append(np.flatnonzero(keep), keep.size))
    res = (Tensor._wrap(np.ascontiguousarray(vals)),)
    if return_inverse:
        res += (_i64(inv),)
    if return_counts:
        res += (_i64(counts),)
    return res[0] if len(res) == 1 else res


def _tri_indices(row, col, offset, upper):
    m = np.triu(np.ones((row, col), bool), offset) if upper else \
        np.tril(np.ones((row, col), bool), offset)
    return _i64(np.stack(np.nonzero(m)))


def tril_indices(row, col, offset=0, *, dtype=None):
    return _tri_indices(row, col, offset, False)


def triu_indices(row, col, offset=0, *, dtype=None):
    return _tri_indices(row, col, offset, True)


def heaviside(input, values):
    x, v = _arr(input), _arr(values)
    return Tensor._wrap(np.asarray(np.heaviside(x, v)).astype(np.result_type(x, v)))


def floor_divide(input, other):
    x, o = _arr(input), _arr(other)
    r = np.floor_divide(x, o)
    return Tensor._wrap(np.asarray(r).astype(np.result_type(x, o) if isinstance(x, np.ndarray)
                                             else r.dtype))


def logspace(start, end, steps, base=10.0, *, dtype=None, requires_grad=False):
    dt = dtypes.to_numpy(dtype) if dtype is not None else dtypes.get_default_dtype().np
    r = np.logspace(float(start), float(end), int(steps), base=base).astype(dt)
    return Tensor(r, requires_grad=requires_grad)


def is_floating_point(input):
    return input.is_floating_point()


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None):
    from .random import default_generator
    gen = generator or default_generator
    m, s = _arr(mean), _arr(std)
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = (m.dtype if isinstance(m, np.ndarray) and m.dtype.kind == "f" else
          s.dtype if isinstance(s, np.ndarray) and s.dtype.kind == "f" else
          dtypes.to_numpy(dtype) if dtype is not None else dtypes.get_default_dtype().np)
    z = np.asarray(gen.randn(shape, dtypes.float64 if dt == np.float64 else dtypes.float32))
    return Tensor._wrap((z * s + m).astype(dt))


def randint_like(input, low=0, high=None, *, dtype=None, generator=None):
    from .random import default_generator
    gen = generator or default_generator
    if high is None:
        low, high = 0, low
    dt = dtypes.to_numpy(dtype) if dtype is not None else input._data.dtype
    r = np.asarray(gen.randint(int(low), int(high), input._data.shape))
    return Tensor._wrap(r.astype(dt))


_more = ["inner", "vdot", "kron", "tensordot", "cross", "det", "inverse", "slogdet", "logdet",
         "matrix_power", "mv", "dist", "cdist", "block_diag", "atleast_1d", "atleast_2d",
         "atleast_3d", "hstack", "vstack", "row_stack", "dstack", "column_stack",
         "broadcast_shapes", "broadcast_to", "broadcast_tensors", "meshgrid", "cartesian_prod",
         "var_mean", "std_mean", "quantile", "nanquantile", "trapezoid", "trapz", "diff",
         "bincount", "bucketize", "searchsorted", "isin", "unique_consecutive", "tril_indices",
         "triu_indices", "heaviside", "floor_divide", "logspace", "is_floating_point",
         "normal", "randint_like", "arcsin", "arccos", "arctan", "arctan2", "arcsinh",
         "arccosh", "arctanh"]
__all__ = sorted(set(_NP) | set(_more))
